"""送单: records of talks held (for an order or on the body's own initiative) and their photos.

Photos are decoded with Pillow, turned upright, re-encoded as JPEG without EXIF/XMP/ICC (so no
GPS position, camera serial or time survives), stored under PHOTO_FOLDER (outside the web root)
with 0600 permissions under a random name, and served only to staff who may read the delivery:
the 普法办 and the organisation's own publishers. Photos are never public: they show the audience.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from marshmallow import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from app.extensions import db
from app.models import Collection, Delivery, DeliveryPhoto, Order, User
from app.services import menu as menu_service
from app.services import orders as order_service
from app.services.auth import Missing, audit, require, require_for_organisation
from schemas.outreach import DeliverySchema

MAX_PHOTOS = 6
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
LONG_SIDE = 2400  # stored photos are at most this many pixels on the long side
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass
class CleanPhoto:
    """A re-encoded photo ready to store."""

    data: bytes
    width: int
    height: int


def clean_photo(data: bytes, name: str = "") -> CleanPhoto:
    """Decode, turn upright and re-encode a photo without any metadata, or a ValidationError."""
    label = f"照片“{Path(name).name[:60]}”" if name else "照片"
    if len(data) > int(current_app.config["PHOTO_MAX_BYTES"]):
        raise ValidationError({"photos": [f"{label}超过 {int(current_app.config['PHOTO_MAX_BYTES']) // 2**20} MB。"]})
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise ValidationError({"photos": [f"{label}格式不支持，请上传 JPEG、PNG 或 WebP 图片。"]})
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError({"photos": [f"{label}像素过多（超过 4000 万）。"]})
            upright = ImageOps.exif_transpose(image)  # apply the rotation before the EXIF goes
            rgb = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError({"photos": [f"{label}无法识别为图片，请换一张。"]}) from None
    rgb.thumbnail((LONG_SIDE, LONG_SIDE))
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=85, optimize=True)  # no exif=, icc_profile= or xmp=: none is written
    return CleanPhoto(out.getvalue(), rgb.width, rgb.height)


def _photo_folder() -> Path:
    """PHOTO_FOLDER, created private (0700)."""
    folder = Path(current_app.config["PHOTO_FOLDER"])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _store(photo: CleanPhoto) -> str:
    """Write a cleaned photo under a random name with 0600 permissions; return the name."""
    name = f"{secrets.token_hex(16)}.jpg"
    fd = os.open(_photo_folder() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(photo.data)
    return name


def record(actor: User, raw: dict, photos: list[tuple[str, bytes]], order_id: int | None = None) -> Delivery:
    """Record a delivery (for an order: it moves to 已送单) with its photos and linked cases.

    Everything is checked before anything is written; a failed commit removes the stored files.
    """
    order = db.session.get(Order, order_id) if order_id else None
    if order_id and order is None:
        raise Missing("order")
    organisation_id = order.organisation_id if order else actor.organisation_id if actor else None
    require_for_organisation(actor, "delivery.record", organisation_id)
    data = DeliverySchema().load(raw)
    if data["held_on"] > dt.date.today():
        raise ValidationError({"held_on": ["活动尚未举行：日期不能晚于今天。"]})
    photos = [(name, blob) for name, blob in photos if blob]
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": [f"最多上传 {MAX_PHOTOS} 张照片。"]})
    cleaned = [clean_photo(blob, name) for name, blob in photos]
    cases = menu_service.public_cases(data["case_ids"])
    lecturers = menu_service.chosen_lecturers(data["lecturer_ids"], organisation_id)
    collection = db.session.get(Collection, data["collection_id"]) if data["collection_id"] else None
    if data["collection_id"] and collection is None:
        raise ValidationError({"collection_id": ["所选专题不存在。"]})
    delivery = Delivery(organisation_id=organisation_id, order_id=order.id if order else None, title=data["title"],
                        held_on=data["held_on"], place=data["place"], attendance=data["attendance"],
                        audience_type=data["audience_type"], form=data["form"],
                        lecturer_names=data["lecturer_names"], summary=data["summary"], created_by=actor.id,
                        cases=cases, lecturers=lecturers, collection=collection)
    db.session.add(delivery)
    db.session.flush()
    if order is not None:
        order_service.mark_delivered(actor, order, delivery.id)
    stored: list[str] = []
    try:
        for photo in cleaned:
            name = _store(photo)
            stored.append(name)
            delivery.photos.append(DeliveryPhoto(filename=name, width=photo.width, height=photo.height,
                                                 size=len(photo.data)))
        audit(actor, "delivery.record", delivery_id=delivery.id, order_id=delivery.order_id,
              attendance=delivery.attendance, photos=len(stored))
        db.session.commit()
    except Exception:
        db.session.rollback()
        for name in stored:
            (_photo_folder() / name).unlink(missing_ok=True)
        raise
    return delivery


def get(actor: User, delivery_id: int) -> Delivery:
    """A delivery record for the 普法办 or its organisation's publishers."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise Missing("delivery")
    require_for_organisation(actor, "delivery.read", delivery.organisation_id)
    return delivery


def photo_path(actor: User, photo_id: int) -> Path:
    """The file of a photo the actor may see (staff only; photos are never public)."""
    photo = db.session.get(DeliveryPhoto, photo_id)
    if photo is None:
        raise Missing("photo")
    get(actor, photo.delivery_id)
    path = _photo_folder() / photo.filename
    if not path.is_file():
        raise Missing("photo file")
    return path


def organisation_deliveries(actor: User, limit: int = 200) -> list[Delivery]:
    """Recent deliveries: the actor's organisation's, or every body's for the 普法办."""
    require(actor, "delivery.read")
    query = select(Delivery).order_by(Delivery.held_on.desc(), Delivery.id.desc()).limit(limit)
    if actor.role == "publisher":
        query = query.where(Delivery.organisation_id == actor.organisation_id)
    return list(db.session.scalars(query))
