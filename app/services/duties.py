"""普法责任清单: each body's yearly duty items with owner, due date, status and evidence (台账),
and the 普法 calendar: national key dates and each body's own 集中宣传日."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import ValidationError
from sqlalchemy import select

from app.extensions import db
from app.models import Delivery, DutyEvidence, DutyItem, Issuer, KeyDate, MenuItem, User
from app.models.user import utcnow
from app.services import menu as menu_service
from app.services.auth import Missing, audit, require, require_for_organisation
from schemas.outreach import DutyItemSchema, KeyDateSchema

CALENDAR_FILE = Path(__file__).resolve().parent.parent / "data" / "pufa_dates.json"


# ---- duty items ----------------------------------------------------------------------------
def _organisation_for(actor: User, requested: int | None) -> int:
    """Publishers act for their own body; the 普法办 names one."""
    organisation_id = actor.organisation_id if actor.role == "publisher" else requested
    if not organisation_id or db.session.get(Issuer, organisation_id) is None:
        raise ValidationError({"organisation_id": ["请选择机构。"]})
    return organisation_id


def duty_items(actor: User, year: int) -> list[DutyItem]:
    """The duty items of a year the actor keeps (own body, or all for the 普法办)."""
    require(actor, "duty.edit")
    query = select(DutyItem).where(DutyItem.year == year).order_by(DutyItem.organisation_id, DutyItem.due_date)
    if actor.role == "publisher":
        query = query.where(DutyItem.organisation_id == actor.organisation_id)
    return list(db.session.scalars(query))


def get_duty(actor: User, item_id: int) -> DutyItem:
    """A duty item the actor may edit."""
    item = db.session.get(DutyItem, item_id)
    if item is None:
        raise Missing("duty item")
    require_for_organisation(actor, "duty.edit", item.organisation_id)
    return item


def _deliveries(ids: list[int], organisation_id: int) -> list[Delivery]:
    """The organisation's own delivery records with these ids."""
    found = {d.id: d for d in db.session.scalars(select(Delivery).where(Delivery.id.in_(ids or [0]),
                                                                        Delivery.organisation_id == organisation_id))}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError({"delivery_ids": [f"以下宣讲记录不存在或不属于本机构：{'、'.join(missing)}。"]})
    return [found[i] for i in ids]


def save_duty(actor: User, item_id: int | None, raw: dict) -> DutyItem:
    """Create or change a duty item and replace its evidence links."""
    require(actor, "duty.edit")
    item = get_duty(actor, item_id) if item_id else None
    data = DutyItemSchema().load(raw)
    if item is not None and (actor.role == "publisher" or not data["organisation_id"]):
        organisation_id = item.organisation_id  # an item stays with its body unless the 普法办 moves it
    else:
        organisation_id = _organisation_for(actor, data["organisation_id"])
    require_for_organisation(actor, "duty.edit", organisation_id)
    cases = menu_service.public_cases(data["case_ids"])
    deliveries = _deliveries(data["delivery_ids"], organisation_id)
    collections = [menu_service.published_collection(i, "collection_ids")
                   for i in dict.fromkeys(data["collection_ids"])]
    if item is None:
        item = DutyItem(organisation_id=organisation_id)
        db.session.add(item)
    item.organisation_id = organisation_id
    for name in ("year", "category", "title", "description", "owner", "due_date", "status"):
        setattr(item, name, data[name])
    item.updated_at = utcnow()
    item.evidence = ([DutyEvidence(case=c) for c in cases] + [DutyEvidence(delivery=d) for d in deliveries]
                     + [DutyEvidence(collection=c) for c in collections])
    db.session.flush()
    audit(actor, "duty.save", duty_item_id=item.id, status=item.status, evidence=len(item.evidence))
    db.session.commit()
    return item


def public_duties(year: int) -> dict[int, list[DutyItem]]:
    """Every body's duty items of a year, by organisation id (政务公开)."""
    out: dict[int, list[DutyItem]] = {}
    for item in db.session.scalars(select(DutyItem).where(DutyItem.year == year)
                                   .order_by(DutyItem.category, DutyItem.due_date)):
        out.setdefault(item.organisation_id, []).append(item)
    return out


# ---- the 普法 calendar ----------------------------------------------------------------------
@dataclass
class Occurrence:
    """A key date's next occurrence: from `start` to `end` (one day unless a span)."""

    date: KeyDate
    start: dt.date
    end: dt.date
    days_away: int
    cases: list = field(default_factory=list)

    @property
    def ongoing(self) -> bool:
        """True while the span has begun."""
        return self.days_away <= 0


