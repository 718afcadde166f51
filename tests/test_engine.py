"""The app on a real engine (OpenSearch): publishing, alias swaps, and the engine going down.

Run by `bash scripts/test-engine` (and the engine phase of scripts/test), which fetch the
engine with Maven; the `engine_*` fixtures start it.
"""
import json
import os
import subprocess
import sys
import threading
import urllib.request

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, IndexQueue
from app.services import index_sync
from app.services import search as search_service
from indexer.backends.base import SearchRequest
from indexer.query import parse_query
from tests.helpers import sample_record, write_jsonl

pytestmark = pytest.mark.engine


def records(n: int) -> list[dict]:
    """n distinct valid records."""
    return [sample_record(source_id=f"engine-{i}", title=f"第{i}号高空抛物损害责任纠纷案") for i in range(n)]


def import_records(runner, tmp_path, recs) -> None:
    path = write_jsonl(tmp_path / f"import-{len(recs)}-{recs[0]['source_id']}.jsonl", recs)
    result = runner.invoke(args=["cases", "import", "--quiet", str(path)])
    assert result.exit_code == 0, result.output


def engine_indices(url: str, alias: str) -> list[str]:
    """Index names under the alias's prefix, straight from the engine."""
    with urllib.request.urlopen(f"{url}/_cat/indices/{alias}-*?format=json", timeout=10) as response:
        return sorted(row["index"] for row in json.load(response))


def backlog() -> int:
    return db.session.scalar(select(func.count()).select_from(IndexQueue))


def test_published_case_is_found_highlighted_and_leaves_when_withdrawn(engine_app, tmp_path):
    runner, client = engine_app.test_cli_runner(), engine_app.test_client()
    import_records(runner, tmp_path, [sample_record(title="张某诉<b>某物业</b>公司高空抛物案")])
    body = client.get("/api/v1/search", query_string={"q": "高空抛物"}).get_json()
    assert body["total"] == 1
    title = next(h["html"] for h in body["hits"][0]["highlights"] if h["field"] == "title")
    assert "<mark>高空抛物</mark>" in title and "&lt;b&gt;" in title and " 某物业" not in title
    case = db.session.scalar(select(Case))
    case.status = "withdrawn"
    db.session.commit()  # the session events queue the case; the drain after the commit applies it
    assert client.get("/api/v1/search", query_string={"q": "高空抛物"}).get_json()["total"] == 0
    assert client.get(f"/cases/{case.id}").status_code == 410


def test_status_shows_alias_index_counts_and_backlog(engine_app, tmp_path):
    runner = engine_app.test_cli_runner()
    import_records(runner, tmp_path, records(3))
    result = runner.invoke(args=["search", "status"])
    status = json.loads(result.stdout)
    assert result.exit_code == 0 and status["backend"] == "opensearch"
    assert status["engine"]["alias"].endswith("-cases") and status["engine"]["index"].startswith(status["engine"]["alias"])
    assert status["engine"]["documents"] == status["listed_cases"] == 3 and status["in_step"]
    assert status["outbox_backlog"] == 0


def test_reindex_swaps_the_alias_and_drops_the_old_index(engine_app, engine_process, tmp_path):
    runner, client = engine_app.test_cli_runner(), engine_app.test_client()
    import_records(runner, tmp_path, records(5))
    engine = search_service.backend()
    old = engine.live_indices()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "已索引 5 件案例" in result.output
    new = engine.live_indices()
    assert len(new) == 1 and new != old
    assert engine_indices(engine_process.url, engine.alias) == new  # the old index is gone
    assert client.get("/api/v1/search", query_string={"q": "高空抛物"}).get_json()["total"] == 5


def test_failed_rebuild_deletes_the_new_index_and_keeps_serving(engine_app, engine_process, tmp_path):
    import_records(engine_app.test_cli_runner(), tmp_path, records(2))
    engine = search_service.backend()
    old = engine.live_indices()

    def broken_documents():
        yield from index_sync.listed_documents(db.session)
        raise RuntimeError("database went away mid-rebuild")

    with pytest.raises(RuntimeError):
        engine.rebuild(broken_documents())
    assert engine.live_indices() == old == engine_indices(engine_process.url, engine.alias)
    assert engine_app.test_client().get("/api/v1/search", query_string={"q": "高空抛物"}).get_json()["total"] == 2


