"""Fixtures in the flaskr shape: app, client, runner — on a real database and a real engine.

The database is a fresh SQLite file per test, or PostgreSQL when TEST_DATABASE_URL is set
(tables truncated between tests). The schema always comes from the Alembic migrations.
`seeded_app` is one app per session holding every real seed case, for read-only tests.
Helpers that tests import by name live in tests/helpers.py.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import uuid

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.helpers import (
    CSRF,
    PG_URL,
    STAFF_PASSWORD,
    drop_engine_indices,
    engine_config,
    make_config,
    migrate_to_head,
    pg_database,
    settings_for,
    start_engine,
)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated empty SQLite file copied per test (or the migrated PostgreSQL database)."""
    instance = tmp_path_factory.mktemp("template")
    url = pg_database("yianshifa_test") if PG_URL else None
    app = create_app(make_config(instance, url))
    migrate_to_head(app)
    with app.app_context():
        db.engine.dispose()
    return url or instance / "test.sqlite3"


@pytest.fixture()
def app(request, tmp_path, template_db):
    """A fresh app on an empty, migrated database with the seed taxonomies loaded.

    `@pytest.mark.settings(NAME=value, …)` on a test sets app settings for it.
    """
    marker = request.node.get_closest_marker("settings")
    settings = marker.kwargs if marker else {}
    if PG_URL:
        config = make_config(tmp_path, template_db, **settings)
    else:
        shutil.copy(template_db, tmp_path / "test.sqlite3")
        config = make_config(tmp_path, **settings)
    application = create_app(config)
    with application.app_context():
        if PG_URL:
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        from app.services.taxonomy import load_terms

        load_terms()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def client(app):
    """HTTP test client."""
    return app.test_client()


@pytest.fixture()
def runner(app):
    """CLI test runner."""
    return app.test_cli_runner()


def _seed(instance, url=None) -> None:
    """Import every seed case (and the laws) into a migrated database and build the indexes."""
    application = create_app(make_config(instance, url))
    migrate_to_head(application)
    result = application.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def seeded_app(tmp_path_factory):
    """One app holding every real seed case, imported and indexed through the CLI.

    On SQLite the seeded database and index are built once per run — by whichever xdist worker
    gets there first, under a lock — and every worker copies them (seeding takes a minute).
    """
    instance = tmp_path_factory.mktemp("seeded")
    if PG_URL:
        url = pg_database("yianshifa_test_seeded")
        _seed(instance, url)
    else:
        url = None
        run_root = tmp_path_factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):  # workers' temp folders share this run's folder
            run_root = run_root.parent
        shared = run_root / "seeded-once"
        shared.mkdir(exist_ok=True)
        with open(shared / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (shared / "done").exists():
                _seed(shared / "instance")
                (shared / "done").touch()
        shutil.copy(shared / "instance" / "test.sqlite3", instance / "test.sqlite3")
        shutil.copytree(shared / "instance" / "search-index", instance / "search-index")
    application = create_app(make_config(instance, url))
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def seeded_client(seeded_app):
    """HTTP client on the seeded app."""
    return seeded_app.test_client()


# ---- the real search engine (OpenSearch via tests/engine) ----
@pytest.fixture(scope="session")
def engine_process(request):
    """One real engine JVM for the session, stopped and its data deleted at the end."""
    process = start_engine(request, nodes=int(os.environ.get("TEST_ENGINE_NODES", "1")))
    yield process
    process.destroy()


@pytest.fixture()
def engine_backend(engine_process, tmp_path):
    """An ElasticBackend on the real engine, under an index prefix no other test uses."""
    from app.services.search import make_backend

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield make_backend(settings_for(tmp_path, **engine_config(engine_process, prefix)))
    drop_engine_indices(engine_process, prefix)


@pytest.fixture()
def engine_app(engine_process, tmp_path, template_db):
    """A fresh app (SQLite file) whose search backend is the real engine."""
    shutil.copy(template_db, tmp_path / "test.sqlite3")
    config = make_config(tmp_path)
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    config.update(engine_config(engine_process, prefix))
    application = create_app(config)
    with application.app_context():
        from app.services.taxonomy import load_terms

        load_terms()
        yield application
        db.session.remove()
        db.engine.dispose()
    drop_engine_indices(engine_process, prefix)


# ---- accounts for the publishing workflow (test_auth.py, test_workflow.py, test_roles.py) ----------
@pytest.fixture(scope="session")
def staff_password_hash():
    """One hash for every test account (werkzeug's scrypt is deliberately slow)."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(STAFF_PASSWORD)


@pytest.fixture()
def accounts(app, staff_password_hash):
    """Organisations org_a (a court) and org_b (an agency) and one account per role.

    Attributes: org_a, org_b, publisher (org_a), other_publisher (org_b), reviewer, admin, lecturer.
    Every password is STAFF_PASSWORD.
    """
    from types import SimpleNamespace

    from app.models import Issuer, User

    org_a = Issuer(name="某市人民法院", kind="court", region="某省某市")
    org_b = Issuer(name="某市市场监督管理局", kind="enforcement", region="某省某市")
    db.session.add_all([org_a, org_b])
    db.session.flush()
    people = {
        "publisher": ("publisher", org_a), "other_publisher": ("publisher", org_b),
        "reviewer": ("reviewer", None), "admin": ("admin", None), "lecturer": ("lecturer", None),
    }
    made = {}
    for username, (role, org) in people.items():
        made[username] = User(username=username, display_name=f"测试{username}", role=role,
                              organisation_id=org.id if org else None, password_hash=staff_password_hash)
    db.session.add_all(made.values())
    db.session.commit()
    return SimpleNamespace(org_a=org_a, org_b=org_b, **made)


@pytest.fixture()
def login(app):
    """login(client, user) → the CSRF token: a live server-side session without the password round trip."""
    from app.services import auth as auth_service

    def _login(client, user) -> str:
        token = auth_service.start_session(user, "127.0.0.1")
        with client.session_transaction() as session:
            session["sid"] = token
            session["csrf"] = CSRF
        return CSRF

    return _login
