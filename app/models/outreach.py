"""菜单式普法 and 普法责任制: the menu, public orders and their life, deliveries, evaluations,
responsibility lists (责任清单), the assessment rubric, anonymous read counts and the 普法 calendar.

An organisation is the `Issuer` row (app/models/user.py `Organisation = Issuer`). Orders carry the
orderer's name and phone until the retention period ends (app/services/orders.py purge()).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, db
from app.models.case import Case, Issuer
from app.models.collection import Collection
from app.models.taxonomy import TaxonomyTerm
from app.models.user import User, utcnow

AUDIENCES = {"organ": "机关", "village": "乡村", "community": "社区", "school": "学校", "enterprise": "企业",
             "unit": "单位", "other": "其他"}
FORMS = {"lecture": "讲座", "case_talk": "以案释法", "consultation": "法律咨询", "display": "展板",
         "video": "微视频", "mock_trial": "模拟法庭", "other": "其他"}
MENU_STATES = {"draft": "草稿", "pending": "待上架审核", "listed": "已上架", "unlisted": "已下架"}
ORDER_STATES = {"ordered": "已点单", "dispatched": "已派单", "accepted": "已接单", "declined": "已拒单",
                "scheduled": "已排期", "delivered": "已送单", "evaluated": "已评单", "archived": "归档",
                "cancelled": "已取消"}
OPEN_ORDER_STATES = ("ordered", "dispatched", "declined", "accepted", "scheduled")
DUTY_STATUSES = {"not_started": "未开始", "in_progress": "进行中", "done": "已完成"}
# The dimensions of the annual 履职报告评议 (policy text: 机制建设, 社会普法, 以案释法, 创新形式, 实效).
DUTY_CATEGORIES = {"mechanism": "普法责任制机制建设", "public": "社会普法宣传", "cases": "以案释法",
                   "innovation": "创新形式", "effect": "实效"}

menu_item_cases = Table(
    "menu_item_cases", db.metadata,
    Column("menu_item_id", ForeignKey("menu_items.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True),
)
menu_item_lecturers = Table(
    "menu_item_lecturers", db.metadata,
    Column("menu_item_id", ForeignKey("menu_items.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)
delivery_cases = Table(
    "delivery_cases", db.metadata,
    Column("delivery_id", ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True),
)
delivery_lecturers = Table(
    "delivery_lecturers", db.metadata,
    Column("delivery_id", ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)
key_date_menu_items = Table(
    "key_date_menu_items", db.metadata,
    Column("key_date_id", ForeignKey("key_dates.id", ondelete="CASCADE"), primary_key=True),
    Column("menu_item_id", ForeignKey("menu_items.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class MenuItem(Model):
    """One dish of the 普法菜单: a talk or activity an organisation offers, listed after review."""

    __tablename__ = "menu_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    hot_issue_id: Mapped[int | None] = mapped_column(ForeignKey("taxonomy_terms.id"), index=True)
    law_topic_id: Mapped[int | None] = mapped_column(ForeignKey("taxonomy_terms.id"), index=True)
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)  # AUDIENCES codes
    forms: Mapped[list[str]] = mapped_column(JSON, default=list)  # FORMS codes
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    area: Mapped[str] = mapped_column(String(200), default="")  # 服务区域: 全市, 某区…
    lecturer_names: Mapped[str] = mapped_column(String(500), default="")  # lecturers without an account
    # A published 专题 (issue 12's collection) the talk is built on, besides or instead of single cases.
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    organisation: Mapped[Issuer] = relationship(lazy="joined")
    hot_issue: Mapped[TaxonomyTerm | None] = relationship(foreign_keys=[hot_issue_id], lazy="joined")
    law_topic: Mapped[TaxonomyTerm | None] = relationship(foreign_keys=[law_topic_id], lazy="joined")
    cases: Mapped[list[Case]] = relationship(secondary=menu_item_cases, lazy="selectin", order_by=Case.id)
    lecturers: Mapped[list[User]] = relationship(secondary=menu_item_lecturers, lazy="selectin",
                                                 order_by=User.id)
    collection: Mapped[Collection | None] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        """The state's Chinese name."""
        return MENU_STATES.get(self.state, self.state)


