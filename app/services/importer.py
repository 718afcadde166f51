"""Bulk import of interchange JSONL files, line by line, with a per-line error report.

Each line is validated and written inside its own savepoint: a bad line is reported with
file, line number, field and a Chinese message and leaves nothing behind, while good lines
still import. Batches are committed together with their outbox rows. New cases go in through
SQLAlchemy Core (app/services/case_bulk.py), and the index's documents for them are built from
the records; updates go through the ORM.

The de-identification check of official imports is the costliest step. In a large import it
runs in worker processes (IMPORT_WORKERS) one batch ahead of the writer: a worker gets the
title and section texts of the next batch's new or changed lines and sends back counts per
kind, while this process writes the current batch. Its findings still go into the audit log
in the same transaction as the case they belong to.
"""
from __future__ import annotations

import json
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import AuditEvent, Case
from app.services import case_bulk, duplicates, index_sync, linking
from app.services import cases as case_service
from app.services.taxonomy import all_terms
from indexer import analysis
from indexer.documents import field_texts
from legaltext import deid
from schemas.case import CaseRecordSchema
from schemas.errors import flatten

BATCH = 500  # lines per transaction and per index commit (= indexer.queue.BATCH: one drain per batch)
Line = tuple[str, int, dict]  # file, line number, validated record
Summary = tuple[int, dict[str, int]] | None  # deid.summary(): findings count and kinds, None without findings
_schema = CaseRecordSchema()  # reused: building a schema deep-copies its fields


@dataclass
class LineError:
    """One problem with one line."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.field}] {self.message}"


@dataclass
class ImportReport:
    """Counts and errors of one import run."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed_lines: int = 0
    errors: list[LineError] = field(default_factory=list)
    flagged_cases: int = 0  # cases with de-identification findings (recorded in the audit log)
    duplicate_groups: int = 0  # cases published more than once, each listed once (app/services/duplicates.py)
    findings: int = 0

    def add_failure(self, name: str, number: int, problems: list[tuple[str, str]]) -> None:
        """Record a line that was not imported."""
        self.failed_lines += 1
        self.errors += [LineError(name, number, field, message) for field, message in problems]

    @property
    def ok(self) -> bool:
        """True when every line imported."""
        return self.failed_lines == 0


def read_lines(path: Path) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text or None, decode error or None) for every non-blank line."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, None, f"不是有效的 UTF-8 编码（第 {exc.start + 1} 字节）。"
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            if text.strip():
                yield number, text, None


