"""The index outbox: rows written in the same transaction as the case they describe."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.user import utcnow


class IndexQueue(Model):
    """A pending index operation for one case ("upsert" or "delete")."""

    __tablename__ = "index_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: a delete must survive the case row it refers to.
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    op: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Python's UTC clock, like every other table: /healthz compares it with utcnow().
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now(), index=True)


class ZeroResultQuery(Model):
    """A query that found nothing: candidates for the dictionary and the synonym list.

    Only the query text is kept (digit runs masked: phone and ID numbers), never who asked.
    """

    __tablename__ = "zero_result_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200), unique=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
