"""The outbox as a unit of work: session events queue every change that alters a search document,
in the same transaction; one non-blocking drain follows the commit; an engine failure loses nothing;
/healthz and `search status` say when the index lags; orphans of killed rebuilds are removed."""
import datetime as dt
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Case, CaseSection, IndexQueue, Issuer
from app.services import cases as case_service
from app.services import index_sync
from app.services.importer import parse_line
from app.services.taxonomy import all_terms
from indexer.backends.locking import FileLock
from indexer.backends.tantivy import TantivyBackend
from tests.helpers import ROOT, sample_record, write_jsonl


def backlog() -> int:
    """Waiting outbox rows."""
    return db.session.scalar(select(func.count()).select_from(IndexQueue))


def hits(client, q):
    """Total hits for q through the API."""
    return client.get("/api/v1/search", query_string={"q": q}).get_json()["total"]


def upsert(record) -> Case:
    """Validate and upsert one record in the current transaction (nothing else: no enqueue)."""
    data, problems = parse_line(json.dumps(record, ensure_ascii=False))
    assert not problems
    case, _ = case_service.upsert(data, all_terms(), case_service.IssuerCache())
    return case


def test_rollback_leaves_neither_case_nor_queue_row(app):
    upsert(sample_record())
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0 and backlog() == 0


@pytest.mark.settings(SEARCH_SYNC_ON_COMMIT=False)
def test_a_commit_queues_its_changes_without_anyone_enqueueing(app, client):
    case = upsert(sample_record())
    db.session.commit()
    assert db.session.scalars(select(IndexQueue.case_id)).all() == [case.id] and hits(client, "高空抛物") == 0
    report = index_sync.sync()
    assert report.indexed == 1 and backlog() == 0 and hits(client, "高空抛物") == 1


@pytest.mark.settings(SEARCH_SYNC_ON_COMMIT=False)
def test_a_section_edit_alone_queues_its_case(app):
    case = upsert(sample_record())
    db.session.commit()
    index_sync.sync()
    db.session.get(CaseSection, case.sections[0].id).text = "物业公司应当承担补充责任。"
    db.session.commit()
    assert db.session.scalars(select(IndexQueue.case_id)).all() == [case.id]


def test_the_drain_after_commit_makes_the_case_searchable_at_once(app, client):
    upsert(sample_record())
    db.session.commit()
    assert backlog() == 0 and hits(client, "高空抛物") == 1


def test_a_bulk_update_is_queued_too(app, client):
    case = upsert(sample_record())
    db.session.commit()
    db.session.execute(update(Case).where(Case.id == case.id).values(status="withdrawn"))
    db.session.commit()
    assert hits(client, "高空抛物") == 0 and index_sync.backend().count() == 0


def test_an_issuer_kind_change_reindexes_its_cases(app, client):
    case = upsert(sample_record())
    db.session.commit()
    assert client.get("/api/v1/search", query_string={"issuer_kind": "court"}).get_json()["total"] == 1
    db.session.get(Issuer, case.issuer_id).kind = "procuratorate"
    db.session.commit()
    assert client.get("/api/v1/search", query_string={"issuer_kind": "court"}).get_json()["total"] == 0
    assert client.get("/api/v1/search", query_string={"issuer_kind": "procuratorate"}).get_json()["total"] == 1


def test_engine_down_keeps_rows_and_they_drain_when_it_returns(app, client, runner, tmp_path):
    working = app.extensions["search"]
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app.extensions["search"] = TantivyBackend(blocker / "index", lock_timeout=0.2)
    result = runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", [sample_record()]))])
    assert result.exit_code == 0  # publishing succeeds while the engine is unusable
    assert backlog() == 1
    assert runner.invoke(args=["search", "sync"]).exit_code == 1
    assert db.session.scalar(select(IndexQueue.attempts)) >= 1
    app.extensions["search"] = working
    assert runner.invoke(args=["search", "sync"]).exit_code == 0
    assert backlog() == 0 and hits(client, "高空抛物") == 1


def _hold_lock(path: str, ready, release) -> None:
    """Child process: hold the index writer lock until told to let go."""
    with FileLock(path).held():
        ready.set()
        release.wait(120)


