"""People and their sessions: staff users with roles, server-side sessions, login attempts.

An organisation is the existing `Issuer` row (app/models/case.py): the body that publishes a
case is the body its publishers belong to, so "a publisher may only touch their organisation's
cases" is simply `case.issuer_id == user.organisation_id`. `Organisation` is an alias for it.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.case import Issuer

Organisation = Issuer  # one table for "who issued the case" and "whose staff may publish it"

ROLES = {
    "publisher": "发布员",
    "reviewer": "审核员（普法办）",
    "admin": "系统管理员",
    "lecturer": "普法讲师",
}


def utcnow() -> dt.datetime:
    """Naive UTC now, the form every DateTime column here stores."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class User(Model):
    """A staff account; publishers belong to exactly one organisation."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Issuer | None] = relationship(lazy="joined")

    @property
    def role_label(self) -> str:
        """The role's Chinese name."""
        return ROLES.get(self.role, self.role)

    @property
    def name(self) -> str:
        """Name to show: display name, else the login name."""
        return self.display_name or self.username


class UserSession(Model):
    """A server-side login session; the cookie holds only a random token whose hash is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Model):
    """One login attempt (name lower-cased, address), for rate limits and per-pair blocks shared by
    every worker; kept a day."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    username: Mapped[str] = mapped_column(String(80))
    success: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