class Order(Model):
    """A 点单 by the public: who asks for what, where, for whom and when; and where it stands."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="ordered", index=True)
    menu_item_id: Mapped[int | None] = mapped_column(ForeignKey("menu_items.id", ondelete="SET NULL"), index=True)
    topic: Mapped[str] = mapped_column(String(200), default="")  # free topic when no menu item fits
    hot_issue_id: Mapped[int | None] = mapped_column(ForeignKey("taxonomy_terms.id"), index=True)
    unit: Mapped[str] = mapped_column(String(200))  # 点单单位
    # Personal data of the orderer: shown only to the staff handling the order, purged after retention.
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    remarks: Mapped[str | None] = mapped_column(Text)
    purged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    district: Mapped[str] = mapped_column(String(50))  # 区县
    town: Mapped[str] = mapped_column(String(50))  # 镇街
    community: Mapped[str] = mapped_column(String(100), default="")  # 村社区
    audience_type: Mapped[str] = mapped_column(String(20))
    audience_size: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"), index=True)
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    scheduled_place: Mapped[str | None] = mapped_column(String(200))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # When the current step started (dispatch and acceptance deadlines count from here).
    step_started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    overdue_step: Mapped[str | None] = mapped_column(String(20))  # "dispatch" / "accept" while late
    was_late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)

    menu_item: Mapped[MenuItem | None] = relationship(lazy="joined")
    hot_issue: Mapped[TaxonomyTerm | None] = relationship(lazy="joined")
    organisation: Mapped[Issuer | None] = relationship(lazy="joined")
    lecturers: Mapped[list[User]] = relationship(secondary="order_lecturers", lazy="selectin", order_by=User.id)
    events: Mapped[list[OrderEvent]] = relationship(order_by="OrderEvent.id", lazy="select",
                                                    cascade="all, delete-orphan")
    delivery: Mapped[Delivery | None] = relationship(back_populates="order", lazy="select", uselist=False)
    evaluation: Mapped[Evaluation | None] = relationship(lazy="select", uselist=False, cascade="all, delete-orphan")

    @property
    def state_label(self) -> str:
        """The state's Chinese name, with 逾期 while a deadline has passed."""
        label = ORDER_STATES.get(self.state, self.state)
        if self.overdue_step == "dispatch":
            return f"{label}（逾期未派单）"
        if self.overdue_step == "accept":
            return f"{label}（逾期未接单）"
        return label

    @property
    def subject(self) -> str:
        """What was ordered: the menu item's title, else the free topic."""
        return self.menu_item.title if self.menu_item else self.topic


