"""备课 collections (备课篮 / 专题): a lecturer's ordered cases with notes, and its public 专题 page."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.case import Case
from app.models.user import User, utcnow

# 法律进机关、进乡村、进社区、进学校、进企业、进单位 (the policy's six audiences); free text is allowed too.
AUDIENCES = ("机关", "乡村", "社区", "学校", "企业", "单位")
# The parts of a case a lecturer can choose to use, in talk order (案例讲述 → 法条分析 → 提示).
PARTS = {
    "story": "案情简介",
    "result": "处理结果",
    "explanation": "说法",
    "significance": "典型意义",
    "law": "法条",
    "tips": "温馨提示",
    "remedy": "维权途径",
}


class Collection(Model):
    """A talk being prepared: title, audience, when and where, talk-level notes, ordered cases."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(100), default="")
    planned_date: Mapped[dt.date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    opening: Mapped[str] = mapped_column(Text, default="")  # 开场白
    questions: Mapped[str] = mapped_column(Text, default="")  # 互动问答: questions for the audience
    notes: Mapped[str] = mapped_column(Text, default="")  # anything else for the lecturer
    intro: Mapped[str] = mapped_column(Text, default="")  # 导语 shown on the public 专题 page
    # The public 专题 page lives at /zhuanti/<share_token> while `published` is set.
    share_token: Mapped[str] = mapped_column(String(40), unique=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    owner: Mapped[User] = relationship(lazy="joined")
    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection", order_by="CollectionItem.position", cascade="all, delete-orphan",
        lazy="selectin")


class CollectionItem(Model):
    """One case in a collection: its place, the lecturer's 讲解要点 and the parts to use."""

    __tablename__ = "collection_items"
    __table_args__ = (UniqueConstraint("collection_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")  # 讲解要点
    parts: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(PARTS))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    collection: Mapped[Collection] = relationship(back_populates="items")
    case: Mapped[Case] = relationship(lazy="joined")
