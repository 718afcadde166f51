"""Application factory."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.config import load_settings
from app.extensions import db, migrate
from app.routing import BoundedIntConverter
from app.security import register_security_headers

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings (environment, then `test_config`), extensions, blueprints, handlers, commands."""
    settings = load_settings(test_config)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"])
    app.url_map.converters["int"] = BoundedIntConverter  # every <int:id> is bounded: no overflow 500
    app.config.from_mapping(settings)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    register_logging(app)
    register_proxy_fix(app)
    register_security_headers(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    """Log to stderr at LOG_LEVEL with a timestamp (gunicorn and the CLI both collect stderr)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])


def register_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-For/-Proto/-Host from PROXY_FIX reverse proxies (0: none)."""
    hops = app.config["PROXY_FIX"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations and the search backend."""
    from app.services import index_sync  # noqa: F401  (its session events keep the index in step)
    from app.services.search import make_backend

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    app.extensions["search"] = make_backend(app.config)
    _clean_orphan_indexes(app)


def _clean_orphan_indexes(app: Flask) -> None:
    """At start-up, delete what a killed rebuild left behind (skipped while a writer is busy)."""
    from app.services.index_sync import cleanup
    from indexer.backends.base import SearchUnavailable

    with app.app_context():
        try:
            removed = cleanup()
        except SearchUnavailable as exc:  # the engine may be down: start anyway, /healthz tells
            app.logger.warning("orphan index clean-up skipped: %s", exc)
            return
        except Exception as exc:
            app.logger.info("orphan index clean-up skipped: %s", type(exc).__name__)
            return
    if removed:
        app.logger.info("deleted orphan indexes left by a killed rebuild: %s", ", ".join(removed))


def register_blueprints(app: Flask) -> None:
    """Mount the API and the web pages."""
    from app.api import init_api
    from app.web import admin, assessment, auth, kits, outreach, publish, review, web, work

    init_api(app)
    app.register_blueprint(web)
    for staff in (auth.bp, publish.bp, review.bp, admin.bp, kits.bp):  # login and the publishing workflow
        app.register_blueprint(staff)
    for outreach_bp in (outreach.bp, work.bp, assessment.bp):  # 菜单式普法 and the assessment (issue 13)
        app.register_blueprint(outreach_bp)


def register_errorhandlers(app: Flask) -> None:
    """Chinese JSON errors for the API, Chinese pages elsewhere; never a stack trace."""
    from app.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    """flask cases / search / taxonomy / seed / users commands."""
    from app import admin_cli, kits_cli, outreach_cli
    from app.cli import register

    register(app)
    admin_cli.register(app)
    kits_cli.register(app)
    outreach_cli.register(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, wait on locks, WAL for concurrent readers."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