def parse_line(text: str) -> tuple[dict | None, list[tuple[str, str]]]:
    """Validated record, or None and [(field, message)]."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [("_line", f"不是有效的 JSON（第 {exc.colno} 列：{exc.msg}）。")]
    if not isinstance(obj, dict):
        return None, [("_line", "每行应为一个 JSON 对象。")]
    try:
        return _schema.load(obj), []
    except ValidationError as exc:
        return None, [(e["field"], m) for e in flatten(exc.messages) for m in e["messages"]]


def import_files(
    paths: Iterable[Path], on_line: Callable[[], None] | None = None, check_personal_data: bool = False,
) -> ImportReport:
    """Import every line of every file; `on_line` ticks a progress bar. Each batch commits with its
    outbox rows, and the index catches up after each commit (app/services/index_sync.py).

    Imported cases are already-public official publications: they bypass the de-identification
    block, but with `check_personal_data` the findings of every new or changed case are recorded
    in the audit log (kinds and counts only, never the personal data itself).
    """
    report = ImportReport()
    writer = _BatchWriter(report, check_personal_data)
    try:
        _feed(paths, writer, report, on_line)
        writer.flush()
    finally:
        writer.close()
    if report.created or report.updated:  # the same case published twice is listed once
        report.duplicate_groups = len(duplicates.link_duplicates())
        db.session.commit()
    return report


def _feed(paths: Iterable[Path], writer: _BatchWriter, report: ImportReport,
          on_line: Callable[[], None] | None) -> None:
    """Validate every line; hand good ones to the writer, report bad ones."""
    for path in paths:
        for number, text, decode_error in read_lines(Path(path)):
            problems = [("_line", decode_error)] if decode_error else []
            data = None
            if not problems and text is not None:  # text is None only with a decode error
                data, problems = parse_line(text)
            if problems:
                report.add_failure(str(path), number, problems)
            else:
                assert data is not None  # parse_line returns a record whenever it finds no problems
                writer.add(str(path), number, data)
            if on_line:
                on_line()


class _Checks:
    """Work on a batch's lines done ahead in a process pool: their de-identification check, and the
    analysis of the texts the index will hold (handed to indexer.analysis before the batch commits)."""

    def __init__(self, lines: list[Line], parts: list[AsyncResult] | None = None,
                 texts: list[str] | None = None, analysed: list[AsyncResult] | None = None):
        self.lines = lines
        self.parts = parts or []  # consecutive slices of `lines`, one per worker
        self.done: dict[tuple[str, int], Summary] = {}
        self.texts, self.analysed = texts or [], analysed or []  # `analysed`: consecutive slices of `texts`

    def hand_over_analysis(self) -> None:
        """Make the pool's index_text results available to this process's drain (waits)."""
        if self.analysed:
            analysis.remember_analysed(self.texts, [text for part in self.analysed for text in part.get()])

    def results(self) -> dict[tuple[str, int], Summary]:
        """Summaries by (file, line) of the lines the pool checked (waits for the pool)."""
        if self.parts:
            found = [summary for part in self.parts for summary in part.get()]
            self.done = dict(zip(((name, number) for name, number, _ in self.lines), found, strict=True))
            self.parts = []
        return self.done


class _BatchWriter:
    """Writes validated lines in batches; a batch that fails is retried line by line."""

    def __init__(self, report: ImportReport, check_personal_data: bool = False):
        self.report = report
        self.check_personal_data = check_personal_data
        self.terms = all_terms()
        self.issuers = case_service.IssuerCache()
        self.resolver = linking.ArticleResolver()
        self.pending: list[Line] = []
        self.ahead: list[tuple[list[Line], _Checks]] = []  # full batches whose check runs in the pool
        self.workers = current_app.config["IMPORT_WORKERS"]
        self.analyse_ahead = current_app.config["SEARCH_SYNC_ON_COMMIT"]  # the drain after each commit indexes
        self.pool: Pool | None = None
        self.digests: dict[tuple[str, int], str] = {}  # content hashes of lines not written yet

    def add(self, name: str, number: int, data: dict) -> None:
        """Queue a validated line; when a batch is full, start its check and write the batch before."""
        self.pending.append((name, number, data))
        if len(self.pending) >= BATCH:
            batch, self.pending = self.pending, []
            if self.workers:
                self.ahead.append((batch, self._start_checks(batch)))
                if len(self.ahead) > 1:
                    self._write_batch(*self.ahead.pop(0))
            else:
                self._write_batch(batch, _Checks([]))

    def flush(self) -> None:
        """Write everything still waiting."""
        while self.ahead:
            self._write_batch(*self.ahead.pop(0))
        batch, self.pending = self.pending, []
        if batch:
            self._write_batch(batch, _Checks([]))

    def close(self) -> None:
        """Stop the worker processes."""
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def _start_checks(self, batch: list[Line]) -> _Checks:
        """Send the texts of the lines that differ from what is stored to the pool (one task per worker)."""
        stored = dict(db.session.execute(select(Case.source_id, Case.content_hash).where(
            Case.source_id.in_({data["source_id"] for _, _, data in batch}))).tuples().all())
        lines = [line for line in batch if stored.get(line[2]["source_id"]) != self._digest(line)]
        if not lines or not (self.check_personal_data or self.analyse_ahead):
            return _Checks([])
        if self.pool is None:
            context = multiprocessing.get_context("forkserver")  # not fork: the engine's threads hold locks
            context.set_forkserver_preload(["legaltext.deid", "indexer.analysis"])
            self.pool = context.Pool(self.workers)
        checks = _Checks(lines)
        if self.check_personal_data:
            cases = [(data["title"], [s["text"] for s in data["sections"]]) for _, _, data in lines]
            size = -(-len(cases) // self.workers)
            checks.parts = [self.pool.apply_async(deid.summaries, (cases[i:i + size],))
                            for i in range(0, len(cases), size)]
        if self.analyse_ahead:
            checks.texts = sorted({text for _, _, data in lines for text in field_texts(_as_case(data)).values()})
            size = max(1, -(-len(checks.texts) // self.workers))
            checks.analysed = [self.pool.apply_async(analysis.index_texts, (checks.texts[i:i + size],))
                               for i in range(0, len(checks.texts), size)]
        return checks

    def _write_batch(self, batch: list[Line], checks: _Checks) -> None:
        """Write a batch: all at once, or one savepoint each if that fails."""
        summaries = checks.results()
        checks.hand_over_analysis()
        try:
            states = self._write(batch, summaries)
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            self.issuers.forget()
            states = self._write_one_by_one(batch, summaries)
        finally:
            analysis.forget_analysed()
        for state in states:
            setattr(self.report, state, getattr(self.report, state) + 1)

    def _digest(self, line: Line) -> str:
        """The record's content hash, computed once per line (the look-ahead needs it too)."""
        key = (line[0], line[1])
        if key not in self.digests:
            self.digests[key] = case_service.record_digest(line[2])
        return self.digests[key]

    def _write(self, batch: list[Line], summaries: dict[tuple[str, int], Summary], bulk: bool = True) -> list[str]:
        """Write every line of the batch; the caller commits (the outbox rows come with it).

        Lines with a source_id not stored yet and not repeated in the batch are inserted in bulk
        (app/services/case_bulk.py); the others are upserted through the ORM.
        """
        existing = case_service.existing_by_source_id([data["source_id"] for _, _, data in batch])
        seen = Counter(data["source_id"] for _, _, data in batch)
        new = [line for line in batch if bulk and line[2]["source_id"] not in existing
               and seen[line[2]["source_id"]] == 1]
        created = case_bulk.insert_new([(line[2], self._digest(line)) for line in new],
                                       self.terms, self.issuers, self.resolver)
        index_sync.note_bulk_insert(db.session, created)
        changed: dict[int, tuple[Case | case_bulk.RecordCase, Line]] = {
            id(case): (case, line) for case, line in zip(created, new, strict=True)}
        states = ["created"] * len(created)
        taken = {id(line) for line in new}
        for line in batch:
            if id(line) in taken:
                continue
            data = line[2]
            case, state = case_service.upsert(
                data, self.terms, self.issuers, existing.get(data["source_id"]), looked_up=True,
                resolver=self.resolver, digest=self._digest(line),
            )
            existing[data["source_id"]] = case  # a source_id repeated in one batch updates
            states.append(state)
            if state != "unchanged":
                changed[id(case)] = (case, line)  # the last line that changed a case is its content
        db.session.flush()
        if self.check_personal_data:
            self._record_findings([(case.id, self._findings(line, summaries)) for case, line in changed.values()])
        for name, number, _ in batch:
            self.digests.pop((name, number), None)
        return states

    @staticmethod
    def _findings(line: Line, summaries: dict[tuple[str, int], Summary]) -> Summary:
        """A line's de-identification summary: from the pool, or computed here."""
        name, number, data = line
        if (name, number) in summaries:
            return summaries[name, number]
        # not checked ahead (a small import, or the text matched what was stored)
        return deid.summary(data["title"], [s["text"] for s in data["sections"]])

    def _record_findings(self, found: list[tuple[int, Summary]]) -> None:
        """Audit-log the de-identification findings of imported cases (kinds and counts), in one insert."""
        flagged = [(case_id, summary) for case_id, summary in found if summary]
        if flagged:
            db.session.execute(insert(cast(Table, AuditEvent.__table__)), [
                {"actor_name": "导入", "action": "case.import_deid", "case_id": case_id,
                 "detail": {"count": count, "kinds": kinds}} for case_id, (count, kinds) in flagged])
        self.report.flagged_cases += len(flagged)
        self.report.findings += sum(count for _, (count, _) in flagged)

    def _write_one_by_one(self, batch: list[Line], summaries: dict[tuple[str, int], Summary]) -> list[str]:
        """Slow path: each line in its own savepoint, so one bad line loses only itself."""
        states = []
        for name, number, data in batch:
            savepoint = db.session.begin_nested()
            try:
                states += self._write([(name, number, data)], summaries, bulk=False)
                savepoint.commit()
            except SQLAlchemyError as exc:
                savepoint.rollback()
                self.issuers.forget()  # an issuer created inside the savepoint is gone with it
                self.report.add_failure(name, number, [("_line", f"写入数据库失败：{type(exc).__name__}")])
        db.session.commit()
        return states



def _as_case(data: dict) -> SimpleNamespace:
    """A validated record shaped like the Case it becomes, as far as field_texts() reads it."""
    sections = [SimpleNamespace(kind=s["kind"], heading=s.get("heading", ""), text=s["text"]) for s in data["sections"]]
    return SimpleNamespace(**{name: data.get(name) for name in (
        "title", "keywords", "summary", "document_number", "case_number", "court")}, sections=sections)