order_lecturers = Table(
    "order_lecturers", db.metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class OrderEvent(Model):
    """One step in an order's life, shown on its tracking page (no personal data in `note`)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    state: Mapped[str] = mapped_column(String(20))  # the state entered
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)  # staff user; None for the orderer or the system
    note: Mapped[str] = mapped_column(Text, default="")

    organisation: Mapped[Issuer | None] = relationship(lazy="joined")

    @property
    def state_label(self) -> str:
        """The state's Chinese name."""
        return {"overdue": "逾期"}.get(self.state) or ORDER_STATES.get(self.state, self.state)


class OrderAttempt(Model):
    """One submission of the public order form, for the per-address limit (all workers share it).

    The address is kept only as a keyed hash and only for a day.
    """

    __tablename__ = "order_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Delivery(Model):
    """A talk or activity held (送单): for an order, or on the organisation's own initiative."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(200))
    attendance: Mapped[int] = mapped_column(Integer)  # 人次
    audience_type: Mapped[str] = mapped_column(String(20), default="other")
    form: Mapped[str] = mapped_column(String(20), default="lecture")
    lecturer_names: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # The collection (备课篮 / 专题) the talk was given from.
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id", ondelete="SET NULL"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    organisation: Mapped[Issuer] = relationship(lazy="joined")
    collection: Mapped[Collection | None] = relationship(lazy="joined")
    order: Mapped[Order | None] = relationship(back_populates="delivery", lazy="select")
    cases: Mapped[list[Case]] = relationship(secondary=delivery_cases, lazy="selectin", order_by=Case.id)
    lecturers: Mapped[list[User]] = relationship(secondary=delivery_lecturers, lazy="selectin", order_by=User.id)
    photos: Mapped[list[DeliveryPhoto]] = relationship(order_by="DeliveryPhoto.id", lazy="selectin",
                                                       cascade="all, delete-orphan")


class DeliveryPhoto(Model):
    """A photo of a delivery, re-encoded without EXIF and stored outside the web root (0600)."""

    __tablename__ = "delivery_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(80), unique=True)  # random; nothing the user typed
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Evaluation(Model):
    """The orderer's 评单: satisfaction 1–5 on content, delivery and usefulness."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    content: Mapped[int] = mapped_column(Integer)
    delivery: Mapped[int] = mapped_column(Integer)
    usefulness: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    @property
    def mean(self) -> float:
        """The mean of the three scores."""
        return (self.content + self.delivery + self.usefulness) / 3


class DutyItem(Model):
    """One item of an organisation's 普法责任清单 for a year."""

    __tablename__ = "duty_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(100))  # 责任部门
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    organisation: Mapped[Issuer] = relationship(lazy="joined")
    evidence: Mapped[list[DutyEvidence]] = relationship(order_by="DutyEvidence.id", lazy="selectin",
                                                        cascade="all, delete-orphan")

    def status_on(self, today: dt.date) -> str:
        """The status as shown: 逾期 ("overdue") once the due date has passed unfinished."""
        if self.status != "done" and self.due_date < today:
            return "overdue"
        return self.status


class DutyEvidence(Model):
    """Evidence (台账) for a duty item: a published case, a delivery record, or a published 专题."""

    __tablename__ = "duty_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    duty_item_id: Mapped[int] = mapped_column(ForeignKey("duty_items.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(String(200), default="")

    case: Mapped[Case | None] = relationship(lazy="joined")
    delivery: Mapped[Delivery | None] = relationship(lazy="joined")
    collection: Mapped[Collection | None] = relationship(lazy="joined")


class RubricCriterion(Model):
    """One weighted criterion of the assessment score, as the 普法办 configured it."""

    __tablename__ = "rubric_criteria"

    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PageView(Model):
    """Reads of one public page per day: a counter, nothing about who read it (no IP, no cookie).

    `kind` is "case" or "collection" (专题); `organisation_id` is the body the page belongs to,
    copied at counting time (OrganisationPageView holds the per-body sums).
    """

    __tablename__ = "page_views"

    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, default=0)


class OrganisationPageView(Model):
    """The same reads summed per organisation and day, written in the same transaction as PageView:
    the dashboard sums a few hundred rows per body and year instead of one per case and day."""

    __tablename__ = "organisation_page_views"

    organisation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class KeyDate(Model):
    """A date of the 普法 calendar, recurring every year: national (organisation empty) or a body's own
    集中宣传日; `end_*` set for a span (民法典宣传月)."""

    __tablename__ = "key_dates"
    __table_args__ = (UniqueConstraint("organisation_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    month: Mapped[int] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer)
    end_month: Mapped[int | None] = mapped_column(Integer)
    end_day: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    hot_issue_id: Mapped[int | None] = mapped_column(ForeignKey("taxonomy_terms.id"))
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collections.id", ondelete="SET NULL"))  # 推荐专题

    organisation: Mapped[Issuer | None] = relationship(lazy="joined")
    hot_issue: Mapped[TaxonomyTerm | None] = relationship(lazy="joined")
    collection: Mapped[Collection | None] = relationship(lazy="joined")
    menu_items: Mapped[list[MenuItem]] = relationship(secondary=key_date_menu_items, lazy="selectin",
                                                      order_by=MenuItem.id)
