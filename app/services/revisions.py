"""Revisions: what the editor starts from, saving a draft, and the publishers' and reviewers' lists.

A case's content lives in revisions (interchange-record snapshots, CaseRecordSchema dumps). The
`cases` row holds what the public sees: a reviewer's approval writes a revision onto it
(app/services/workflow.py), so editing a published case never changes the public version before
approval. A case never published yet mirrors its working draft in the row, which only its
organisation and the reviewers see (CaseStatus.DRAFT); review states belong to the revision.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import AuditEvent, Case, CaseRevision, CaseStatus, CaseTag, Issuer, RevisionState, User
from app.models.user import utcnow
from app.models.workflow import WORKING_STATES
from app.services import cases as case_service
from app.services import linking, tagging
from app.services.auth import audit, require
from app.services.errors import Missing, PermissionDenied, WorkflowError
from app.services.taxonomy import all_terms
from schemas.case import CaseRecordSchema

_schema = CaseRecordSchema()


SCHEMES = ("hot_issue", "law_topic")


PAGE_SIZE = 50


# ---- tag suggestions -----------------------------------------------------------------------
class NoArticles:
    """A resolver that links nothing: suggestions need law names, not article rows."""

    def resolve(self, *args) -> None:
        return None


def suggest_tags(record: dict) -> dict[str, str]:
    """Automatic tag suggestions for a (possibly incomplete) record: {"scheme:code": evidence}."""
    sections = [SimpleNamespace(kind=s.get("kind", "other"), text=s.get("text", ""))
                for s in record.get("sections", [])]
    draft = SimpleNamespace(title=record.get("title", ""), summary=record.get("summary"),
                            keywords=record.get("keywords") or [], case_type=record.get("case_type"),
                            sections=sections)
    laws = {c.law_title.removeprefix("中华人民共和国") for c in linking.extract(draft, NoArticles()) if c.law_title}
    draft.cited_law_names = lambda: sorted(laws)
    terms = {term.id: term for term in all_terms()}
    return {f"{terms[s.term_id].scheme}:{terms[s.term_id].code}": s.evidence
            for s in tagging.suggest(draft, list(terms.values()))}


def overrides_from_choice(chosen: set[str], shown_suggestions: set[str]) -> dict:
    """The editor's departures from the suggestions it showed: {"add": [...], "remove": [...]}."""
    return {"add": sorted(chosen - shown_suggestions), "remove": sorted(shown_suggestions - chosen)}


def effective_tags(suggested: set[str], overrides: dict) -> set[str]:
    """Suggestions minus what the editor removed, plus what they added ("scheme:code" keys)."""
    return (suggested - set(overrides.get("remove", []))) | set(overrides.get("add", []))


def tag_names(keys: set[str]) -> dict[str, list[str]]:
    """{"hot_issue": [names], "law_topic": [names]} for "scheme:code" keys, in taxonomy order."""
    out: dict[str, list[str]] = {scheme: [] for scheme in SCHEMES}
    for term in all_terms():
        if f"{term.scheme}:{term.code}" in keys:
            out.setdefault(term.scheme, []).append(term.name)
    return out


def tag_keys(names: dict) -> set[str]:
    """The inverse of tag_names."""
    wanted = {(scheme, name) for scheme, items in (names or {}).items() for name in items}
    return {f"{t.scheme}:{t.code}" for t in all_terms() if (t.scheme, t.name) in wanted}


def case_tag_names(case: Case) -> dict[str, list[str]]:
    """A stored case's tags in the revision form."""
    return {scheme: case.tag_names(scheme) for scheme in SCHEMES}


