"""Review transitions: submit → (return | publish) → withdraw, and discarding a draft.

Each transition checks the actor's permission, moves the revision's state with a guarded UPDATE
(safe against double clicks and two reviewers at once) and audits it. Search follows by itself:
the session events of app/services/index_sync.py queue every changed case in the same transaction
and drain after the commit.
"""
from __future__ import annotations

import datetime as dt
from typing import cast

from marshmallow import ValidationError
from sqlalchemy import CursorResult, update

from app.extensions import db
from app.models import Case, CaseRevision, CaseStatus, RevisionState, User
from app.models.user import utcnow
from app.models.workflow import EDITABLE_STATES
from app.services.auth import audit
from app.services.deid_review import personal_data
from app.services.duplicates import link_duplicates
from app.services.errors import PersonalDataFound, WorkflowError
from app.services.revisions import apply_revision, get_case, get_revision


def _move(revision: CaseRevision, allowed: tuple[str, ...], to: RevisionState, **values) -> None:
    """Change a revision's state only if it is still in `allowed` (safe against double clicks
    and two reviewers acting at once: the UPDATE's WHERE decides, not what we read earlier)."""
    result = cast(CursorResult, db.session.execute(  # an UPDATE's result is a CursorResult (rowcount)
        update(CaseRevision).where(CaseRevision.id == revision.id, CaseRevision.state.in_(allowed))
        .values(state=to, **values).execution_options(synchronize_session=False)))
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
    if findings and not confirm_findings and revision.state in EDITABLE_STATES:
        raise PersonalDataFound(revision.id, len(findings))
    _move(revision, EDITABLE_STATES, RevisionState.SUBMITTED, submitted_at=utcnow())
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
    _move(revision, (RevisionState.SUBMITTED,), RevisionState.RETURNED, reviewer_id=actor.id, reviewed_at=utcnow(),
          review_comment=comment)
    audit(actor, "case.return", revision.case_id, revision.id, number=revision.number, comment=comment)
    db.session.commit()
    return revision


def approve(actor: User, revision_id: int, comment: str | None = "", override_reason: str = "") -> CaseRevision:
    """Publish a submitted revision: it replaces the public version; search follows at once.

    Remaining de-identification findings block publication unless the reviewer gives a reason.
    """
    revision = get_revision(actor, revision_id, "case.review")
    comment = (comment or "").strip()[:5000] or None
    findings = personal_data(revision.record) if revision.state == RevisionState.SUBMITTED else []
    override_reason = (override_reason or "").strip()[:2000]
    if findings and not override_reason:
        raise ValidationError({"override_reason": [
            f"尚有 {len(findings)} 处疑似个人信息：请先替换，或填写不需脱敏的理由后再发布。"]})
    _move(revision, (RevisionState.SUBMITTED,), RevisionState.PUBLISHED, reviewer_id=actor.id,
          reviewed_at=utcnow(), review_comment=comment)
    case = revision.case
    if findings:
        kinds = sorted({f.kind for f in findings})  # never the personal data itself
        revision.deid_override = {"reason": override_reason, "count": len(findings), "kinds": kinds,
                                  "by": actor.id, "at": utcnow().isoformat(timespec="seconds")}
        audit(actor, "case.deid_override", case.id, revision.id, reason=override_reason, count=len(findings),
              kinds=kinds)
    db.session.execute(update(CaseRevision).where(
        CaseRevision.case_id == case.id, CaseRevision.state == RevisionState.PUBLISHED, CaseRevision.id != revision.id
    ).values(state=RevisionState.SUPERSEDED).execution_options(synchronize_session=False))
    record = dict(revision.record)
    record.setdefault("published_date", dt.date.today().isoformat())  # first publication dates the case
    revision.record = record
    apply_revision(case, record, revision.tags or {})
    case.status = CaseStatus.PUBLISHED
    link_duplicates([case])  # another publication of a case already listed is linked to it, not listed twice
    audit(actor, "case.publish", case.id, revision.id, number=revision.number, comment=comment)
    db.session.commit()
    return revision


def withdraw(actor: User, case_id: int, reason: str) -> Case:
    """Take a published case off the public site and out of search (the page answers 410)."""
    case = get_case(actor, case_id, "case.withdraw")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["撤回时必须填写原因。"]})
    if len(reason) > 1000:
        raise ValidationError({"reason": ["原因不能超过 1000 字。"]})
    result = cast(CursorResult, db.session.execute(  # an UPDATE's result is a CursorResult (rowcount)
        update(Case).where(Case.id == case.id, Case.is_public)
        .values(status=CaseStatus.WITHDRAWN).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        db.session.rollback()
        raise WorkflowError("not_published", "只有已发布的案例可以撤回。")
    db.session.refresh(case)
    link_duplicates([case])  # its other publications may need another canonical version
    audit(actor, "case.withdraw", case.id, reason=reason)
    db.session.commit()
    db.session.refresh(case)
    return case


def discard(actor: User, revision_id: int) -> Case | None:
    """Drop a draft or returned revision; a never-published case goes with it."""
    revision = get_revision(actor, revision_id, "case.edit")
    case = revision.case
    _move(revision, EDITABLE_STATES, RevisionState.DISCARDED)
    audit(actor, "case.discard", case.id, revision.id, number=revision.number)
    kept: Case | None = case
    if not case.was_public:
        db.session.delete(case)  # nothing public ever existed; its revisions go with it
        kept = None
    db.session.commit()
    return kept