def test_no_search_fails_while_reindex_swaps_the_alias(engine_app, tmp_path):
    import_records(engine_app.test_cli_runner(), tmp_path, records(20))
    engine = search_service.backend()
    request = SearchRequest(query=parse_query("高空抛物"), per_page=5)
    stop, outcomes = threading.Event(), []

    def query_loop():
        while not stop.is_set():
            try:
                outcomes.append(engine.search(request).total)
            except Exception as exc:  # counted, not raised: the test reports every failure
                outcomes.append(exc)

    thread = threading.Thread(target=query_loop)
    thread.start()
    try:
        for _ in range(3):
            index_sync.reindex()
    finally:
        stop.set()
        thread.join()
    failures = [o for o in outcomes if not isinstance(o, int) or o != 20]
    assert len(outcomes) > 20 and failures == []


def test_concurrent_sync_processes_apply_each_row_once(engine_app, tmp_path):
    """Three `flask search sync` processes drain one backlog; the index ends equal to the database."""
    engine_app.config["SEARCH_SYNC_ON_COMMIT"] = False
    import_records(engine_app.test_cli_runner(), tmp_path, records(30))
    for case in db.session.scalars(select(Case).where(Case.source_id.in_([f"engine-{i}" for i in range(0, 30, 3)]))):
        case.status = "withdrawn"
    db.session.commit()
    assert backlog() == 40
    env = _cli_env(engine_app)
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "search", "sync"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    db.session.expire_all()
    assert backlog() == 0
    assert search_service.backend().count() == 20 == index_sync.listed_count()
    request = SearchRequest(query=parse_query(""), per_page=100, with_facets=False)
    published = set(db.session.scalars(select(Case.id).where(Case.is_public)))
    assert set(search_service.backend().search(request).ids) == published


def _cli_env(app) -> dict:
    """Environment for a `flask` subprocess that sees the same database and engine as `app`."""
    config = app.config
    return os.environ | {
        "APP_ENV": "testing", "INSTANCE_PATH": config["INSTANCE_PATH"], "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_BACKEND": config["SEARCH_BACKEND"], "SEARCH_URL": config["SEARCH_URL"],
        "SEARCH_INDEX_PREFIX": config["SEARCH_INDEX_PREFIX"], "SEARCH_LOCK_PATH": config["SEARCH_LOCK_PATH"],
    }


def test_engine_down_publishing_waits_in_the_outbox_and_drains_on_return(engine_app, engine_process, tmp_path):
    runner, client = engine_app.test_cli_runner(), engine_app.test_client()
    import_records(runner, tmp_path, records(2))
    first = db.session.scalar(select(Case).order_by(Case.id))
    engine_process.stop()
    try:
        import_records(runner, tmp_path, [sample_record(source_id="while-down", title="停机期间发布的高空抛物案")])
        assert backlog() == 1  # published in the database, waiting for the engine
        answer = client.get("/api/v1/search", query_string={"q": "高空抛物"})
        assert answer.status_code == 503
        assert answer.get_json()["code"] == "search_unavailable" and "搜索服务暂时不可用" in answer.get_json()["message"]
        page = client.get("/search", query_string={"q": "高空抛物"})
        assert page.status_code == 503 and "搜索服务暂时不可用" in page.get_data(as_text=True)
        assert "Traceback" not in page.get_data(as_text=True)
        assert client.get(f"/cases/{first.id}").status_code == 200  # reading a case needs no engine
        assert runner.invoke(args=["search", "sync"]).exit_code == 1
        assert db.session.scalar(select(IndexQueue.attempts)) >= 1
    finally:
        engine_process.start()
    assert runner.invoke(args=["search", "sync"]).exit_code == 0
    assert backlog() == 0
    assert search_service.backend().count() == 3 == index_sync.listed_count()
    assert client.get("/api/v1/search", query_string={"q": "停机期间"}).get_json()["total"] == 1
