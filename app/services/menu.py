"""The 普法菜单: items kept by each organisation (or by the 普法办 for it), 上架/下架 through review,
and the public menu browsed by audience, topic and area."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

from marshmallow import ValidationError
from sqlalchemy import CursorResult, select, update

from app.extensions import db
from app.models import Case, Collection, Issuer, MenuItem, TaxonomyTerm, User
from app.models.outreach import AUDIENCES
from app.models.user import utcnow
from app.services.auth import Missing, audit, can, require, require_for_organisation
from app.services.errors import WorkflowError
from schemas.outreach import MenuItemSchema

_CASE_REF = re.compile(r"(?:/cases/)?(\d{1,9})")


def parse_case_refs(text: str) -> list[int]:
    """Case ids from what staff paste: "12 15", "12，15" or public case addresses (…/cases/12)."""
    return list(dict.fromkeys(int(m.group(1)) for m in _CASE_REF.finditer(text or "")))


def term_by_name(scheme: str, name: str) -> TaxonomyTerm | None:
    """A taxonomy term by scheme and name (None for blank)."""
    if not name:
        return None
    return db.session.scalar(select(TaxonomyTerm).filter_by(scheme=scheme, name=name))


def public_cases(case_ids: list[int], field_name: str = "case_ids") -> list[Case]:
    """The public cases with these ids, or a ValidationError naming the ones that are not."""
    if not case_ids:
        return []
    found = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(case_ids),
                                                                     Case.is_public))}
    missing = [str(i) for i in case_ids if i not in found]
    if missing:
        raise ValidationError({field_name: [f"以下案例编号不存在或未公开：{'、'.join(missing)}。"]})
    return [found[i] for i in case_ids]


def published_collection(collection_id: int | None, field_name: str = "collection_id") -> Collection | None:
    """The published 专题 with this id (None for none), or a ValidationError naming the field."""
    if not collection_id:
        return None
    collection = db.session.get(Collection, collection_id)
    if collection is None or not collection.published:
        raise ValidationError({field_name: ["所选专题不存在或未公开。"]})
    return collection


def published_collections() -> list[Collection]:
    """Every published 专题, for the staff forms' choice lists."""
    return list(db.session.scalars(select(Collection).where(Collection.published.is_(True))
                                   .order_by(Collection.title)))


def lecturers_of(organisation_id: int | None) -> list[User]:
    """Active lecturers of an organisation plus those of no organisation (the 讲师团 at large)."""
    query = select(User).where(User.role == "lecturer", User.active.is_(True))
    query = query.where((User.organisation_id == organisation_id) | User.organisation_id.is_(None))
    return list(db.session.scalars(query.order_by(User.display_name, User.username)))


def chosen_lecturers(ids: list[int], organisation_id: int | None, field_name: str = "lecturer_ids") -> list[User]:
    """The lecturers chosen on a form, each checked to be a lecturer the organisation may name."""
    allowed = {u.id: u for u in lecturers_of(organisation_id)}
    wrong = [i for i in ids if i not in allowed]
    if wrong:
        raise ValidationError({field_name: ["所选讲师不存在或不属于本机构。"]})
    return [allowed[i] for i in dict.fromkeys(ids)]



def _execute(statement) -> CursorResult:
    """Run an UPDATE and return its cursor result (for rowcount)."""
    return cast(CursorResult, db.session.execute(statement))

# ---- staff ---------------------------------------------------------------------------------
def _item_or_404(item_id: int) -> MenuItem:
    """The menu item, or Missing."""
    item = db.session.get(MenuItem, item_id)
    if item is None:
        raise Missing("menu item")
    return item


def get_item(actor: User, item_id: int) -> MenuItem:
    """A menu item the actor may edit."""
    item = _item_or_404(item_id)
    require_for_organisation(actor, "menu.edit", item.organisation_id)
    return item


def staff_items(actor: User) -> list[MenuItem]:
    """The items the actor keeps: a publisher's organisation's, or every item for the 普法办."""
    require(actor, "menu.edit")
    query = select(MenuItem).order_by(MenuItem.state != "pending", MenuItem.updated_at.desc())
    if actor.role == "publisher":
        query = query.where(MenuItem.organisation_id == actor.organisation_id)
    return list(db.session.scalars(query))


def save_item(actor: User, item_id: int | None, raw: dict) -> MenuItem:
    """Create or change a menu item; a listed item changed by its organisation goes back to review."""
    require(actor, "menu.edit")
    item = get_item(actor, item_id) if item_id else None
    data = MenuItemSchema().load(raw)
    organisation_id = actor.organisation_id if actor.role == "publisher" else data["organisation_id"]
    if item is not None and (actor.role == "publisher" or not organisation_id):
        organisation_id = item.organisation_id  # an item stays with its body unless the 普法办 moves it
    if organisation_id is None or db.session.get(Issuer, organisation_id) is None:
        raise ValidationError({"organisation_id": ["请选择提供该课题的机构。"]})
    require_for_organisation(actor, "menu.edit", organisation_id)
    hot_issue, law_topic = term_by_name("hot_issue", data["hot_issue"]), term_by_name("law_topic", data["law_topic"])
    if data["hot_issue"] and hot_issue is None:
        raise ValidationError({"hot_issue": ["热点问题不存在。"]})
    if data["law_topic"] and law_topic is None:
        raise ValidationError({"law_topic": ["法律部门不存在。"]})
    cases = public_cases(data["case_ids"])
    lecturers = chosen_lecturers(data["lecturer_ids"], organisation_id)
    collection = published_collection(data["collection_id"])
    if item is None:
        item = MenuItem(organisation_id=organisation_id, created_by=actor.id, state="draft")
        db.session.add(item)
    elif item.state == "listed" and actor.role == "publisher":
        item.state = "pending"  # a listed dish changed by its body is reviewed again before it shows
    item.organisation_id = organisation_id
    item.title, item.summary, item.area = data["title"], data["summary"], data["area"]
    item.hot_issue, item.law_topic = hot_issue, law_topic
    item.audiences, item.forms = data["audiences"], data["forms"]
    item.duration_minutes, item.lecturer_names = data["duration_minutes"], data["lecturer_names"]
    item.cases, item.lecturers, item.collection = cases, lecturers, collection
    item.updated_at = utcnow()
    db.session.flush()
    audit(actor, "menu.save", menu_item_id=item.id, title=item.title, state=item.state)
    db.session.commit()
    return item


