"""Publishing workflow: draft → submitted → (returned | published) → withdrawn.

A case's content lives in revisions (interchange-record snapshots, CaseRecordSchema dumps).
The `cases` row holds what the public sees: it is written from a revision only when a reviewer
publishes it, so editing a published case never changes the public version until approval.
(A case that was never published mirrors its working draft in the row, which nobody else sees.)
Publishing and withdrawal write an outbox row in the same transaction and drain it right after
the commit, so search follows within a second on the embedded engine.
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import ISSUER_KINDS, SECTION_KINDS, AuditEvent, Case, CaseRevision, CaseTag, Issuer, User
from app.models.user import utcnow
from app.models.workflow import WORKING_STATES
from app.services import cases as case_service
from app.services import importer, linking, tagging
from legaltext import deid, extract
from app.services import search as search_service
from app.services.auth import Missing, PermissionDenied, audit, require
from app.services.taxonomy import all_terms
from indexer import queue
from schemas.case import CaseRecordSchema

_schema = CaseRecordSchema()
SCHEMES = ("hot_issue", "law_topic")
PAGE_SIZE = 50


class WorkflowError(Exception):
    """A transition that the case's current state does not allow (answered with 409)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class PersonalDataFound(WorkflowError):
    """Submission stopped: the de-identification check flagged personal data."""

    def __init__(self, revision_id: int, count: int):
        super().__init__("personal_data", f"发现 {count} 处疑似个人信息：请一键替换，或确认不属于个人信息后再提交。")
        self.revision_id, self.count = revision_id, count


# ---- tag suggestions -----------------------------------------------------------------------
class _NoArticles:
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
    laws = {c.law_title.removeprefix("中华人民共和国") for c in linking.extract(draft, _NoArticles()) if c.law_title}
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
    if case.status not in ("published", "withdrawn"):
        return None
    return case_service.to_record(case), case_tag_names(case)


def editor_state(actor: User, case_id: int | None) -> dict:
    """What the editor starts from: record, tag keys, overrides and the working revision."""
    if case_id is None:
        require(actor, "case.edit")
        _require_organisation(actor)
        org = actor.organisation
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
    counts: dict[str, int] = field(default_factory=dict)


def dashboard(actor: User, page: int = 1) -> DashboardPage:
    """Drafts, submitted and returned revisions first; then every case of the organisation."""
    require(actor, "case.edit")
    _require_organisation(actor)
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
    counts = dict(db.session.execute(select(Case.status, func.count()).where(Case.issuer_id == org)
                                     .group_by(Case.status)).all())
    return DashboardPage(working, cases, total, page, pages, counts)


def review_queue(actor: User, organisation_id: int | None = None) -> list[CaseRevision]:
    """Submitted revisions, the longest waiting first, optionally of one organisation."""
    require(actor, "case.review")
    query = (select(CaseRevision).join(Case, Case.id == CaseRevision.case_id)
             .where(CaseRevision.state == "submitted").order_by(CaseRevision.submitted_at, CaseRevision.id))
    if organisation_id:
        query = query.where(Case.issuer_id == organisation_id)
    return list(db.session.scalars(query))


def queue_organisations(actor: User) -> list[tuple[Issuer, int]]:
    """Organisations with submitted revisions and how many each has waiting."""
    require(actor, "case.review")
    rows = db.session.execute(
        select(Issuer, func.count(CaseRevision.id)).join(Case, Case.issuer_id == Issuer.id)
        .join(CaseRevision, CaseRevision.case_id == Case.id).where(CaseRevision.state == "submitted")
        .group_by(Issuer.id).order_by(Issuer.name)).all()
    return [(org, count) for org, count in rows]


def recently_published(actor: User, limit: int = 30) -> list[CaseRevision]:
    """Revisions most recently published through review (for reviewers and admins)."""
    require(actor, "case.oversee")
    return list(db.session.scalars(select(CaseRevision).where(CaseRevision.state == "published")
                                   .order_by(CaseRevision.reviewed_at.desc()).limit(limit)))


def withdrawal_notice(case: Case) -> AuditEvent | None:
    """The audit row of a withdrawn case's withdrawal (date and public reason)."""
    return db.session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.withdraw")
                             .order_by(AuditEvent.id.desc()).limit(1))


