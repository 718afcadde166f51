"""Test helpers shared by the test modules: records, files, configs, engines, browsers.

Fixtures stay in conftest.py; everything a test imports by name lives here.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "seed_cases"
PG_URL = os.environ.get("TEST_DATABASE_URL")
ENGINE = os.environ.get("TEST_ENGINE")  # "opensearch" in the engine phase of scripts/test
STAFF_PASSWORD = "Correct-horse-42"
CSRF = "test-csrf-token"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags the machine notes ask for: no sandbox as root, no background calls to the internet.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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
            {"kind": "holding", "heading": "裁判要点",
             "text": "物业服务企业未采取必要的安全保障措施防止高空抛物的，应当依法承担未履行安全保障义务的侵权责任。"},
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


def pg_database(name: str) -> str:
    """Create (or recreate) a PostgreSQL database next to TEST_DATABASE_URL's; return its URL."""
    base = make_url(PG_URL)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def make_config(instance: Path, database_url: str | None = None, **settings) -> dict:
    """create_app's test_config for an app whose state lives in `instance` (plus any `settings`)."""
    # A generous search time budget: a loaded CI machine must not cut off ordinary searches
    # (test_security sets it to 0 to test the cut-off itself).
    return {"APP_ENV": "testing", "INSTANCE_PATH": str(instance), "SEARCH_TIME_BUDGET_MS": 10_000,
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{instance / 'test.sqlite3'}", **settings}


def settings_for(instance: Path, **settings) -> dict:
    """Complete settings (as create_app would have them) for code that takes a config mapping."""
    from app.config import load_settings

    return load_settings(make_config(instance, **settings))


def migrate_to_head(app) -> None:
    """Create the schema the way production does: Alembic upgrade to head."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


# ---- the real search engine (OpenSearch via tests/engine; scripts/test-engine starts the phase) ----
def start_engine(request, nodes: int = 1, heap: str = "512m", timeout: float = 120.0):
    """A started engine JVM (data in a temp folder). Without TEST_ENGINE a plain pytest run skips
    the engine tests, but the engine phase (`-m engine`) fails: it must never pass by skipping."""
    if not ENGINE:
        if request.config.getoption("markexpr") == "engine":
            pytest.fail("TEST_ENGINE is not set in the engine phase (scripts/lib.sh run_engine_tests)")
        pytest.skip("no search engine in this run: bash scripts/test-engine runs the engine tests")
    from engine.runner import EngineProcess

    return EngineProcess(nodes=nodes, heap=heap).start(timeout=timeout)


def engine_config(process, prefix: str) -> dict:
    """App configuration keys pointing at the test engine under an index prefix of its own."""
    return {"SEARCH_BACKEND": ENGINE, "SEARCH_URL": process.url, "SEARCH_INDEX_PREFIX": prefix,
            "SEARCH_REPLICAS": "0-1", "SEARCH_TIMEOUT": 30.0}


def drop_engine_indices(process, prefix: str) -> None:
    """Delete every index a test created under its prefix."""
    request = urllib.request.Request(f"{process.url}/{prefix}-*", method="DELETE")
    with contextlib.suppress(OSError):
        urllib.request.urlopen(request, timeout=30).close()


# ---- browsers ---------------------------------------------------------------------------------
@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Every page records Content-Security-Policy violations, so a test can check there were none.
_RECORD_CSP = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
               "e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));")


def new_page(browser, width: int = 1280, height: int = 900):
    """A fresh page (own cookies) at a viewport size, recording CSP violations."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(_RECORD_CSP)
    return context.new_page()


def csp_violations(page) -> list[str]:
    """What the Content-Security-Policy blocked on the page now shown."""
    return page.evaluate("window.__csp || []")


def sign_in(browser, base_url: str, username: str, password: str = STAFF_PASSWORD, width: int = 1280):
    """A page with its own cookies, logged in through the login form."""
    page = new_page(browser, width)
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    return page


def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $SCREENSHOT_DIR (scripts/screenshots sets docs/screenshots), else tmp_path."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
