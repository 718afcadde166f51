"""点单 → 派单 → 接单 → 排期 → 送单 → 评单 → 归档: the public order and its life.

The public orders without an account and follows the order by its tracking code. Abuse limits
need no outside service: a per-address limit kept in the database (every gunicorn worker sees
it; the address only as a keyed hash, for a day), a honeypot field and a self-hosted arithmetic
question. The orderer's name, phone and remarks are shown only to the staff handling the order
(the 普法办 and the organisation it is dispatched to) and are deleted ORDER_RETENTION_DAYS after
the order closes, by `flask --app wsgi orders purge` (or `orders sweep`) and whenever staff open
the order queue. Every transition is an OrderEvent (the order's timeline) and an audit row.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import cast

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from marshmallow import ValidationError
from sqlalchemy import CursorResult, delete, func, select, update

from app.extensions import db
from app.models import (
    Case,
    CaseTag,
    Evaluation,
    Issuer,
    MenuItem,
    Order,
    OrderAttempt,
    OrderEvent,
    TaxonomyTerm,
    User,
)
from app.models.outreach import AUDIENCES, OPEN_ORDER_STATES, order_lecturers
from app.models.user import utcnow
from app.services import menu as menu_service
from app.services.auth import Missing, PermissionDenied, audit, require, require_for_organisation
from app.services.errors import WorkflowError
from schemas.outreach import EvaluationSchema, OrderFormSchema, ScheduleSchema, remarks_too_long

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed from paper
CODE_LENGTH = 12  # 31^12 ≈ 2^59 codes: not guessable through a rate-limited form
HONEYPOT = "website"  # a field people never see (hidden by CSS) and form-filling robots fill in
CHALLENGE_MAX_AGE = 2 * 3600


class RateLimited(Exception):
    """Too many order submissions from one address (answered with 429 and the form)."""

    message = "提交过于频繁，请稍后再试；如需多次点单，请致电当地普法办。"


def _config(name: str) -> int:
    """An integer setting declared in app/config.py."""
    return int(current_app.config[name])



def _execute(statement) -> CursorResult:
    """Run an UPDATE and return its cursor result (for rowcount)."""
    return cast(CursorResult, db.session.execute(statement))

# ---- tracking codes ------------------------------------------------------------------------
def new_tracking_code() -> str:
    """A random tracking code (12 characters, unambiguous alphabet)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What the orderer typed (lower case, dashes, spaces) → the stored code."""
    return "".join(ch for ch in (text or "").upper() if ch in CODE_ALPHABET)[:CODE_LENGTH]


def display_code(code: str) -> str:
    """XXXX-XXXX-XXXX for reading and copying."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def masked_phone(phone: str | None) -> str:
    """138****5678: enough for the orderer to recognise, nothing for anyone else."""
    if not phone:
        return ""
    digits = [c for c in phone if c.isdigit()]
    return "".join(digits[:3]) + "****" + "".join(digits[-4:]) if len(digits) >= 7 else "****"


# ---- the self-hosted challenge -------------------------------------------------------------
@dataclass
class Challenge:
    """An arithmetic question and the signed token that lets the server check the answer."""

    question: str
    token: str


def _serializer() -> URLSafeTimedSerializer:
    """Signs challenge tokens with the app's secret key."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="order-challenge")


def _operands(nonce: str) -> tuple[int, int]:
    """The two numbers of a challenge, derived from its nonce with the secret (not in the token)."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), nonce.encode(), hashlib.sha256).digest()
    return 2 + digest[0] % 18, 1 + digest[1] % 9


def new_challenge() -> Challenge:
    """A fresh question (two numbers to add) for the order form."""
    nonce = secrets.token_urlsafe(9)
    a, b = _operands(nonce)
    return Challenge(question=f"{a} 加 {b} 等于几？", token=_serializer().dumps(nonce))


