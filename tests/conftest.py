"""Fixtures in the flaskr shape: app, client, runner — on a real database and a real engine.

The database is a fresh SQLite file per test, or PostgreSQL when TEST_DATABASE_URL is set
(tables truncated between tests). The schema always comes from the Alembic migrations.
`seeded_app` is one app per session holding every real seed case, for read-only tests.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import TestingConfig
from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "seed_cases"
PG_URL = os.environ.get("TEST_DATABASE_URL")


def sample_record(**overrides) -> dict:
    """A valid interchange record (tests change what they need)."""
    record = {
        "source_id": "test-1",
        "title": "张某诉某物业公司高空抛物损害责任纠纷案",
        "case_type": "民事",
        "issuer": {"name": "某市人民法院", "kind": "court"},
        "published_date": "2024-03-01",
        "keywords": ["民事", "高空抛物", "物业"],
        "sections": [
            {"kind": "holding", "heading": "裁判要点", "text": "物业服务企业未采取必要的安全保障措施防止高空抛物的，应当依法承担未履行安全保障义务的侵权责任。"},
            {"kind": "facts", "heading": "基本案情", "text": "原告张某途经小区时被楼上抛下的花盆砸伤。"},
        ],
        "source": {"name": "测试来源", "url": "https://example.invalid/1"},
    }
    record.update(overrides)
    return record


def write_jsonl(path: Path, records: list) -> Path:
    """Write records (dicts, or raw strings for broken lines) as JSONL."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _pg_database(name: str) -> str:
    """Create (or recreate) a PostgreSQL database next to TEST_DATABASE_URL's; return its URL."""
    base = make_url(PG_URL)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def make_config(instance: Path, database_url: str | None = None) -> TestingConfig:
    """A testing config whose state lives in `instance`."""
    os.environ["INSTANCE_PATH"] = str(instance)
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url or f"sqlite:///{instance / 'test.sqlite3'}"
    config.SEARCH_INDEX_PATH = str(instance / "search-index")
    return config


def migrate_to_head(app) -> None:
    """Create the schema the way production does: Alembic upgrade to head."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated empty SQLite file copied per test (or the migrated PostgreSQL database)."""
    instance = tmp_path_factory.mktemp("template")
    url = _pg_database("yianshifa_test") if PG_URL else None
    app = create_app(make_config(instance, url))
    migrate_to_head(app)
    with app.app_context():
        db.engine.dispose()
    return url or instance / "test.sqlite3"


@pytest.fixture()
def app(tmp_path, template_db):
    """A fresh app on an empty, migrated database with the seed taxonomies loaded."""
    if PG_URL:
        config = make_config(tmp_path, template_db)
    else:
        shutil.copy(template_db, tmp_path / "test.sqlite3")
        config = make_config(tmp_path)
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


@pytest.fixture(scope="session")
def seeded_app(tmp_path_factory):
    """One app holding every real seed case, imported and indexed through the CLI."""
    instance = tmp_path_factory.mktemp("seeded")
    url = _pg_database("yianshifa_test_seeded") if PG_URL else None
    application = create_app(make_config(instance, url))
    migrate_to_head(application)
    result = application.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def seeded_client(seeded_app):
    """HTTP client on the seeded app."""
    return seeded_app.test_client()


# ---- the real search engine (OpenSearch via tests/engine; scripts/test-engine starts the phase) ----
ENGINE = os.environ.get("TEST_ENGINE")  # "opensearch" in the engine phase of scripts/test


def start_engine(request, nodes: int = 1, heap: str = "512m", timeout: float = 120.0):
    """A started engine JVM (data in a temp folder). Without TEST_ENGINE a plain pytest run skips
    the engine tests, but the engine phase (`-m engine`) fails: it must never pass by skipping."""
    if not ENGINE:
        if request.config.getoption("markexpr") == "engine":
            pytest.fail("TEST_ENGINE is not set in the engine phase (scripts/lib.sh run_engine_tests)")
        pytest.skip("no search engine in this run: bash scripts/test-engine runs the engine tests")
    from engine.runner import EngineProcess

    return EngineProcess(nodes=nodes, heap=heap).start(timeout=timeout)


@pytest.fixture(scope="session")
def engine_process(request):
    """One real engine JVM for the session, stopped and its data deleted at the end."""
    process = start_engine(request, nodes=int(os.environ.get("TEST_ENGINE_NODES", "1")))
    yield process
    process.destroy()


def engine_config(process, prefix: str) -> dict:
    """App configuration keys pointing at the test engine under an index prefix of its own."""
    return {"SEARCH_BACKEND": ENGINE, "SEARCH_URL": process.url, "SEARCH_INDEX_PREFIX": prefix,
            "SEARCH_REPLICAS": "0-1", "SEARCH_TIMEOUT": 30.0}


def drop_engine_indices(process, prefix: str) -> None:
    """Delete every index a test created under its prefix."""
    import urllib.request

    request = urllib.request.Request(f"{process.url}/{prefix}-*", method="DELETE")
    with contextlib.suppress(OSError):
        urllib.request.urlopen(request, timeout=30).close()


@pytest.fixture()
def engine_backend(engine_process, tmp_path):
    """An ElasticBackend on the real engine, under an index prefix no other test uses."""
    from app.services.search import make_backend

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    config = engine_config(engine_process, prefix) | {"SEARCH_LOCK_PATH": str(tmp_path / "lock")}
    yield make_backend(config)
    drop_engine_indices(engine_process, prefix)


@pytest.fixture()
def engine_app(engine_process, tmp_path, template_db):
    """A fresh app (SQLite file) whose search backend is the real engine."""
    shutil.copy(template_db, tmp_path / "test.sqlite3")
    config = make_config(tmp_path)
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    for key, value in engine_config(engine_process, prefix).items():
        setattr(config, key, value)
    application = create_app(config)
    with application.app_context():
        from app.services.taxonomy import load_terms

        load_terms()
        yield application
        db.session.remove()
        db.engine.dispose()
    drop_engine_indices(engine_process, prefix)


# ---- accounts for the publishing workflow (test_auth.py, test_workflow.py, test_roles.py) ----------
STAFF_PASSWORD = "Correct-horse-42"
CSRF = "test-csrf-token"


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
