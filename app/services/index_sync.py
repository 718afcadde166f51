"""Keeping the search index in step with the database: one unit of work, then one drain.

Nobody enqueues by hand. SQLAlchemy session events see every change that alters a case's search
document — the case, its sections, tags and citations, its issuer, a taxonomy term — and write the
outbox rows (indexer/queue.py) in the same transaction (`before_commit`). After the commit one
drain is triggered; it never waits for the writer lock: when a rebuild or another drain holds it,
the rows stay for that writer, the next drain or `flask search sync --follow`. Over-counting is
harmless (a drain rebuilds each document from the database's current state), so the events err
on the side of queueing.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator
from typing import Any, cast

from flask import current_app, has_app_context
from sqlalchemy import Table, event, func, inspect, select
from sqlalchemy.orm import Session, selectinload

from app.extensions import AnySession, db
from app.models import Case, CaseCitation, CaseSection, CaseTag, IndexQueue, Issuer, TaxonomyTerm
from app.models.user import utcnow
from app.services.search import backend
from indexer import queue
from indexer.backends.base import IndexBusy
from indexer.documents import SearchDocument, build_document

log = logging.getLogger(__name__)
REBUILD_CHUNK = 500
_CASES = "index_sync.case_ids"  # session.info keys
_ISSUERS = "index_sync.issuer_ids"
_TERMS = "index_sync.term_ids"
_DRAIN = "index_sync.drain"
_PREBUILT = "index_sync.prebuilt"  # case id → object to build the search document from (bulk inserts)
# Children whose rows carry the case they belong to.
_CHILDREN = (CaseSection, CaseTag, CaseCitation)
# What a search document reads of an issuer or a term (facet values): other columns are display only.
_ISSUER_FIELDS = ("kind",)
_TERM_FIELDS = ("code", "scheme")


# ---- documents from the database ----------------------------------------------------------------
def load_documents(session: AnySession, ids: list[int],
                   prebuilt: dict[int, Any] | None = None) -> tuple[list[SearchDocument], list[int]]:
    """Search documents for the listed cases among `ids`, and the ids that must not be searchable
    (not public, or another publication of a listed case). Cases in `prebuilt` (inserted in bulk
    by the transaction just committed) are built from the objects given, not reloaded."""
    prebuilt = prebuilt or {}
    reload = [i for i in ids if i not in prebuilt]
    query = select(Case).where(Case.id.in_(reload)).options(selectinload(Case.citations))
    rows = session.scalars(query).all() if reload else []
    cases = [prebuilt[i] for i in ids if i in prebuilt] + list(rows)
    docs = [build_document(c) for c in cases if c.is_listed]
    shown = {d.id for d in docs}
    return docs, [i for i in ids if i not in shown]


def note_bulk_insert(session: AnySession, cases: Iterable[Any]) -> None:
    """Cases inserted through Core (no flush sees them): queue them like flushed ones, and let the
    drain after the commit build their documents from these objects (they read like a Case:
    app/services/case_bulk.py RecordCase) instead of reloading them."""
    prebuilt = session.info.setdefault(_PREBUILT, {})
    noted = session.info.setdefault(_CASES, set())
    for case in cases:
        noted.add(case.id)
        prebuilt[case.id] = case


def listed_documents(session: AnySession) -> Iterator[SearchDocument]:
    """Search documents of every listed case, streamed in id order (memory stays flat)."""
    last_id = 0
    while True:
        chunk = session.scalars(
            select(Case).where(Case.is_listed, Case.id > last_id).order_by(Case.id)
            .options(selectinload(Case.citations)).limit(REBUILD_CHUNK)
        ).all()
        if not chunk:
            return
        yield from (build_document(case) for case in chunk)
        last_id = chunk[-1].id
        session.expunge_all()


def listed_count(session: AnySession | None = None) -> int:
    """Number of listed cases (what the index should hold)."""
    session = session or db.session
    return session.scalar(select(func.count()).select_from(Case).where(Case.is_listed)) or 0


# ---- draining and rebuilding --------------------------------------------------------------------
def sync(wait: bool = True, max_rows: int | None = None) -> queue.DrainReport:
    """Apply waiting outbox rows to the index (the CLI waits for the writer lock; requests don't)."""
    return queue.drain(db.session, backend(), functools.partial(load_documents, db.session), max_rows, wait)


def reindex(progress=None) -> int:
    """Rebuild the whole index from the database beside the live one, swap, then catch up."""
    engine = backend()
    with queue.writer_lock(db.session, engine):
        covered = db.session.scalar(select(func.max(IndexQueue.id))) or 0
        count = engine.rebuild(listed_documents(db.session), progress)
        # a mapped class's __table__ is a Table (typed as the general FromClause)
        db.session.execute(cast(Table, IndexQueue.__table__).delete().where(IndexQueue.id <= covered))
        db.session.commit()
    sync()
    return count


def cleanup() -> list[str]:
    """Remove what killed rebuilds left behind (only when no writer is busy)."""
    try:
        with queue.writer_lock(db.session, backend(), wait=False):
            return backend().cleanup()
    except IndexBusy:
        return []


def status(session: AnySession | None = None) -> dict:
    """Is the index in step? Outbox backlog, the oldest row's age, documents vs listed cases."""
    session = session or db.session
    engine = backend().health()
    backlog = queue.backlog(session)
    age = queue.oldest_age(session, utcnow())
    listed = listed_count(session)
    problems = []
    if age is not None and age > current_app.config["OUTBOX_MAX_AGE_SECONDS"]:
        problems.append(f"outbox: {backlog} rows waiting, the oldest for {int(age)} s")
    if engine.get("ok") and not backlog and engine.get("documents") != listed:
        problems.append(f"index holds {engine.get('documents')} documents, the database {listed} listed cases")
    return {"engine": engine, "outbox_backlog": backlog, "outbox_oldest_seconds": age, "listed_cases": listed,
            "in_step": not problems and engine.get("ok", False), "problems": problems}


def _drain_after_commit(prebuilt: dict[int, Any] | None = None) -> None:
    """One non-blocking drain on a session of its own, right after a commit that queued rows."""
    if not has_app_context() or not current_app.config["SEARCH_SYNC_ON_COMMIT"]:
        return
    try:
        with Session(db.engine) as session:
            report = queue.drain(session, backend(), functools.partial(load_documents, session, prebuilt=prebuilt),
                                 max_rows=queue.BATCH, wait=False)
    except Exception:  # a failed drain must never fail the commit that triggered it
        log.exception("index drain after commit failed; rows stay queued")
        return
    if report.error:
        log.info("index drain after commit left rows queued: %s", report.error)


# ---- the unit of work: session events -----------------------------------------------------------
def _info(session: Session, key: str) -> set[int]:
    """A set kept in session.info for this transaction."""
    return session.info.setdefault(key, set())


def _changed(obj, fields: tuple[str, ...]) -> bool:
    """Did any of `fields` change on a persistent object?"""
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context) -> None:
    """Note the cases whose search document this flush may have changed."""
    cases, issuers, terms = _info(session, _CASES), _info(session, _ISSUERS), _info(session, _TERMS)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Case):
            cases.add(obj.id)
        elif isinstance(obj, _CHILDREN):
            if obj.case_id is not None:
                cases.add(obj.case_id)
        elif isinstance(obj, Issuer) and obj not in session.new and _changed(obj, _ISSUER_FIELDS):
            issuers.add(obj.id)
        elif isinstance(obj, TaxonomyTerm) and obj not in session.new and (
                obj in session.deleted or _changed(obj, _TERM_FIELDS)):
            terms.add(obj.id)