# ---- writing -------------------------------------------------------------------------------
def _require_organisation(actor: User) -> None:
    """A publisher without an organisation cannot publish anything (an admin must assign one)."""
    if actor.organisation is None:
        raise PermissionDenied("您的账号尚未关联发布机构，请联系管理员。")


def _new_source_id(org: Issuer) -> str:
    """An interchange id for a case created on the web."""
    return f"org{org.id}-{dt.date.today():%Y%m%d}-{uuid.uuid4().hex[:8]}"


def _validated(actor: User, raw: dict, case: Case | None) -> dict:
    """The record loaded through CaseRecordSchema, with issuer and source_id fixed by the service."""
    raw = dict(raw)
    org = actor.organisation if case is None else case.issuer
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
    _require_organisation(actor)
    data = _validated(actor, raw, case)
    record = _schema.dump(data)
    revision = working_revision(case.id) if case else None
    if revision is not None and revision.state == "submitted":
        raise WorkflowError("locked", "该案例已提交审核，审核完成前不能修改。")
    overrides = (revision.tag_overrides if revision else {}) or {}
    if chosen_tags is not None:
        known = {f"{t.scheme}:{t.code}" for t in all_terms()}  # a forged form cannot invent terms
        overrides = overrides_from_choice(chosen_tags & known, (shown_suggestions or set()) & known)
    tags = tag_names(effective_tags(set(suggest_tags(record)), overrides))
    if case is None:
        case = Case(source_id=data["source_id"], status="draft")
    if case.status in ("draft", "submitted", "returned"):  # never published: the row mirrors the draft
        _apply(case, record, tags, linking_resolver=_NoArticles())
    if revision is None:
        if case.status in ("published", "withdrawn"):
            _baseline_revision(case)
        revision = CaseRevision(case=case, number=_next_number(case), state="draft", author_id=actor.id)
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


def prefill_from_upload(actor: User, filename: str, data: bytes) -> dict:
    """Editor content extracted from an uploaded original (.docx/.pdf/.txt); the file is kept.

    Raises extract.ExtractError (code + Chinese message) for a file we refuse or cannot read.
    Files go to UPLOAD_FOLDER (default: <instance>/uploads), outside the web root, named by
    their SHA-256 so nothing a user typed becomes part of a path.
    """
    require(actor, "case.edit")
    _require_organisation(actor)
    prefill = extract.prefill_from_upload(filename, data)
    digest = hashlib.sha256(data).hexdigest()
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder = folder / f"org{actor.organisation_id}"
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{digest}{Path(filename).suffix.lower()}"
    if not stored.exists():
        stored.write_bytes(data)
    audit(actor, "case.upload", file=filename[:200], sha256=digest, size=len(data), stored=stored.name)
    db.session.commit()
    return prefill


MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_LINES = 1000