# ---- reading -------------------------------------------------------------------------------
def get_case(actor: User, case_id: int, permission: str = "case.read_internal") -> Case:
    """A case the actor may use with `permission`; Missing if it does not exist."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise Missing("case")
    require(actor, permission, case)
    return case


def get_revision(actor: User, revision_id: int, permission: str = "case.read_internal") -> CaseRevision:
    """A revision whose case the actor may use with `permission`."""
    revision = db.session.get(CaseRevision, revision_id)
    if revision is None:
        raise Missing("revision")
    require(actor, permission, revision.case)
    return revision


def working_revision(case_id: int) -> CaseRevision | None:
    """The revision being edited or reviewed (at most one per case)."""
    return db.session.scalar(select(CaseRevision).where(
        CaseRevision.case_id == case_id, CaseRevision.state.in_(WORKING_STATES)
    ).order_by(CaseRevision.number.desc()).limit(1))


def revisions(actor: User, case_id: int) -> tuple[Case, list[CaseRevision]]:
    """A case and all its revisions, newest first."""
    case = get_case(actor, case_id)
    rows = db.session.scalars(select(CaseRevision).filter_by(case_id=case_id).order_by(CaseRevision.number.desc()))
    return case, list(rows)


def public_snapshot(case: Case) -> tuple[dict, dict] | None:
    """(record, tags) of the version the public sees or saw, or None if never published."""
    if not case.was_public:
        return None
    return case_service.to_record(case), case_tag_names(case)


def editor_state(actor: User, case_id: int | None) -> dict:
    """What the editor starts from: record, tag keys, overrides and the working revision."""
    if case_id is None:
        require(actor, "case.edit")
        org = require_organisation(actor)
        record = {"issuer": {"name": org.name, "kind": org.kind}, "region": org.region or "", "sections": [
            {"kind": "facts", "heading": "基本案情", "text": ""}]}
        return {"case": None, "revision": None, "record": record, "overrides": {}, "tags": None}
    case = get_case(actor, case_id, "case.edit")
    revision = working_revision(case.id)
    if revision is not None:
        return {"case": case, "revision": revision, "record": revision.record,
                "overrides": revision.tag_overrides or {}, "tags": tag_keys(revision.tags)}
    record, tags = public_snapshot(case) or (case_service.to_record(case), case_tag_names(case))
    return {"case": case, "revision": None, "record": record, "overrides": {}, "tags": tag_keys(tags)}


@dataclass
class DashboardPage:
    """The publisher's work in progress and a page of all their organisation's cases."""

    working: list[CaseRevision]
    cases: list[Case]
    total: int
    page: int
    pages: int
    # working revisions by state (draft, submitted, returned) and public cases (published, withdrawn)
    counts: dict[str, int] = field(default_factory=dict)


def dashboard(actor: User, page: int = 1) -> DashboardPage:
    """Drafts, submitted and returned revisions first; then every case of the organisation."""
    require(actor, "case.edit")
    require_organisation(actor)
    org = actor.organisation_id
    working = list(db.session.scalars(
        select(CaseRevision).join(Case, Case.id == CaseRevision.case_id)
        .where(Case.issuer_id == org, CaseRevision.state.in_(WORKING_STATES))
        .order_by(CaseRevision.updated_at.desc())))
    total = db.session.scalar(select(func.count()).select_from(Case).where(Case.issuer_id == org)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    cases = list(db.session.scalars(select(Case).where(Case.issuer_id == org)
                                    .order_by(Case.updated_at.desc(), Case.id.desc())
                                    .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    counts: dict[str, int] = {state: sum(1 for r in working if r.state == state) for state in WORKING_STATES}
    counts.update(db.session.execute(select(Case.status, func.count()).where(
        Case.issuer_id == org, Case.status != CaseStatus.DRAFT).group_by(Case.status)).tuples().all())
    return DashboardPage(working, cases, total, page, pages, counts)


def review_queue(actor: User, organisation_id: int | None = None) -> list[CaseRevision]:
    """Submitted revisions, the longest waiting first, optionally of one organisation."""
    require(actor, "case.review")
    query = (select(CaseRevision).join(Case, Case.id == CaseRevision.case_id)
             .where(CaseRevision.state == RevisionState.SUBMITTED).order_by(CaseRevision.submitted_at, CaseRevision.id))
    if organisation_id:
        query = query.where(Case.issuer_id == organisation_id)
    return list(db.session.scalars(query))


def queue_organisations(actor: User) -> list[tuple[Issuer, int]]:
    """Organisations with submitted revisions and how many each has waiting."""
    require(actor, "case.review")
    rows = db.session.execute(
        select(Issuer, func.count(CaseRevision.id)).join(Case, Case.issuer_id == Issuer.id)
        .join(CaseRevision, CaseRevision.case_id == Case.id).where(CaseRevision.state == RevisionState.SUBMITTED)
        .group_by(Issuer.id).order_by(Issuer.name)).all()
    return [(org, count) for org, count in rows]


def recently_published(actor: User, limit: int = 30) -> list[CaseRevision]:
    """Revisions most recently published through review (for reviewers and admins)."""
    require(actor, "case.oversee")
    return list(db.session.scalars(select(CaseRevision).where(CaseRevision.state == RevisionState.PUBLISHED)
                                   .order_by(CaseRevision.reviewed_at.desc()).limit(limit)))


def withdrawal_notice(case: Case) -> AuditEvent | None:
    """The audit row of a withdrawn case's withdrawal (date and public reason)."""
    return db.session.scalar(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "case.withdraw").order_by(AuditEvent.id.desc()).limit(1))


# ---- writing -------------------------------------------------------------------------------
def require_organisation(actor: User) -> Issuer:
    """A publisher without an organisation cannot publish anything (an admin must assign one); returns it."""
    if actor.organisation is None:
        raise PermissionDenied("您的账号尚未关联发布机构，请联系管理员。")
    return actor.organisation


