"""Cases: create or update from interchange records, read, export. Callers commit."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from sqlalchemy import select

from app.extensions import db
from app.models import Case, CaseSection, CaseStatus, CaseTag, Issuer, TaxonomyTerm
from app.services import linking, tagging
from schemas.case import CaseRecordSchema

_record_schema = CaseRecordSchema()


class IssuerCache:
    """Issuers by (name, kind), created on first use within one session."""

    def __init__(self):
        self._known: dict[tuple[str, str], Issuer] = {}

    def forget(self) -> None:
        """Drop cached rows (after a rollback may have removed some)."""
        self._known.clear()

    def get(self, name: str, kind: str) -> Issuer:
        """The issuer row for (name, kind), created if missing."""
        key = (name, kind)
        if key not in self._known:
            issuer = db.session.scalar(select(Issuer).filter_by(name=name, kind=kind))
            if issuer is None:
                issuer = Issuer(name=name, kind=kind)
                db.session.add(issuer)
                db.session.flush()
            self._known[key] = issuer
        return self._known[key]


def record_hash(record: dict) -> str:
    """Stable hash of a dumped interchange record."""
    canonical = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_digest(data: dict) -> str:
    """content_hash of a validated interchange record (what tells an unchanged re-import)."""
    return record_hash(_record_schema.dump(data))


def to_record(case: Case) -> dict:
    """The case in the interchange format (what export writes)."""
    return _record_schema.dump(case)


def upsert(data: dict, terms: list[TaxonomyTerm], issuers: IssuerCache, existing: Case | None = None,
           looked_up: bool = False, resolver: linking.Resolver | None = None,
           digest: str | None = None) -> tuple[Case, str]:
    """Create or update the case with data's source_id; return (case, created|updated|unchanged).

    `data` is the output of CaseRecordSchema.load. Automatic tags are recomputed; tags a
    person set (auto=False) are kept. Pass `existing` (and looked_up=True) when the caller
    already fetched the row, and `digest` when it already computed record_digest(data). The
    caller commits; the outbox rows come with it (index_sync).
    """
    digest = digest or record_digest(data)
    case = existing if looked_up else db.session.scalar(select(Case).filter_by(source_id=data["source_id"]))
    if case is not None and case.content_hash == digest:
        return case, "unchanged"
    state = "updated"
    if case is None:
        case = Case(source_id=data["source_id"], status=CaseStatus.PUBLISHED)
        state = "created"
    with db.session.no_autoflush:  # the issuer look-up must not flush a half-filled case
        _assign(case, data, issuers)
        case.content_hash = digest
        case.citations = linking.extract(case, resolver or linking.ArticleResolver())
        apply_auto_tags(case, terms)  # law topics follow the citations
    db.session.add(case)
    return case, state


def existing_by_source_id(source_ids: list[str]) -> dict[str, Case]:
    """Cases already stored for these interchange ids (one query)."""
    rows: Iterable[Case] = db.session.scalars(select(Case).where(Case.source_id.in_(source_ids))) if source_ids else []
    return {case.source_id: case for case in rows}


def _assign(case: Case, data: dict, issuers: IssuerCache) -> None:
    """Copy validated interchange fields onto the model."""
    for name in ("title", "summary", "case_type", "document_number", "case_number", "court",
                 "region", "judgment_date", "published_date", "keywords"):
        setattr(case, name, data.get(name))
    case.issuer = issuers.get(data["issuer"]["name"], data["issuer"]["kind"])
    source = data.get("source") or {}
    case.source_name = source.get("name")
    case.source_url = source.get("url")
    case.plain = {key: text for key, text in (data.get("plain") or {}).items() if text} or None
    case.sections = [
        CaseSection(position=i, kind=s["kind"], heading=s.get("heading", ""), text=s["text"])
        for i, s in enumerate(data["sections"])
    ]


def apply_auto_tags(case: Case, terms: list[TaxonomyTerm]) -> None:
    """Replace the case's automatic tags with fresh suggestions; keep manual ones."""
    manual = {tag.term_id for tag in case.tags if not tag.auto}
    by_id = {term.id: term for term in terms}
    case.tags = [tag for tag in case.tags if not tag.auto] + [
        CaseTag(term=by_id[s.term_id], auto=True, evidence=s.evidence)
        for s in tagging.suggest(case, terms)
        if s.term_id not in manual
    ]


def get_published(case_id: int) -> Case | None:
    """A case the public may see, or None."""
    case = db.session.get(Case, case_id)
    return case if case is not None and case.is_public else None


def find_by_source_id(source_id: str) -> Case | None:
    """A published case by its interchange id, or None."""
    return db.session.scalar(select(Case).where(Case.source_id == source_id, Case.is_public))


def tag_list(case: Case, scheme: str) -> list[dict]:
    """A case's tags of one scheme, as the API shows them."""
    tags = sorted((t for t in case.tags if t.term.scheme == scheme), key=lambda t: t.term.position)
    return [{"code": t.term.code, "name": t.term.name, "auto": t.auto, "evidence": t.evidence} for t in tags]