def import_drafts(actor: User, filename: str, data: bytes, submit_all: bool = False) -> importer.ImportReport:
    """A publisher's interchange JSONL upload: every valid line of their own organisation becomes
    a draft (or a new revision of their existing case), optionally submitted; nothing is published
    without review. The report has the same per-line form as `flask cases import`."""
    require(actor, "case.edit")
    _require_organisation(actor)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": [f"文件超过 {MAX_IMPORT_BYTES // (1024 * 1024)} MB 的大小限制。"]})
    report = importer.ImportReport()
    name = Path(filename).name[:200] or "upload.jsonl"
    for number, raw in enumerate(data.split(b"\n"), 1):
        if number > MAX_IMPORT_LINES:
            report.add_failure(name, number, [("_line", f"一次最多导入 {MAX_IMPORT_LINES} 行，其余未处理。")])
            break
        try:
            text = raw.decode("utf-8").removeprefix("\ufeff" if number == 1 else "")
        except UnicodeDecodeError as exc:
            report.add_failure(name, number, [("_line", f"不是有效的 UTF-8 编码（第 {exc.start + 1} 字节）。")])
            continue
        if text.strip():
            _import_line(actor, text, submit_all, report, name, number)
    audit(actor, "case.import", file=name, created=report.created, updated=report.updated,
          failed=report.failed_lines)
    db.session.commit()
    return report


def _import_line(actor: User, text: str, submit_all: bool, report, name: str, number: int) -> None:
    """Save one JSONL line as a draft of the actor's organisation, noting the outcome in `report`."""
    data, problems = importer.parse_line(text)
    org = actor.organisation
    if not problems and (data["issuer"]["name"], data["issuer"]["kind"]) != (org.name, org.kind):
        problems = [("issuer", f"只能导入本机构（{org.name}）发布的案例。")]
    existing = db.session.scalar(select(Case).filter_by(source_id=data["source_id"])) if not problems else None
    if existing is not None and existing.issuer_id != org.id:
        problems = [("source_id", "该案例编号已被其他机构使用。")]
    if problems:
        report.add_failure(name, number, problems)
        return
    try:
        revision = save(actor, existing.id if existing else None, _schema.dump(data))
        if submit_all:
            submit(actor, revision.id)
    except PersonalDataFound:  # saved, only not submitted: a note, not a failure
        report.errors.append(importer.LineError(name, number, "_line", "已保存为草稿；发现疑似个人信息，未提交审核。"))
    except WorkflowError as exc:
        report.add_failure(name, number, [("_line", exc.message)])
        return
    if existing is None:
        report.created += 1
    else:
        report.updated += 1


def _next_number(case: Case) -> int:
    """The next revision number of a case."""
    if case.id is None:
        return 1
    return (db.session.scalar(select(func.max(CaseRevision.number)).filter_by(case_id=case.id)) or 0) + 1


def _baseline_revision(case: Case) -> None:
    """Keep the public version of an imported case as revision 1, so history starts from it."""
    if db.session.scalar(select(CaseRevision.id).filter_by(case_id=case.id).limit(1)):
        return
    record, tags = public_snapshot(case)
    db.session.add(CaseRevision(case=case, number=1, state="published", record=record, tags=tags,
                                tag_overrides={}, reviewed_at=case.updated_at, review_comment=None))
    db.session.flush()


def _apply(case: Case, record: dict, tags: dict, linking_resolver=None) -> None:
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


def _move(revision: CaseRevision, allowed: tuple[str, ...], to: str, **values) -> None:
    """Change a revision's state only if it is still in `allowed` (safe against double clicks
    and two reviewers acting at once: the UPDATE's WHERE decides, not what we read earlier)."""
    result = db.session.execute(
        update(CaseRevision).where(CaseRevision.id == revision.id, CaseRevision.state.in_(allowed))
        .values(state=to, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise WorkflowError("stale_state", "该修订的状态已经改变，请刷新页面查看最新状态。")
    db.session.refresh(revision)


def submit(actor: User, revision_id: int, confirm_findings: bool = False) -> CaseRevision:
    """Send a draft or returned revision to the reviewers.

    With de-identification findings the publisher must replace them or confirm that they are
    not personal data (`confirm_findings`); the reviewer then decides (replace or override).
    """
    revision = get_revision(actor, revision_id, "case.edit")
    findings = personal_data(revision.record)
    if findings and not confirm_findings and revision.state in ("draft", "returned"):
        raise PersonalDataFound(revision.id, len(findings))
    _move(revision, ("draft", "returned"), "submitted", submitted_at=utcnow())
    if revision.case.status in ("draft", "returned"):
        revision.case.status = "submitted"
    audit(actor, "case.submit", revision.case_id, revision.id, number=revision.number, findings=len(findings))
    db.session.commit()
    return revision


def send_back(actor: User, revision_id: int, comment: str) -> CaseRevision:
    """Return a submitted revision to its publisher with the reviewer's comment."""
    revision = get_revision(actor, revision_id, "case.review")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ["退回时必须填写意见。"]})
    if len(comment) > 5000:
        raise ValidationError({"comment": ["意见不能超过 5000 字。"]})
    _move(revision, ("submitted",), "returned", reviewer_id=actor.id, reviewed_at=utcnow(), review_comment=comment)
    if revision.case.status == "submitted":
        revision.case.status = "returned"
    audit(actor, "case.return", revision.case_id, revision.id, number=revision.number, comment=comment)
    db.session.commit()
    return revision


def approve(actor: User, revision_id: int, comment: str = "", override_reason: str = "") -> CaseRevision:
    """Publish a submitted revision: it replaces the public version; search follows at once.

    Remaining de-identification findings block publication unless the reviewer gives a reason.
    """
    revision = get_revision(actor, revision_id, "case.review")
    comment = (comment or "").strip()[:5000] or None
    findings = personal_data(revision.record) if revision.state == "submitted" else []
    override_reason = (override_reason or "").strip()[:2000]
    if findings and not override_reason:
        raise ValidationError({"override_reason": [
            f"尚有 {len(findings)} 处疑似个人信息：请先替换，或填写不需脱敏的理由后再发布。"]})
    _move(revision, ("submitted",), "published", reviewer_id=actor.id, reviewed_at=utcnow(), review_comment=comment)
    case = revision.case
    if findings:
        kinds = sorted({f.kind for f in findings})  # never the personal data itself
        revision.deid_override = {"reason": override_reason, "count": len(findings), "kinds": kinds,
                                  "by": actor.id, "at": utcnow().isoformat(timespec="seconds")}
        audit(actor, "case.deid_override", case.id, revision.id, reason=override_reason, count=len(findings),
              kinds=kinds)
    db.session.execute(update(CaseRevision).where(
        CaseRevision.case_id == case.id, CaseRevision.state == "published", CaseRevision.id != revision.id
    ).values(state="superseded").execution_options(synchronize_session=False))
    record = dict(revision.record)
    record.setdefault("published_date", dt.date.today().isoformat())  # first publication dates the case
    revision.record = record
    _apply(case, record, revision.tags or {})
    case.status = "published"
    db.session.flush()
    case_service.enqueue_changed([case])
    audit(actor, "case.publish", case.id, revision.id, number=revision.number, comment=comment)
    db.session.commit()
    search_service.sync_after_commit()
    return revision


def withdraw(actor: User, case_id: int, reason: str) -> Case:
    """Take a published case off the public site and out of search (the page answers 410)."""
    case = get_case(actor, case_id, "case.withdraw")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["撤回时必须填写原因。"]})
    if len(reason) > 1000:
        raise ValidationError({"reason": ["原因不能超过 1000 字。"]})
    result = db.session.execute(update(Case).where(Case.id == case.id, Case.status == "published")
                                .values(status="withdrawn").execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise WorkflowError("not_published", "只有已发布的案例可以撤回。")
    queue.enqueue(db.session, [case.id], op="delete")
    audit(actor, "case.withdraw", case.id, reason=reason)
    db.session.commit()
    db.session.refresh(case)
    search_service.sync_after_commit()
    return case


def discard(actor: User, revision_id: int) -> Case | None:
    """Drop a draft or returned revision; a never-published case goes with it."""
    revision = get_revision(actor, revision_id, "case.edit")
    case = revision.case
    _move(revision, ("draft", "returned"), "discarded")
    audit(actor, "case.discard", case.id, revision.id, number=revision.number)
    if case.status in ("draft", "returned"):
        db.session.delete(case)  # nothing public ever existed; its revisions go with it
        case = None
    db.session.commit()
    return case


# ---- de-identification (脱敏) ----------------------------------------------------------------
CONTEXT_CHARS = 18


@dataclass
class FindingView:
    """A finding as the pages show it: what, where, the text around it, the suggestion."""

    kind: str
    label: str
    text: str
    suggestion: str
    where: str
    before: str
    after: str


def personal_data(record: dict) -> list[FindingView]:
    """Personal data in a record's title and sections (legaltext/deid.py), in reading order."""
    sections = record.get("sections", [])
    out = []
    for f in deid.find_in_case(sections, record.get("title", "")):
        text = record.get("title", "") if f.section == deid.TITLE else sections[f.section].get("text", "")
        where = "标题" if f.section == deid.TITLE else f"第 {f.section + 1} 段"
        out.append(FindingView(f.kind, f.label, f.text, f.suggestion, where,
                               text[max(0, f.start - CONTEXT_CHARS):f.start], text[f.end:f.end + CONTEXT_CHARS]))
    return out


def replace_personal_data(actor: User, revision_id: int, texts: list[str] | None = None) -> int:
    """One-click replacement: every occurrence of the flagged `texts` (all findings if None)
    becomes its suggestion (张三 → 张某) across title, summary and sections. Returns how many
    distinct items were replaced. Publishers on their draft; reviewers on a submission."""
    revision = db.session.get(CaseRevision, revision_id)
    if revision is None:
        raise Missing("revision")
    require(actor, "case.review" if revision.state == "submitted" else "case.edit", revision.case)
    if revision.state not in WORKING_STATES:
        raise WorkflowError("not_editable", "该版本已审核完毕，不能再修改。")
    findings = personal_data(revision.record)
    if texts is not None:  # only what the check flagged: the form cannot rewrite arbitrary text
        findings = [f for f in findings if f.text in set(texts)]
    mapping = {f.text: f.suggestion for f in findings}
    if not mapping:
        return 0
    revision.record = _replaced(revision.record, mapping)
    revision.updated_at = utcnow()
    if revision.case.status in ("draft", "submitted", "returned"):
        _apply(revision.case, revision.record, revision.tags or {}, linking_resolver=_NoArticles())
    # The audit row says how many and what kind, never the personal data itself.
    audit(actor, "case.deid_replace", revision.case_id, revision.id, replaced=len(mapping),
          kinds=sorted({f.kind for f in findings}))
    db.session.commit()
    return len(mapping)


def _replaced(record: dict, mapping: dict[str, str]) -> dict:
    """A copy of the record with every mapped text replaced, consistently everywhere."""
    sections = record.get("sections", [])
    texts = [record.get("title", ""), record.get("summary", "")] + [s.get("text", "") for s in sections] \
        + [s.get("heading", "") for s in sections]
    new = deid.replace_all(texts, mapping)
    n = len(sections)
    out = {**record, "title": new[0],
           "sections": [{**s, "text": new[2 + i], "heading": new[2 + n + i]} for i, s in enumerate(sections)]}
    if record.get("summary"):
        out["summary"] = new[1]
    return _schema.dump(_schema.load(out))


# ---- readable diff -------------------------------------------------------------------------
FIELD_LABELS = (
    ("title", "标题"), ("summary", "摘要"), ("case_type", "案件类型"), ("document_number", "文号"),
    ("case_number", "案号"), ("court", "审理机关"), ("region", "地区"), ("judgment_date", "裁判日期"),
    ("published_date", "发布日期"),
)
_SENTENCE_END = re.compile(r"(?<=[。！？；])")


@dataclass
class DiffLine:
    """One line of a diff: op is "same", "add", "del" or "gap" (unchanged lines left out)."""

    op: str
    text: str


def readable_lines(record: dict | None, tags: dict | None) -> list[str]:
    """A record as lines a person compares: one field per line, body text one sentence per line."""
    if not record:
        return []
    lines = [f"{label}：{record[name]}" for name, label in FIELD_LABELS if record.get(name)]
    issuer = record.get("issuer") or {}
    lines.append(f"发布机关：{issuer.get('name', '')}（{ISSUER_KINDS.get(issuer.get('kind'), '')}）")
    if record.get("keywords"):
        lines.append("关键词：" + "、".join(record["keywords"]))
    for scheme, label in (("hot_issue", "热点问题"), ("law_topic", "法律部门")):
        lines.append(f"{label}：" + "、".join((tags or {}).get(scheme, [])))
    source = record.get("source") or {}
    if source:
        lines.append(f"来源：{source.get('name', '')} {source.get('url', '')}".rstrip())
    for number, section in enumerate(record.get("sections", []), 1):
        kind = SECTION_KINDS.get(section.get("kind"), section.get("kind"))
        lines.append(f"【第 {number} 段 · {kind}】{section.get('heading', '')}")
        for paragraph in section.get("text", "").splitlines():
            lines += [s for s in _SENTENCE_END.split(paragraph.strip()) if s]
    return lines


def diff(old_lines: list[str], new_lines: list[str], context: int = 2) -> list[DiffLine]:
    """Line diff with a little context; long unchanged stretches become one "gap" line."""
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if out:
            out.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [DiffLine("same", line) for line in old_lines[i1:i2]]
                continue
            out += [DiffLine("del", line) for line in old_lines[i1:i2]]
            out += [DiffLine("add", line) for line in new_lines[j1:j2]]
    return out


def diff_to_public(revision: CaseRevision) -> list[DiffLine]:
    """What a revision changes: a working one against the public version (all new if none),
    a published one against the version published before it."""
    if revision.state in ("published", "superseded"):
        old = readable_lines(*previous_snapshot(revision))
    else:
        public = public_snapshot(revision.case)
        old = readable_lines(*public) if public else []
    return diff(old, readable_lines(revision.record, revision.tags))


def previous_snapshot(revision: CaseRevision) -> tuple[dict | None, dict | None]:
    """(record, tags) of the revision published before this one, if any."""
    before = db.session.scalar(select(CaseRevision).where(
        CaseRevision.case_id == revision.case_id, CaseRevision.number < revision.number,
        CaseRevision.state.in_(("published", "superseded"))).order_by(CaseRevision.number.desc()).limit(1))
    return (before.record, before.tags) if before else (None, None)