def _move(item: MenuItem, allowed: tuple[str, ...], to: str, **values) -> None:
    """Change an item's state only if it is still in `allowed` (double clicks, two reviewers)."""
    result = _execute(update(MenuItem).where(MenuItem.id == item.id, MenuItem.state.in_(allowed))
                                .values(state=to, updated_at=utcnow(), **values)
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise WorkflowError("stale_state", "该课题的状态已经改变，请刷新页面查看最新状态。")
    db.session.refresh(item)


def submit_item(actor: User, item_id: int) -> MenuItem:
    """Ask the 普法办 to list the item (上架申请); the 普法办's own items are listed at once."""
    item = get_item(actor, item_id)
    to = "listed" if can(actor, "menu.review") else "pending"
    _move(item, ("draft", "unlisted", "pending") if to == "listed" else ("draft", "unlisted"), to)
    audit(actor, "menu.submit", menu_item_id=item.id, state=to)
    db.session.commit()
    return item


def review_item(actor: User, item_id: int, decision: str, comment: str = "") -> MenuItem:
    """上架 (list), 下架 (unlist) or return a pending item with a comment (the 普法办)."""
    require(actor, "menu.review")
    item = _item_or_404(item_id)
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": ["意见不能超过 2000 字。"]})
    if decision == "list":
        _move(item, ("pending", "draft", "unlisted"), "listed", review_comment=comment or None)
    elif decision == "unlist":
        _move(item, ("listed", "pending"), "unlisted", review_comment=comment or None)
    elif decision == "return":
        if not comment:
            raise ValidationError({"comment": ["退回时必须填写意见。"]})
        _move(item, ("pending",), "draft", review_comment=comment)
    else:
        raise ValidationError({"decision": ["操作无效。"]})
    audit(actor, f"menu.{decision}", menu_item_id=item.id, comment=comment)
    db.session.commit()
    return item


def withdraw_item(actor: User, item_id: int) -> MenuItem:
    """An organisation takes its own item off the menu (下架) without review."""
    item = get_item(actor, item_id)
    _move(item, ("listed", "pending"), "unlisted")
    audit(actor, "menu.unlist", menu_item_id=item.id)
    db.session.commit()
    return item


# ---- public --------------------------------------------------------------------------------
@dataclass
class MenuPage:
    """The public menu, filtered, with the filter choices that have items."""

    items: list[MenuItem]
    filters: dict[str, str]
    audiences: list[tuple[str, str, int]] = field(default_factory=list)
    topics: list[tuple[str, int]] = field(default_factory=list)
    areas: list[tuple[str, int]] = field(default_factory=list)
    total: int = 0


def listed_item(item_id: int) -> MenuItem | None:
    """A listed (public) menu item, or None."""
    item = db.session.get(MenuItem, item_id)
    return item if item is not None and item.state == "listed" else None


def public_menu(audience: str = "", topic: str = "", area: str = "") -> MenuPage:
    """Listed items by audience (机关、乡村…), topic (hot issue or law topic name) and area.

    Filtered in Python: a menu holds hundreds of items, not millions, and audiences are a list.
    """
    every = list(db.session.scalars(select(MenuItem).where(MenuItem.state == "listed")
                                    .order_by(MenuItem.updated_at.desc(), MenuItem.id.desc())))

    def topics_of(item: MenuItem) -> set[str]:
        return {t.name for t in (item.hot_issue, item.law_topic) if t is not None}

    def keep(item: MenuItem, skip: str = "") -> bool:
        return ((skip == "audience" or not audience or audience in item.audiences)
                and (skip == "topic" or not topic or topic in topics_of(item))
                and (skip == "area" or not area or item.area == area))

    items = [i for i in every if keep(i)]
    audience_counts = {code: sum(1 for i in every if keep(i, "audience") and code in i.audiences)
                       for code in AUDIENCES}
    topic_counts: dict[str, int] = {}
    area_counts: dict[str, int] = {}
    for item in every:
        if keep(item, "topic"):
            for name in topics_of(item):
                topic_counts[name] = topic_counts.get(name, 0) + 1
        if keep(item, "area") and item.area:
            area_counts[item.area] = area_counts.get(item.area, 0) + 1
    return MenuPage(items=items, filters={"audience": audience, "topic": topic, "area": area},
                    audiences=[(c, label, audience_counts[c]) for c, label in AUDIENCES.items() if audience_counts[c]],
                    topics=sorted(topic_counts.items(), key=lambda kv: -kv[1]),
                    areas=sorted(area_counts.items()), total=len(every))