def _new_source_id(org: Issuer) -> str:
    """An interchange id for a case created on the web."""
    return f"org{org.id}-{dt.date.today():%Y%m%d}-{uuid.uuid4().hex[:8]}"


def _validated(actor: User, raw: dict, case: Case | None) -> dict:
    """The record loaded through CaseRecordSchema, with issuer and source_id fixed by the service."""
    raw = dict(raw)
    org = require_organisation(actor) if case is None else case.issuer
    raw["issuer"] = {"name": org.name, "kind": org.kind}  # publishers publish as their own body
    if case is not None:
        raw["source_id"] = case.source_id  # the interchange id never changes once created
    elif not raw.get("source_id"):
        raw["source_id"] = _new_source_id(org)
    data = _schema.load(raw)
    if case is None and db.session.scalar(select(Case.id).filter_by(source_id=data["source_id"])):
        raise ValidationError({"source_id": ["该案例编号已被使用，请换一个或留空自动生成。"]})
    return data


def save(actor: User, case_id: int | None, raw: dict, chosen_tags: set[str] | None = None,
         shown_suggestions: set[str] | None = None) -> CaseRevision:
    """Save the editor's content as the working revision (creating the case when new).

    Raises ValidationError (field → Chinese messages) for invalid content. `chosen_tags` and
    `shown_suggestions` are "scheme:code" keys; None keeps the previous tag choices.
    """
    case = get_case(actor, case_id, "case.edit") if case_id is not None else None
    require(actor, "case.edit", case)
    require_organisation(actor)
    data = _validated(actor, raw, case)
    record = _schema.dump(data)
    revision = working_revision(case.id) if case else None
    if revision is not None and revision.state == RevisionState.SUBMITTED:
        raise WorkflowError("locked", "该案例已提交审核，审核完成前不能修改。")
    overrides = (revision.tag_overrides if revision else {}) or {}
    if chosen_tags is not None:
        known = {f"{t.scheme}:{t.code}" for t in all_terms()}  # a forged form cannot invent terms
        overrides = overrides_from_choice(chosen_tags & known, (shown_suggestions or set()) & known)
    tags = tag_names(effective_tags(set(suggest_tags(record)), overrides))
    if case is None:
        case = Case(source_id=data["source_id"], status=CaseStatus.DRAFT)
    if not case.was_public:  # never published: the row mirrors the draft
        apply_revision(case, record, tags, linking_resolver=NoArticles())
    if revision is None:
        if case.was_public:
            _baseline_revision(case)
        revision = CaseRevision(case=case, number=_next_number(case), state=RevisionState.DRAFT,
                                author_id=actor.id)
        db.session.add(revision)
    revision.record, revision.tags, revision.tag_overrides = record, tags, overrides
    revision.updated_at, revision.author_id = utcnow(), actor.id
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent save created the same revision number
        db.session.rollback()
        raise WorkflowError("conflict", "该案例正被同时修改，请刷新页面后重试。") from None
    audit(actor, "case.save", case.id, revision.id, number=revision.number)
    db.session.commit()
    return revision


def _next_number(case: Case) -> int:
    """The next revision number of a case."""
    if case.id is None:
        return 1
    return (db.session.scalar(select(func.max(CaseRevision.number)).filter_by(case_id=case.id)) or 0) + 1


def _baseline_revision(case: Case) -> None:
    """Keep the public version of an imported case as revision 1, so history starts from it."""
    if db.session.scalar(select(CaseRevision.id).filter_by(case_id=case.id).limit(1)):
        return
    snapshot = public_snapshot(case)
    assert snapshot is not None  # only called for a case that was public
    record, tags = snapshot
    db.session.add(CaseRevision(case=case, number=1, state=RevisionState.PUBLISHED, record=record, tags=tags,
                                tag_overrides={}, reviewed_at=case.updated_at, review_comment=None))
    db.session.flush()


def apply_revision(case: Case, record: dict, tags: dict, linking_resolver=None) -> None:
    """Write a revision's content onto the case row (citations, automatic and chosen tags)."""
    data = _schema.load(record)
    # Query first, then fill without autoflush: a pending new case must not be flushed half-filled.
    terms_list, resolver = all_terms(), linking_resolver or linking.ArticleResolver()
    with db.session.no_autoflush:
        case_service.upsert(data, terms_list, case_service.IssuerCache(), existing=case, looked_up=True,
                            resolver=resolver)
    wanted = {(scheme, name) for scheme, names in tags.items() for name in names}
    keep = [t for t in case.tags if (t.term.scheme, t.term.name) in wanted]
    have = {(t.term.scheme, t.term.name) for t in keep}
    terms = {(t.scheme, t.name): t for t in all_terms()}
    case.tags = keep + [CaseTag(term=terms[key], auto=False, evidence="发布机关选择")
                        for key in sorted(wanted - have) if key in terms]