@event.listens_for(Session, "do_orm_execute")
def _collect_bulk(state) -> None:
    """Bulk UPDATE/DELETE statements bypass the flush: note the rows their WHERE clause selects."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    entity = state.bind_mapper.class_
    key = {Case: Case.id, CaseSection: CaseSection.case_id, CaseTag: CaseTag.case_id,
           CaseCitation: CaseCitation.case_id, Issuer: Issuer.id, TaxonomyTerm: TaxonomyTerm.id}.get(entity)
    if key is None:
        return
    query = select(key)
    if state.statement.whereclause is not None:
        query = query.where(state.statement.whereclause)
    ids = set(state.session.execute(query.with_for_update()).scalars())
    target = {Issuer: _ISSUERS, TaxonomyTerm: _TERMS}.get(entity, _CASES)
    _info(state.session, target).update(ids)


@event.listens_for(Session, "before_commit")
def _write_outbox(session: Session) -> None:
    """Write one outbox row per noted case into the transaction that is committing."""
    session.flush()  # changes not flushed yet are noted now
    cases = session.info.pop(_CASES, set())
    issuers, terms = session.info.pop(_ISSUERS, set()), session.info.pop(_TERMS, set())
    if issuers:
        cases |= set(session.scalars(select(Case.id).where(Case.issuer_id.in_(issuers))))
    if terms:
        cases |= set(session.scalars(select(CaseTag.case_id).where(CaseTag.term_id.in_(terms))))
    cases.discard(None)
    if cases:
        queue.enqueue(session, sorted(cases))
        session.info[_DRAIN] = True


@event.listens_for(Session, "after_commit")
def _drain(session: Session) -> None:
    """After a commit that queued rows, one drain."""
    prebuilt = session.info.pop(_PREBUILT, None)
    if session.info.pop(_DRAIN, False):
        _drain_after_commit(prebuilt)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    """A rolled-back transaction changed nothing: forget what it noted (savepoints keep it)."""
    if previous_transaction.parent is None and not previous_transaction.nested:
        for key in (_CASES, _ISSUERS, _TERMS, _DRAIN, _PREBUILT):
            session.info.pop(key, None)
