"""备课 workspace: a staff user's collections of published cases, their order, notes and 专题 page.

Every function takes the acting user first and checks here that they may use collections and
own the one they touch (a collection is its owner's working material; nobody else edits it).
Only published cases can be added; a case withdrawn later stays in the collection but is left
out of kits, exports and the public 专题 page (see app/services/kits.py).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import cast

from marshmallow import ValidationError
from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, Collection, CollectionItem, User
from app.models.collection import PARTS
from app.models.user import utcnow
from app.services.auth import audit, require
from app.services.errors import Missing, PermissionDenied
from schemas.collection import CollectionSchema, ItemSchema, OrderSchema

MAX_ITEMS = 100
MAX_COLLECTIONS = 200
DEFAULT_TITLE = "新的备课篮"


@dataclass
class AddResult:
    """What adding a case did: the collection it went into, its item, and whether it was new there."""

    collection: Collection
    item: CollectionItem
    added: bool


def _staff(actor: User | None) -> User:
    """The actor, once they may use collections at all (PermissionDenied otherwise)."""
    require(actor, "collection.use")
    return cast(User, actor)  # require() refused None


def _owned(actor: User | None, collection_id: int) -> Collection:
    """The actor's own collection, or Missing / PermissionDenied."""
    actor = _staff(actor)
    collection = db.session.get(Collection, collection_id)
    if collection is None:
        raise Missing("collection")
    if collection.owner_id != actor.id:
        raise PermissionDenied("只能操作自己的备课篮。")
    return collection


def _touch(collection: Collection) -> None:
    """Mark the collection as just changed (the newest one is where 加入备课篮 goes)."""
    collection.updated_at = utcnow()


def list_mine(actor: User | None) -> list[Collection]:
    """The actor's collections, the most recently changed first."""
    actor = _staff(actor)
    return list(db.session.scalars(select(Collection).where(Collection.owner_id == actor.id)
                                   .order_by(Collection.updated_at.desc(), Collection.id.desc())))


def get(actor: User | None, collection_id: int) -> Collection:
    """One of the actor's collections."""
    return _owned(actor, collection_id)


def create(actor: User | None, raw: dict) -> Collection:
    """A new collection with the given details (title required)."""
    actor = _staff(actor)
    data = CollectionSchema().load(raw)
    count = db.session.scalar(select(func.count()).select_from(Collection).where(Collection.owner_id == actor.id))
    if (count or 0) >= MAX_COLLECTIONS:
        raise ValidationError({"title": [f"每人最多 {MAX_COLLECTIONS} 个备课篮，请先删除不再使用的。"]})
    collection = Collection(owner_id=actor.id, share_token=secrets.token_urlsafe(12), items=[], **data)
    db.session.add(collection)
    db.session.commit()
    return collection


def update(actor: User | None, collection_id: int, raw: dict) -> Collection:
    """Change a collection's details."""
    collection = _owned(actor, collection_id)
    for name, value in CollectionSchema().load(raw).items():
        setattr(collection, name, value)
    _touch(collection)
    db.session.commit()
    return collection


def delete(actor: User | None, collection_id: int) -> None:
    """Delete a collection (its 专题 page goes with it)."""
    collection = _owned(actor, collection_id)
    if collection.published:
        audit(actor, "collection.unpublish", collection_id=collection.id, title=collection.title)
    db.session.delete(collection)
    db.session.commit()


def add_case(actor: User | None, case_id: int, collection_id: int | None = None) -> AddResult:
    """Put a published case into a collection (the most recent one, or a new one, when none is named)."""
    actor = _staff(actor)
    case = db.session.get(Case, case_id)
    if case is None or not case.is_public:
        raise Missing("case")
    if collection_id is not None:
        collection = _owned(actor, collection_id)
    else:
        mine = list_mine(actor)
        collection = mine[0] if mine else create(actor, {"title": DEFAULT_TITLE})
    existing = next((item for item in collection.items if item.case_id == case.id), None)
    if existing is not None:
        return AddResult(collection, existing, False)
    if len(collection.items) >= MAX_ITEMS:
        raise ValidationError({"case_id": [f"一个备课篮最多 {MAX_ITEMS} 件案例。"]})
    item = CollectionItem(case=case, position=len(collection.items), note="", parts=list(PARTS))
    collection.items.append(item)
    _touch(collection)
    db.session.commit()
    return AddResult(collection, item, True)


