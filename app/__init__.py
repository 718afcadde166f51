"""Application factory."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.config import Config, load_config
from app.extensions import db, migrate

MIGRATIONS = __import__("pathlib").Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: Config | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error handlers, commands."""
    config = config or load_config()
    app = Flask(__name__, instance_path=config.INSTANCE_PATH)
    app.config.from_object(config)
    app.json.ensure_ascii = False
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations and the search backend."""
    from app.services.search import make_backend

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    app.extensions["search"] = make_backend(app.config)


def register_blueprints(app: Flask) -> None:
    """Mount the API and the web pages."""
    from app.api import api
    from app.web import admin, auth, publish, review, web

    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(web)
    for staff in (auth.bp, publish.bp, review.bp, admin.bp):  # login and the publishing workflow
        app.register_blueprint(staff)
    # The session cookie carries only a random token and the CSRF token; keep it off cross-site requests.
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"


def register_errorhandlers(app: Flask) -> None:
    """Chinese JSON errors for the API, Chinese pages elsewhere; never a stack trace."""
    from app.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    """flask cases / search / taxonomy / seed / users commands."""
    from app import admin_cli
    from app.cli import register

    register(app)
    admin_cli.register(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, wait on locks, WAL for concurrent readers."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