def test_a_drain_after_commit_never_waits_for_a_busy_index(app, client, login, accounts):
    """While another process holds the writer lock (a rebuild), publishing returns at once and the
    rows wait; the next drain applies them."""
    from app.services import revisions, workflow

    revision = revisions.save(accounts.publisher, None, sample_record(source_id="busy-1"))
    workflow.submit(accounts.publisher, revision.id, confirm_findings=True)
    lock_path = str(index_sync.backend().directory / "lock")
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(lock_path, ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        token = login(client, accounts.reviewer)
        started = time.monotonic()
        response = client.post(f"/review/revisions/{revision.id}/approve", data={"csrf_token": token})
        waited = time.monotonic() - started
        assert response.status_code == 302 and waited < 10  # the lock waits up to 30 s
        assert backlog() == 1 and hits(client, "高空抛物") == 0
    finally:
        release.set()
        holder.join(60)
    assert index_sync.sync().rows == 1 and hits(client, "高空抛物") == 1


@pytest.mark.settings(SEARCH_SYNC_ON_COMMIT=False)
def test_healthz_is_degraded_while_rows_wait_too_long_and_when_counts_disagree(app, client):
    upsert(sample_record())
    db.session.commit()  # an importer killed right after its batch commit leaves this state
    assert client.get("/healthz").get_json()["status"] == "ok"  # a young row is normal
    db.session.execute(update(IndexQueue).values(created_at=dt.datetime(2000, 1, 1)))
    db.session.commit()
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["outbox_backlog"] == 1 and "1 rows waiting" in body["problems"][0]
    index_sync.sync()
    assert client.get("/healthz").get_json()["status"] == "ok"
    index_sync.backend().delete_many([db.session.scalar(select(Case.id))])  # the index lost a document
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["problems"] == [
        "index holds 0 documents, the database 1 listed cases"]


def test_a_killed_reindex_leaves_an_orphan_that_status_and_startup_remove(app, runner, tmp_path):
    """kill -9 a real rebuild half way: the live index keeps serving, and its leftover file goes."""
    upsert(sample_record())
    db.session.commit()
    directory = index_sync.backend().directory
    live = (directory / "CURRENT").read_text().strip()
    script = (
        "import sys, time\n"
        "from indexer.backends.tantivy import TantivyBackend\n"
        "from indexer.documents import SearchDocument\n"
        "def docs():\n"
        "    for i in range(10**6):\n"
        "        if i == 10: print('loading', flush=True)\n"
        "        time.sleep(0.01)\n"
        "        yield SearchDocument(id=i + 1000, fields={'title': '案例'})\n"
        f"TantivyBackend({str(directory)!r}).rebuild(docs())\n")
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "loading"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
        child.stdout.close()
    leftovers = [p.name for p in directory.glob("index-*") if p.name != live]
    assert leftovers  # what the killed rebuild wrote
    assert (directory / "CURRENT").read_text().strip() == live  # never made live
    state = json.loads(runner.invoke(args=["search", "status"]).stdout)
    assert state["removed_orphans"] and not [p for p in directory.glob("index-*") if not p.name.startswith(live)]
    assert state["in_step"] is True and state["engine"]["documents"] == 1

    (directory / "index-19990101000000-1-1").mkdir()
    (directory / "index-19990101000000-1-1" / "meta.json").write_text("left by a killed rebuild")
    from app import create_app
    from tests.helpers import make_config

    started = create_app(make_config(tmp_path))  # start-up cleans as well
    with started.app_context():
        db.engine.dispose()
    assert not (directory / "index-19990101000000-1-1").exists()


def test_reindex_rebuilds_from_the_database(app, client, runner, tmp_path):
    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", [sample_record()]))])
    old = index_sync.backend().health()["index"]
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "已索引 1 件案例" in result.output
    assert index_sync.backend().health()["index"] != old
    assert hits(client, "高空抛物") == 1
    status = json.loads(runner.invoke(args=["search", "status"]).stdout)
    assert status["engine"]["documents"] == status["listed_cases"] == 1 and status["outbox_backlog"] == 0
