"""The outbox: enqueue in the caller's transaction, drain into the search backend.

A row is written in the same transaction as the case change it describes, so the index
can always catch up: after a crash, with the engine down, or after a failed drain.
Draining is idempotent (documents are rebuilt from the database's current state) and
serialised by `writer_lock`, so concurrent drains never apply stale state: each row is applied
once, in id order. The lock is the backend's file lock (processes on one machine) plus, on
PostgreSQL, an advisory lock (processes on several machines sharing one database).
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from app.extensions import AnySession
from app.models import IndexQueue
from indexer.backends.base import IndexBusy, SearchUnavailable
from indexer.documents import SearchDocument

BATCH = 500
ADVISORY_LOCK_KEY = 0x79_61_6E_73  # "yans": one cluster-wide lock for index writers
ADVISORY_LOCK_WAIT = 30.0  # seconds a waiting writer polls for the database lock
# load(ids) → (documents for ids that should be searchable, ids that should not)
Loader = Callable[[list[int]], tuple[list[SearchDocument], list[int]]]


@dataclass
class DrainReport:
    """What one drain did."""

    indexed: int = 0
    deleted: int = 0
    rows: int = 0
    error: str | None = None
    busy: bool = False  # another writer held the lock; the rows wait for it or the next drain


def enqueue(session: Session, case_ids: Iterable[int], op: str = "upsert") -> None:
    """Add outbox rows to the caller's transaction (committed with the case change).

    Called by the session events of app/services/index_sync.py only: nobody enqueues by hand.
    """
    session.add_all(IndexQueue(case_id=case_id, op=op) for case_id in case_ids)


def oldest_age(session: AnySession, now) -> float | None:
    """Seconds the oldest waiting row has waited, or None when the outbox is empty."""
    oldest = session.scalar(select(func.min(IndexQueue.created_at)))
    return (now - oldest).total_seconds() if oldest else None


def backlog(session: AnySession) -> int:
    """Number of outbox rows waiting."""
    return session.scalar(select(func.count()).select_from(IndexQueue)) or 0


@contextlib.contextmanager
def writer_lock(session: AnySession, backend, wait: bool = True) -> Iterator[None]:
    """Serialise index writers: the backend's lock, and PostgreSQL's advisory lock when shared.

    wait=False (drains inside a web request) raises IndexBusy at once instead of waiting.
    """
    with backend.locked(wait), _database_lock(session, wait):
        yield


@contextlib.contextmanager
def _database_lock(session: AnySession, wait: bool) -> Iterator[None]:
    """On PostgreSQL, hold an advisory lock on a connection of its own (commits don't release it)."""
    engine = session.get_bind().engine  # the Engine itself, or the one a bound Connection belongs to
    if engine.dialect.name != "postgresql":
        yield  # SQLite lives on one machine: the backend's file lock is enough
        return
    with engine.connect() as conn:
        deadline = time.monotonic() + (ADVISORY_LOCK_WAIT if wait else 0.0)
        while not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar():
            if time.monotonic() >= deadline:
                conn.rollback()
                raise IndexBusy("search index is busy (another machine's writer holds the database lock)")
            time.sleep(0.1)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()


def drain(session: AnySession, backend, load: Loader, max_rows: int | None = None, wait: bool = True) -> DrainReport:
    """Apply waiting rows to the backend in id order; on engine failure leave them, noted.

    With wait=False a busy writer lock ends the drain at once (report.busy): the rows stay for
    whoever holds the lock, the next drain, or `flask search sync --follow`.
    """
    report = DrainReport()
    try:
        with writer_lock(session, backend, wait):
            _drain_locked(session, backend, load, max_rows, report)
    except IndexBusy as exc:  # not a failure of the engine: nothing to note on the rows
        session.rollback()
        report.busy, report.error = True, f"{type(exc).__name__}: {exc}"
    except SearchUnavailable as exc:  # could not even lock/open the index
        session.rollback()
        waiting = session.scalars(select(IndexQueue.id).order_by(IndexQueue.id).limit(BATCH)).all()
        _note_failure(session, list(waiting), exc)
        report.error = f"{type(exc).__name__}: {exc}"
    return report


def _drain_locked(session: AnySession, backend, load: Loader, max_rows: int | None, report: DrainReport) -> None:
    """Drain while holding the backend's writer lock."""
    session.commit()  # start a fresh transaction: read state committed before the lock
    while max_rows is None or report.rows < max_rows:
        rows = session.scalars(select(IndexQueue).order_by(IndexQueue.id).limit(BATCH)).all()
        if not rows:
            return
        try:
            _apply(rows, backend, load, report)
        except Exception as exc:  # engine down or failing: rows stay queued for a retry
            session.rollback()
            _note_failure(session, [r.id for r in rows], exc)
            report.error = f"{type(exc).__name__}: {exc}"
            return
        session.execute(delete(IndexQueue).where(IndexQueue.id.in_([r.id for r in rows])))
        session.commit()
        report.rows += len(rows)


def _apply(rows: Sequence[IndexQueue], backend, load: Loader, report: DrainReport) -> None:
    """Apply the newest operation per case among `rows`."""
    latest: dict[int, str] = {}
    for row in rows:
        latest[row.case_id] = row.op
    upserts = [cid for cid, op in latest.items() if op == "upsert"]
    deletes = [cid for cid, op in latest.items() if op != "upsert"]
    docs, hidden = load(upserts)
    report.deleted += backend.delete_many(deletes + hidden)
    report.indexed += backend.index_many(docs)


def _note_failure(session: AnySession, ids: list[int], exc: Exception) -> None:
    """Record an attempt on rows that could not be applied."""
    session.execute(
        update(IndexQueue)
        .where(IndexQueue.id.in_(ids))
        .values(attempts=IndexQueue.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000])
    )
    session.commit()