def challenge_passed(token: str, answer: str) -> bool:
    """True when the answer is right for a token this server issued in the last two hours."""
    try:
        nonce = _serializer().loads(token or "", max_age=CHALLENGE_MAX_AGE)
    except BadSignature:
        return False
    a, b = _operands(str(nonce))
    return (answer or "").strip() == str(a + b)


# ---- the public order ----------------------------------------------------------------------
def _address_hash(address: str) -> str:
    """A keyed hash of the client address: enough to count, useless to identify."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (address or "unknown").encode(), hashlib.sha256).hexdigest()


def _note_attempt(address: str, now: dt.datetime) -> None:
    """Count a submission from this address, or raise RateLimited; attempts older than a day go."""
    window = now - dt.timedelta(minutes=_config("ORDER_RATE_WINDOW_MINUTES"))
    key = _address_hash(address)
    recent = db.session.scalar(select(func.count()).select_from(OrderAttempt).where(
        OrderAttempt.address_hash == key, OrderAttempt.created_at > window)) or 0
    if recent >= _config("ORDER_RATE_LIMIT"):
        raise RateLimited()
    db.session.execute(delete(OrderAttempt).where(OrderAttempt.created_at < now - dt.timedelta(days=1)))
    db.session.add(OrderAttempt(address_hash=key, created_at=now))
    db.session.commit()  # counted even when the submission then fails validation


def _event(order: Order, state: str, actor: User | None = None, note: str = "",
           organisation_id: int | None = None, now: dt.datetime | None = None) -> None:
    """Add a timeline row to the caller's transaction."""
    db.session.add(OrderEvent(order_id=order.id, at=now or utcnow(), state=state, actor_id=actor.id if actor else None,
                              organisation_id=organisation_id if organisation_id is not None else order.organisation_id,
                              note=note))


def place_order(raw: dict, address: str, now: dt.datetime | None = None) -> Order:
    """Store a public order and return it (with its tracking code).

    Raises RateLimited, or ValidationError with Chinese messages per field; nothing of the order
    is stored on any error (only the attempt is counted).
    """
    now = now or utcnow()
    _note_attempt(address, now)
    if str(raw.get(HONEYPOT) or "").strip():
        raise ValidationError({"_schema": ["提交未通过校验，请刷新页面后重新填写。"]})
    if current_app.config["ORDER_CHALLENGE"] and not challenge_passed(raw.get("challenge_token", ""),
                                                                      raw.get("challenge_answer", "")):
        raise ValidationError({"challenge_answer": ["验证题答案不正确，请重新计算（题目已更换）。"]})
    too_long = remarks_too_long(raw)
    if too_long:
        raise too_long
    data = OrderFormSchema().load({k: v for k, v in raw.items() if not k.startswith("challenge_")})
    item = menu_service.listed_item(data["menu_item_id"]) if data.get("menu_item_id") else None
    if data.get("menu_item_id") and item is None:
        raise ValidationError({"menu_item_id": ["所选课题已下架或不存在，请重新选择。"]})
    hot_issue = menu_service.term_by_name("hot_issue", data["hot_issue"])
    if data["hot_issue"] and hot_issue is None:
        raise ValidationError({"hot_issue": ["所选领域不存在。"]})
    if data["window_end"] < now.date():
        raise ValidationError({"window_end": ["时间范围已经过去，请选择今天以后的日期。"]})
    order = Order(tracking_code=new_tracking_code(), state="ordered", menu_item=item, topic=data["topic"],
                  hot_issue=hot_issue or (item.hot_issue if item else None), unit=data["unit"],
                  contact_name=data["contact_name"], contact_phone=data["contact_phone"],
                  remarks=data["remarks"] or None, district=data["district"], town=data["town"],
                  community=data["community"], audience_type=data["audience_type"],
                  audience_size=data["audience_size"], window_start=data["window_start"],
                  window_end=data["window_end"], created_at=now, step_started_at=now)
    db.session.add(order)
    db.session.flush()
    _event(order, "ordered", note="群众点单", now=now)
    audit(None, "order.place", order_id=order.id, menu_item_id=item.id if item else None)
    db.session.commit()
    return order


