"""The outbox: rows commit with the case, drains apply them, an engine failure loses nothing."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, IndexQueue
from app.services import cases as case_service
from app.services import search as search_service
from app.services.importer import parse_line
from app.services.taxonomy import all_terms
from indexer import queue
from indexer.backends.fts5 import Fts5Backend
from tests.helpers import sample_record, write_jsonl
import json


def backlog() -> int:
    """Waiting outbox rows."""
    return db.session.scalar(select(func.count()).select_from(IndexQueue))


def hits(client, q):
    """Total hits for q through the API."""
    return client.get("/api/v1/search", query_string={"q": q}).get_json()["total"]


def upsert(record) -> Case:
    """Validate and upsert one record in the current transaction."""
    data, problems = parse_line(json.dumps(record, ensure_ascii=False))
    assert not problems
    case, _ = case_service.upsert(data, all_terms(), case_service.IssuerCache())
    db.session.flush()
    case_service.enqueue_changed([case])
    return case


def test_rollback_leaves_neither_case_nor_queue_row(app):
    upsert(sample_record())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0 and backlog() == 0


def test_commit_then_drain_makes_the_case_searchable(app, client):
    upsert(sample_record())
    db.session.commit()
    assert backlog() == 1 and hits(client, "高空抛物") == 0
    report = search_service.sync()
    assert report.indexed == 1 and backlog() == 0 and hits(client, "高空抛物") == 1


def test_unpublished_case_leaves_the_index(app, client):
    case = upsert(sample_record())
    db.session.commit()
    search_service.sync()
    case.status = "withdrawn"
    queue.enqueue(db.session, [case.id])
    db.session.commit()
    search_service.sync()
    assert hits(client, "高空抛物") == 0 and search_service.backend().count() == 0


def test_engine_down_keeps_rows_and_they_drain_when_it_returns(app, client, runner, tmp_path):
    working = app.extensions["search"]
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app.extensions["search"] = Fts5Backend(blocker / "index", lock_timeout=0.2)
    result = runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", [sample_record()]))])
    assert result.exit_code == 0  # publishing succeeds while the engine is unusable
    assert backlog() == 1
    assert runner.invoke(args=["search", "sync"]).exit_code == 1
    assert db.session.scalar(select(IndexQueue.attempts)) >= 1
    app.extensions["search"] = working
    assert runner.invoke(args=["search", "sync"]).exit_code == 0
    assert backlog() == 0 and hits(client, "高空抛物") == 1


def test_reindex_rebuilds_from_the_database(app, client, runner, tmp_path):
    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", [sample_record()]))])
    old = search_service.backend().health()["index"]
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "已索引 1 件案例" in result.output
    assert search_service.backend().health()["index"] != old
    assert hits(client, "高空抛物") == 1
    status = json.loads(runner.invoke(args=["search", "status"]).stdout)
    assert status["engine"]["documents"] == status["published_cases"] == 1 and status["outbox_backlog"] == 0
