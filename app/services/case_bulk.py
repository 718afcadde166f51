"""Many new cases at once through SQLAlchemy Core: what cases.upsert() stores, without ORM objects.

Used by the importer for lines whose source_id is new (updates stay on the ORM path). The rows
are exactly those upsert() + flush would write: the case, its sections, its automatic tags and
its citations. Each case comes back as a `RecordCase` (id set), which reads like a Case as far
as tagging, search documents and the audit need, so the search document can be built from the
record instead of reloading the case (index_sync.note_bulk_insert).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert

from app.extensions import db
from app.models import Case, CaseCitation, CaseSection, CaseStatus, CaseTag, Issuer, TaxonomyTerm
from app.services import linking, tagging
from app.services.cases import IssuerCache

_COPIED = ("title", "summary", "case_type", "document_number", "case_number", "court",
           "region", "judgment_date", "published_date", "keywords")


def _table(model) -> Table:
    """A mapped class's table (typed as the general FromClause)."""
    return cast(Table, model.__table__)


@dataclass
class RecordSection:
    """A section of a record, shaped like CaseSection."""

    position: int
    kind: str
    heading: str
    text: str


@dataclass
class RecordTag:
    """An automatic tag of a record, shaped like CaseTag."""

    term: TaxonomyTerm
    evidence: str
    auto: bool = True


@dataclass
class RecordCitation:
    """A citation of a record, shaped like CaseCitation (the columns documents read)."""

    law_title: str | None
    number: int
    sub: int


@dataclass
class RecordCase:
    """A validated record about to become a new case, read like a Case (same derived properties)."""

    data: dict
    issuer: Issuer
    content_hash: str
    id: int = 0
    sections: list[RecordSection] = field(default_factory=list)
    tags: list[RecordTag] = field(default_factory=list)
    citations: list[RecordCitation] = field(default_factory=list)
    status: str = CaseStatus.PUBLISHED
    canonical_id: int | None = None

    def __getattr__(self, name: str) -> Any:
        if name in _COPIED:  # the interchange fields, as _assign copies them
            return self.data.get(name)
        raise AttributeError(name)

    @property
    def issuer_id(self) -> int:
        """The issuer's row id."""
        return self.issuer.id

    @property
    def is_listed(self) -> bool:
        """A new imported case is public and nobody's other publication (duplicates come later)."""
        return True

    # the same rules as Case, not copies of them
    year = Case.year
    cited_law_names = Case.cited_law_names
    tag_codes = Case.tag_codes
    tag_names = Case.tag_names
    _terms = Case._terms


def _case_row(case: RecordCase) -> dict:
    """The cases row of a record (what _assign + upsert set)."""
    data = case.data
    source = data.get("source") or {}
    row = {name: data.get(name) for name in _COPIED}
    row.update(source_id=data["source_id"], status=CaseStatus.PUBLISHED, issuer_id=case.issuer.id,
               source_name=source.get("name"), source_url=source.get("url"), content_hash=case.content_hash,
               plain={key: text for key, text in (data.get("plain") or {}).items() if text} or None,
               canonical_id=None)
    return row


def prepare(data: dict, digest: str, terms: list[TaxonomyTerm], issuers: IssuerCache,
            resolver: linking.Resolver) -> tuple[RecordCase, list[dict]]:
    """A record's case with sections, tags and citations computed; and its citation rows."""
    case = RecordCase(data, issuers.get(data["issuer"]["name"], data["issuer"]["kind"]), digest)
    case.sections = [RecordSection(i, s["kind"], s.get("heading", ""), s["text"])
                     for i, s in enumerate(data["sections"])]
    citations = linking.citation_rows(case, resolver)
    case.citations = [RecordCitation(c["law_title"], c["number"], c["sub"]) for c in citations]
    by_id = {term.id: term for term in terms}
    case.tags = [RecordTag(by_id[s.term_id], s.evidence) for s in tagging.suggest(case, terms)]
    return case, citations


def insert_new(records: list[tuple[dict, str]], terms: list[TaxonomyTerm], issuers: IssuerCache,
               resolver: linking.Resolver) -> list[RecordCase]:
    """Insert (validated record, content hash) pairs as new published cases, in order; the caller
    commits and notes them for the index (index_sync.note_bulk_insert)."""
    if not records:
        return []
    prepared = [prepare(data, digest, terms, issuers, resolver) for data, digest in records]
    statement = insert(_table(Case)).returning(_table(Case).c.id, sort_by_parameter_order=True)
    ids = db.session.execute(statement, [_case_row(case) for case, _ in prepared]).scalars().all()
    sections, tags, citations = [], [], []
    for (case, rows), case_id in zip(prepared, ids, strict=True):
        case.id = case_id
        sections += [{"case_id": case_id, "position": s.position, "kind": s.kind, "heading": s.heading,
                      "text": s.text} for s in case.sections]
        tags += [{"case_id": case_id, "term_id": t.term.id, "auto": True, "evidence": t.evidence} for t in case.tags]
        citations += [{"case_id": case_id, **row} for row in rows]
    for model, rows in ((CaseSection, sections), (CaseTag, tags), (CaseCitation, citations)):
        if rows:
            db.session.execute(insert(_table(model)), rows)
    return [case for case, _ in prepared]