def by_code(code: str) -> Order:
    """The order with this tracking code, or Missing."""
    order = db.session.scalar(select(Order).filter_by(tracking_code=normalise_code(code)))
    if order is None or len(normalise_code(code)) != CODE_LENGTH:
        raise Missing("order")
    return order


# ---- transitions ---------------------------------------------------------------------------
def _move(order: Order, allowed: tuple[str, ...], to: str, **values) -> None:
    """Change the state only if it is still in `allowed`: the UPDATE's WHERE decides, so double
    clicks and two people acting at once cannot both win."""
    result = _execute(update(Order).where(Order.id == order.id, Order.state.in_(allowed))
                                .values(state=to, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise WorkflowError("stale_state", "该点单的状态已经改变，请刷新页面查看最新状态。")
    db.session.refresh(order)


def _order_or_404(order_id: int) -> Order:
    """The order, or Missing."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise Missing("order")
    return order


def get_for_staff(actor: User, order_id: int) -> Order:
    """An order with its contact details, for the 普法办 or the organisation it is dispatched to."""
    order = _order_or_404(order_id)
    require(actor, "order.read")
    if actor.role == "publisher" and (order.organisation_id is None or order.organisation_id != actor.organisation_id):
        raise PermissionDenied("只能查看派给本机构的点单。")
    return order


def _reason(text: str, field_name: str, required: bool, label: str) -> str:
    """A checked free-text reason (required, at most 1000 characters)."""
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({field_name: [f"请填写{label}。"]})
    if len(text) > 1000:
        raise ValidationError({field_name: [f"{label}不能超过 1000 字。"]})
    return text


def dispatch(actor: User, order_id: int, organisation_id: int | None, note: str = "") -> Order:
    """派单: the 普法办 gives the order to an organisation (again, after a decline)."""
    require(actor, "order.dispatch")
    order = _order_or_404(order_id)
    org = db.session.get(Issuer, organisation_id) if organisation_id else None
    if org is None:
        raise ValidationError({"organisation_id": ["请选择承接的机构。"]})
    note = _reason(note, "note", False, "派单说明")
    now = utcnow()
    _move(order, ("ordered", "declined"), "dispatched", organisation_id=org.id, step_started_at=now,
          overdue_step=None)
    _event(order, "dispatched", actor, note or f"派给{org.name}", now=now)
    audit(actor, "order.dispatch", order_id=order.id, organisation_id=org.id)
    db.session.commit()
    return order


def accept(actor: User, order_id: int) -> Order:
    """接单 by the organisation the order was dispatched to."""
    order = _order_or_404(order_id)
    require_for_organisation(actor, "order.handle", order.organisation_id)
    now = utcnow()
    _move(order, ("dispatched",), "accepted", step_started_at=now, overdue_step=None)
    _event(order, "accepted", actor, "已接单", now=now)
    audit(actor, "order.accept", order_id=order.id, organisation_id=order.organisation_id)
    db.session.commit()
    return order


def decline(actor: User, order_id: int, reason: str) -> Order:
    """拒单 with a reason: the order goes back to the 普法办 for dispatch."""
    order = _order_or_404(order_id)
    require_for_organisation(actor, "order.handle", order.organisation_id)
    reason = _reason(reason, "reason", True, "拒单理由")
    organisation_id, now = order.organisation_id, utcnow()
    _move(order, ("dispatched",), "declined", organisation_id=None, decline_reason=reason, step_started_at=now,
          overdue_step=None)
    _event(order, "declined", actor, reason, organisation_id=organisation_id, now=now)
    audit(actor, "order.decline", order_id=order.id, organisation_id=organisation_id, reason=reason)
    db.session.commit()
    return order


def schedule(actor: User, order_id: int, raw: dict) -> Order:
    """排期: date, time, place and lecturers (again to reschedule)."""
    order = _order_or_404(order_id)
    require_for_organisation(actor, "order.handle", order.organisation_id)
    data = ScheduleSchema().load(raw)
    lecturers = menu_service.chosen_lecturers(data["lecturer_ids"], order.organisation_id)
    hour, minute = map(int, data["time"].split(":"))
    when = dt.datetime.combine(data["date"], dt.time(hour, minute))
    if data["date"] < dt.date.today():
        raise ValidationError({"date": ["排期日期不能早于今天。"]})
    _move(order, ("accepted", "scheduled"), "scheduled", scheduled_at=when, scheduled_place=data["place"])
    order.lecturers = lecturers
    _event(order, "scheduled", actor, f"{when:%Y-%m-%d %H:%M}，{data['place']}")
    audit(actor, "order.schedule", order_id=order.id, at=when.isoformat(), place=data["place"])
    db.session.commit()
    return order


def mark_delivered(actor: User, order: Order, delivery_id: int) -> None:
    """送单 (called by deliveries.record with the delivery in the same transaction; no commit)."""
    require_for_organisation(actor, "order.handle", order.organisation_id)
    result = _execute(update(Order).where(Order.id == order.id, Order.state == "scheduled")
                                .values(state="delivered", step_started_at=utcnow())
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise WorkflowError("stale_state", "只有已排期的点单可以登记送单，请刷新页面查看最新状态。")
    _event(order, "delivered", actor, "已送单")
    audit(actor, "order.deliver", order_id=order.id, delivery_id=delivery_id)


def evaluate(code: str, raw: dict) -> Order:
    """评单 by the orderer through the tracking link, once, after delivery."""
    order = by_code(code)
    data = EvaluationSchema().load(raw)
    _move(order, ("delivered",), "evaluated", step_started_at=utcnow())
    db.session.add(Evaluation(order_id=order.id, content=data["content"], delivery=data["delivery"],
                              usefulness=data["usefulness"], comment=data["comment"]))
    _event(order, "evaluated", None, "群众评单")
    audit(None, "order.evaluate", order_id=order.id)
    db.session.commit()
    return order


def cancel_by_orderer(code: str, reason: str) -> Order:
    """The orderer withdraws an order that has not been delivered."""
    order = by_code(code)
    reason = _reason(reason, "reason", False, "取消原因")
    now = utcnow()
    _move(order, OPEN_ORDER_STATES, "cancelled", cancel_reason=reason or "点单人取消", closed_at=now, overdue_step=None)
    _event(order, "cancelled", None, "点单人取消", now=now)
    audit(None, "order.cancel", order_id=order.id, by="orderer")
    db.session.commit()
    return order


def cancel_by_staff(actor: User, order_id: int, reason: str) -> Order:
    """The 普法办 cancels an order (duplicate, unreachable, not a 普法 request…) with a reason."""
    require(actor, "order.dispatch")
    order = _order_or_404(order_id)
    reason = _reason(reason, "reason", True, "取消原因")
    now = utcnow()
    _move(order, OPEN_ORDER_STATES, "cancelled", cancel_reason=reason, closed_at=now, overdue_step=None)
    _event(order, "cancelled", actor, reason, now=now)
    audit(actor, "order.cancel", order_id=order.id, reason=reason)
    db.session.commit()
    return order


def archive(actor: User, order_id: int) -> Order:
    """归档: an evaluated order, or a delivered one whose evaluation window has passed."""
    require(actor, "order.dispatch")
    order = _order_or_404(order_id)
    now = utcnow()
    allowed: tuple[str, ...] = ("evaluated",)
    if order.step_started_at < now - dt.timedelta(days=_config("ORDER_EVALUATION_DAYS")):
        allowed = ("evaluated", "delivered")
    _move(order, allowed, "archived", closed_at=now)
    _event(order, "archived", actor, "归档", now=now)
    audit(actor, "order.archive", order_id=order.id)
    db.session.commit()
    return order


# ---- deadlines, archiving and the purge ----------------------------------------------------
@dataclass
class SweepReport:
    """What one sweep did."""

    overdue_dispatch: int = 0
    overdue_accept: int = 0
    archived: int = 0
    purged: int = 0


def _mark_overdue(states: tuple[str, ...], step: str, days: int, now: dt.datetime) -> int:
    """Flag orders that have waited longer than `days` in `states`, with a timeline row each."""
    late = list(db.session.scalars(select(Order).where(
        Order.state.in_(states), Order.overdue_step.is_(None),
        Order.step_started_at < now - dt.timedelta(days=days))))
    for order in late:
        order.overdue_step, order.was_late = step, True
        label = "派单" if step == "dispatch" else "接单"
        _event(order, "overdue", None, f"超过 {days} 天未{label}", now=now)
        audit(None, "order.overdue", order_id=order.id, step=step)
    return len(late)


def purge(now: dt.datetime | None = None) -> int:
    """Delete the orderer's name, phone and remarks from orders closed more than ORDER_RETENTION_DAYS ago."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=_config("ORDER_RETENTION_DAYS"))
    result = _execute(update(Order).where(
        Order.closed_at.is_not(None), Order.closed_at < cutoff, Order.purged_at.is_(None)
    ).values(contact_name=None, contact_phone=None, remarks=None, purged_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount:
        audit(None, "order.purge", count=result.rowcount, before=cutoff.isoformat(timespec="seconds"))
    db.session.commit()
    return result.rowcount


def sweep(now: dt.datetime | None = None) -> SweepReport:
    """Mark orders past their dispatch or acceptance deadline 逾期, archive delivered orders whose
    evaluation window has passed, and purge expired personal data. Safe to run at any time."""
    now = now or utcnow()
    report = SweepReport()
    report.overdue_dispatch = _mark_overdue(("ordered", "declined"), "dispatch", _config("ORDER_DISPATCH_DAYS"), now)
    report.overdue_accept = _mark_overdue(("dispatched",), "accept", _config("ORDER_ACCEPT_DAYS"), now)
    stale = list(db.session.scalars(select(Order).where(
        Order.state.in_(("delivered", "evaluated")),
        Order.step_started_at < now - dt.timedelta(days=_config("ORDER_EVALUATION_DAYS")))))
    for order in stale:
        order.state, order.closed_at = "archived", now
        _event(order, "archived", None, "评单期满自动归档", now=now)
    report.archived = len(stale)
    db.session.commit()
    report.purged = purge(now)
    return report


# ---- queues and the demand board -----------------------------------------------------------
QUEUE_TABS = {
    "reviewer": {"todo": ("待派单", ("ordered", "declined")),
                 "open": ("办理中", ("dispatched", "accepted", "scheduled")),
                 "done": ("待归档", ("delivered", "evaluated")), "closed": ("已归档或取消", ("archived", "cancelled"))},
    "publisher": {"todo": ("待接单", ("dispatched",)), "open": ("待排期与送单", ("accepted", "scheduled")),
                  "done": ("已送单", ("delivered", "evaluated", "archived"))},
}


@dataclass
class OrderQueue:
    """One role's order queue: tabs with counts, the open tab's orders, the overdue count."""

    tabs: list[tuple[str, str, int]]
    tab: str
    orders: list[Order]
    overdue: int = 0


def queue(actor: User, tab: str = "todo", overdue_only: bool = False) -> OrderQueue:
    """The 普法办's dispatch queue, or an organisation's own orders; runs the sweep first (cheap)."""
    require(actor, "order.read")
    sweep()
    tabs = QUEUE_TABS["publisher" if actor.role == "publisher" else "reviewer"]
    tab = tab if tab in tabs else "todo"
    base = select(Order)
    if actor.role == "publisher":
        base = base.where(Order.organisation_id == actor.organisation_id)
    counts: dict[str, int] = {}
    for state, n in db.session.execute(base.with_only_columns(Order.state, func.count()).group_by(Order.state)):
        counts[state] = n
    query = base.where(Order.state.in_(tabs[tab][1]))
    if overdue_only:
        query = query.where(Order.overdue_step.is_not(None))
    query = query.order_by(Order.overdue_step.is_(None), Order.step_started_at, Order.id).limit(500)
    overdue = db.session.scalar(base.with_only_columns(func.count()).where(Order.overdue_step.is_not(None))) or 0
    return OrderQueue(tabs=[(key, label, sum(counts.get(s, 0) for s in states))
                            for key, (label, states) in tabs.items()],
                      tab=tab, orders=list(db.session.scalars(query)), overdue=overdue)


def lecturer_talks(actor: User) -> list[Order]:
    """A lecturer's scheduled and delivered talks (no contact details are shown with them)."""
    require(actor, "talks.own")
    return list(db.session.scalars(select(Order).join(order_lecturers, order_lecturers.c.order_id == Order.id)
                                   .where(order_lecturers.c.user_id == actor.id)
                                   .order_by(Order.scheduled_at.desc()).limit(200)))


def suggested_organisations(order: Order) -> list[tuple[Issuer, str]]:
    """Who should take the order (谁执法谁普法): the menu item's provider, then the bodies that
    published the most cases on the order's hot issue, then every other organisation."""
    seen: dict[int, tuple[Issuer, str]] = {}
    if order.menu_item is not None:
        seen[order.menu_item.organisation_id] = (order.menu_item.organisation, "菜单课题的提供机构")
    if order.hot_issue is not None:
        topic = order.hot_issue.name
        rows = db.session.execute(
            select(Issuer, func.count(Case.id)).join(Case, Case.issuer_id == Issuer.id)
            .join(CaseTag, CaseTag.case_id == Case.id).where(CaseTag.term_id == order.hot_issue_id,
                                                              Case.is_public)
            .group_by(Issuer.id).order_by(func.count(Case.id).desc()).limit(5)).all()
        for org, count in rows:
            seen.setdefault(org.id, (org, f"发布“{topic}”案例 {count} 件"))
        providers = db.session.scalars(select(MenuItem).where(MenuItem.hot_issue_id == order.hot_issue_id,
                                                              MenuItem.state == "listed"))
        for item in providers:
            seen.setdefault(item.organisation_id, (item.organisation, f"菜单中有“{topic}”课题"))
    for org in db.session.scalars(select(Issuer).order_by(Issuer.kind, Issuer.name)):
        seen.setdefault(org.id, (org, ""))
    return list(seen.values())


@dataclass
class DemandBoard:
    """Free-topic orders (no menu item fitted): what the menu is missing, by area, audience and topic."""

    total: int
    by_area: list[tuple[str, int]] = field(default_factory=list)
    by_audience: list[tuple[str, int]] = field(default_factory=list)
    by_topic: list[tuple[str, int]] = field(default_factory=list)
    recent: list[Order] = field(default_factory=list)


def demand_board(actor: User) -> DemandBoard:
    """The 需求 board: demand the menu does not cover yet (staff; no contact details)."""
    require(actor, "order.read")
    conditions = (Order.menu_item_id.is_(None), Order.state != "cancelled")
    free = select(Order).where(*conditions)

    def grouped(*columns) -> list:
        return list(db.session.execute(select(*columns, func.count(Order.id)).select_from(Order)
                                  .outerjoin(TaxonomyTerm, TaxonomyTerm.id == Order.hot_issue_id).where(*conditions)
                                  .group_by(*columns).order_by(func.count(Order.id).desc())))

    by_area = [(f"{d}{t}", n) for d, t, n in grouped(Order.district, Order.town)]
    by_audience = [(AUDIENCES.get(a, a), n) for a, n in grouped(Order.audience_type)]
    topics = grouped(TaxonomyTerm.name)
    total = db.session.scalar(free.with_only_columns(func.count())) or 0
    recent = list(db.session.scalars(free.order_by(Order.created_at.desc()).limit(50)))
    return DemandBoard(total=total, by_area=by_area, by_audience=by_audience,
                       by_topic=[(name or "未选择领域", n) for name, n in topics], recent=recent)