def _item(collection: Collection, item_id: int) -> CollectionItem:
    """An item of this collection, or Missing."""
    item = next((i for i in collection.items if i.id == item_id), None)
    if item is None:
        raise Missing("item")
    return item


def _renumber(collection: Collection, items: list[CollectionItem]) -> None:
    """Store `items` as the collection's order."""
    for position, item in enumerate(items):
        item.position = position
    collection.items = items
    _touch(collection)


def update_item(actor: User | None, collection_id: int, item_id: int, raw: dict) -> CollectionItem:
    """Save one case's 讲解要点 and chosen parts."""
    collection = _owned(actor, collection_id)
    item = _item(collection, item_id)
    data = ItemSchema().load(raw)
    item.note = data["note"]
    item.parts = [code for code in PARTS if code in data["parts"]]  # canonical order, no duplicates
    _touch(collection)
    db.session.commit()
    return item


def move_item(actor: User | None, collection_id: int, item_id: int, direction: str) -> None:
    """Move one case up or down by one place (the no-JavaScript reordering)."""
    collection = _owned(actor, collection_id)
    items = list(collection.items)
    index = items.index(_item(collection, item_id))
    other = index - 1 if direction == "up" else index + 1 if direction == "down" else -1
    if not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    _renumber(collection, items)
    db.session.commit()


def reorder(actor: User | None, collection_id: int, raw: dict) -> None:
    """Put every item in the given order (drag and drop, keyboard); the ids must be exactly the items."""
    collection = _owned(actor, collection_id)
    order = OrderSchema().load(raw)["items"]
    by_id = {item.id: item for item in collection.items}
    if sorted(order) != sorted(by_id):
        raise ValidationError({"items": ["顺序须恰好包含本备课篮的全部案例，请刷新页面后重试。"]})
    _renumber(collection, [by_id[i] for i in order])
    db.session.commit()


def remove_item(actor: User | None, collection_id: int, item_id: int) -> None:
    """Take a case out of a collection."""
    collection = _owned(actor, collection_id)
    item = _item(collection, item_id)
    _renumber(collection, [i for i in collection.items if i is not item])
    db.session.commit()


def set_published(actor: User | None, collection_id: int, published: bool) -> Collection:
    """Publish the collection as a public 专题 page (stable address), or take the page down."""
    collection = _owned(actor, collection_id)
    if published and not any(item.case.is_public for item in collection.items):
        raise ValidationError({"published": ["备课篮中还没有可公开的案例，不能发布为专题。"]})
    if collection.published != published:
        collection.published = published
        collection.published_at = utcnow() if published else collection.published_at
        audit(actor, "collection.publish" if published else "collection.unpublish", collection_id=collection.id,
              title=collection.title)
        _touch(collection)
    db.session.commit()
    return collection


def public_by_token(token: str) -> Collection:
    """A published 专题 by its public token, or Missing."""
    collection = db.session.scalar(select(Collection).where(Collection.share_token == token[:40],
                                                            Collection.published.is_(True)))
    if collection is None:
        raise Missing("collection")
    return collection


def published_topics(limit: int = 50) -> list[Collection]:
    """Published 专题, the most recently published first (the kiosk's rotation, the 专题 list)."""
    return list(db.session.scalars(select(Collection).where(Collection.published.is_(True))
                                   .order_by(Collection.published_at.desc(), Collection.id.desc()).limit(limit)))


def public_cases(collection: Collection) -> list[Case]:
    """The collection's cases the public may see, in order."""
    return [item.case for item in collection.items if item.case.is_public]