def _on(year: int, month: int, day: int) -> dt.date:
    """The date in `year`; 29 February falls on the 28th in other years."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, month, day - 1)


def next_occurrence(key: KeyDate, today: dt.date) -> Occurrence:
    """This year's occurrence while it lasts, else next year's."""
    for year in (today.year - 1, today.year, today.year + 1):
        start = _on(year, key.month, key.day)
        end = start
        if key.end_month and key.end_day:
            end = _on(year, key.end_month, key.end_day)
            if end < start:  # a span over the new year
                end = _on(year + 1, key.end_month, key.end_day)
        if end >= today:
            return Occurrence(key, start, end, (start - today).days)
    raise AssertionError("unreachable: next year's occurrence always lies ahead")


def calendar(today: dt.date | None = None, organisation_id: int | None = None) -> list[Occurrence]:
    """Every key date (or one body's and the national ones) in order of its next occurrence."""
    today = today or dt.date.today()
    query = select(KeyDate)
    if organisation_id:
        query = query.where((KeyDate.organisation_id == organisation_id) | KeyDate.organisation_id.is_(None))
    return sorted((next_occurrence(k, today) for k in db.session.scalars(query)), key=lambda o: (o.start, o.date.id))


def upcoming(today: dt.date | None = None, days: int = 30, limit: int = 4) -> list[Occurrence]:
    """Key dates starting within `days` (or under way), with recommended cases of their hot issue."""
    from app.models import Case, CaseTag

    found = [o for o in calendar(today) if o.days_away <= days][:limit]
    for occurrence in found:
        term_id = occurrence.date.hot_issue_id
        if term_id:
            occurrence.cases = list(db.session.scalars(
                select(Case).join(CaseTag, CaseTag.case_id == Case.id)
                .where(CaseTag.term_id == term_id, Case.is_public)
                .order_by(Case.published_date.desc().nulls_last(), Case.id.desc()).limit(3)))
    return found


def save_key_date(actor: User, key_id: int | None, raw: dict) -> KeyDate:
    """Create or change a calendar date: the 普法办 any, a publisher only their body's 集中宣传日."""
    require(actor, "calendar.edit")
    data = KeyDateSchema().load(raw)
    key = db.session.get(KeyDate, key_id) if key_id else None
    if key_id and key is None:
        raise Missing("key date")
    organisation_id = actor.organisation_id if actor.role == "publisher" else data["organisation_id"]
    if key is not None:
        require_for_organisation(actor, "calendar.edit", key.organisation_id)
    require_for_organisation(actor, "calendar.edit", organisation_id)
    hot_issue = menu_service.term_by_name("hot_issue", data["hot_issue"])
    if data["hot_issue"] and hot_issue is None:
        raise ValidationError({"hot_issue": ["热点问题不存在。"]})
    items = list(db.session.scalars(select(MenuItem).where(MenuItem.id.in_(data["menu_item_ids"] or [0]),
                                                           MenuItem.state == "listed")))
    same_owner = (KeyDate.organisation_id.is_(None) if organisation_id is None
                  else KeyDate.organisation_id == organisation_id)
    clash = db.session.scalar(select(KeyDate.id).where(KeyDate.title == data["title"], same_owner))
    if clash and clash != key_id:
        raise ValidationError({"title": ["已有同名的日期。"]})
    if key is None:
        key = KeyDate()
        db.session.add(key)
    key.organisation_id, key.title, key.description = organisation_id, data["title"], data["description"]
    key.month, key.day, key.end_month, key.end_day = data["month"], data["day"], data["end_month"], data["end_day"]
    key.hot_issue, key.menu_items = hot_issue, items
    key.collection = menu_service.published_collection(data["collection_id"])
    db.session.flush()
    audit(actor, "calendar.save", key_date_id=key.id, title=key.title, organisation_id=organisation_id)
    db.session.commit()
    return key


def delete_key_date(actor: User, key_id: int) -> None:
    """Remove a calendar date (same rights as editing it)."""
    require(actor, "calendar.edit")
    key = db.session.get(KeyDate, key_id)
    if key is None:
        raise Missing("key date")
    require_for_organisation(actor, "calendar.edit", key.organisation_id)
    audit(actor, "calendar.delete", key_date_id=key.id, title=key.title)
    db.session.delete(key)
    db.session.commit()


def load_national_dates(path: Path = CALENDAR_FILE) -> tuple[int, int]:
    """Create or update the national key dates from a JSON file (by title); return (created, updated)."""
    created = updated = 0
    for entry in json.loads(Path(path).read_text(encoding="utf-8"))["dates"]:
        key = db.session.scalar(select(KeyDate).where(KeyDate.organisation_id.is_(None),
                                                      KeyDate.title == entry["title"]))
        if key is None:
            key = KeyDate(organisation_id=None, title=entry["title"])
            db.session.add(key)
            created += 1
        else:
            updated += 1
        key.month, key.day = entry["month"], entry["day"]
        key.end_month, key.end_day = entry.get("end_month"), entry.get("end_day")
        key.description = entry.get("description", "")
        key.hot_issue = menu_service.term_by_name("hot_issue", entry.get("hot_issue", ""))
    db.session.commit()
    return created, updated
