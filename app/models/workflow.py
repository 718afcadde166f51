"""Review workflow: revisions of a case (interchange-record snapshots) and the audit log."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.case import Case
from app.models.user import User, utcnow


class RevisionState(StrEnum):
    """draft → submitted → (returned → submitted …| published); a newer published one supersedes it."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    DISCARDED = "discarded"


REVISION_STATES = {
    RevisionState.DRAFT: "草稿",
    RevisionState.SUBMITTED: "待审核",
    RevisionState.RETURNED: "已退回",
    RevisionState.PUBLISHED: "已发布",
    RevisionState.SUPERSEDED: "已被新版本取代",
    RevisionState.DISCARDED: "已放弃",
}
# The one revision of a case that is being edited or reviewed is in one of these.
WORKING_STATES = (RevisionState.DRAFT, RevisionState.SUBMITTED, RevisionState.RETURNED)
# A publisher may still change it (a submitted one waits for the reviewer).
EDITABLE_STATES = (RevisionState.DRAFT, RevisionState.RETURNED)


class CaseRevision(Model):
    """One version of a case as an interchange record plus its chosen tags."""

    __tablename__ = "case_revisions"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), index=True)
    record: Mapped[dict] = mapped_column(JSON)  # CaseRecordSchema dump
    # {"hot_issue": [names], "law_topic": [names]}: the tags this version will carry
    tags: Mapped[dict] = mapped_column(JSON, default=dict)
    # {"add": ["scheme:code"], "remove": [...]}: the editor's changes to the automatic suggestions
    tag_overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)
    # A reviewer published despite de-identification findings: {"reason", "count", "kinds", "by", "at"}
    deid_override: Mapped[dict | None] = mapped_column(JSON)

    case: Mapped[Case] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id], lazy="joined")

    @property
    def state_label(self) -> str:
        """The state's Chinese name."""
        return REVISION_STATES.get(RevisionState(self.state), self.state)


class AuditEvent(Model):
    """Who did what, when: one row per state change or account change.

    No foreign keys: the log must outlive what it describes; the actor's name is copied.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    revision_id: Mapped[int | None] = mapped_column(Integer)
    target_user_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
