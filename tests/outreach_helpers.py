"""Builders for the 菜单式普法 tests: a public order form that passes, a listed menu item, orders
in every state, published cases, photos with EXIF. Real services on the real database."""
from __future__ import annotations

import datetime as dt
import io
import re

from app.extensions import db
from app.models import MenuItem, Order
from app.services import deliveries, revisions, workflow
from app.services import menu as menu_service
from app.services import orders as order_service
from tests.helpers import sample_record

TODAY = dt.date.today()
FUTURE = TODAY + dt.timedelta(days=20)


def solved(html: str) -> dict:
    """The challenge token and the right answer, read from an order form page as a person would."""
    token = re.search(r'name="challenge_token" value="([^"]+)"', html).group(1)
    a, b = map(int, re.search(r"(\d+) 加 (\d+) 等于几", html).groups())
    return {"challenge_token": token, "challenge_answer": str(a + b)}


def challenge_fields() -> dict:
    """A solved challenge without a page (service tests)."""
    challenge = order_service.new_challenge()
    a, b = map(int, re.search(r"(\d+) 加 (\d+)", challenge.question).groups())
    return {"challenge_token": challenge.token, "challenge_answer": str(a + b)}


def order_form(**overrides) -> dict:
    """A complete, valid public order (free topic unless menu_item_id is given)."""
    form = {"unit": "某镇某村村民委员会", "contact_name": "李四", "contact_phone": "13912345678",
            "district": "某区", "town": "某镇", "community": "某村", "audience_type": "village",
            "audience_size": "60", "window_start": (FUTURE - dt.timedelta(days=10)).isoformat(),
            "window_end": FUTURE.isoformat(), "topic": "农村土地承包纠纷", "hot_issue": "征地拆迁",
            "remarks": "希望结合本村案例。"}
    form.update(overrides)
    return form


def place(address: str = "10.0.0.1", **overrides) -> Order:
    """A placed order (through the service, challenge solved)."""
    return order_service.place_order({**order_form(**overrides), **challenge_fields()}, address)


def publish_case(accounts, title: str = "高空抛物致人损害案", publisher=None) -> int:
    """A case published through the real review workflow; returns its id."""
    record = sample_record(title=title, published_date=TODAY.isoformat())
    record.pop("issuer")
    record.pop("source_id")
    revision = revisions.save(publisher or accounts.publisher, None, record)
    workflow.submit(publisher or accounts.publisher, revision.id)
    workflow.approve(accounts.reviewer, revision.id)
    return revision.case_id


def listed_item(accounts, organisation=None, **overrides) -> MenuItem:
    """A menu item of org_a listed by the 普法办."""
    data = {"title": "物业纠纷以案释法", "summary": "结合典型案例讲解物业服务合同。", "hot_issue": "房产物业",
            "audiences": ["community"], "forms": ["lecture", "case_talk"], "duration_minutes": "60",
            "area": "全市", **overrides}
    item = menu_service.save_item(accounts.reviewer, None,
                                  {"organisation_id": (organisation or accounts.org_a).id, **data})
    return menu_service.submit_item(accounts.reviewer, item.id)


def jpeg_with_exif(width: int = 64, height: int = 48) -> bytes:
    """A JPEG carrying EXIF with a GPS position, a camera serial and an orientation tag."""
    from PIL import Image

    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = image.getexif()
    exif[0x0110] = "Secret Camera"  # Model
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 9.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def advance(accounts, order: Order, to: str) -> Order:
    """Drive an order through the real transitions up to state `to`."""
    steps = ["dispatched", "accepted", "scheduled", "delivered", "evaluated", "archived"]
    for step in steps[:steps.index(to) + 1]:
        if step == "dispatched":
            order_service.dispatch(accounts.reviewer, order.id, accounts.org_a.id)
        elif step == "accepted":
            order_service.accept(accounts.publisher, order.id)
        elif step == "scheduled":
            order_service.schedule(accounts.publisher, order.id, {"date": TODAY.isoformat(), "time": "09:30",
                                                                  "place": "某村文化礼堂"})
        elif step == "delivered":
            deliveries.record(accounts.publisher, delivery_form(), [("a.jpg", jpeg_with_exif())], order_id=order.id)
        elif step == "evaluated":
            order_service.evaluate(order.tracking_code, {"content": "5", "delivery": "4", "usefulness": "5"})
        elif step == "archived":
            order_service.archive(accounts.reviewer, order.id)
    db.session.refresh(order)
    return order


def delivery_form(**overrides) -> dict:
    """A valid delivery record."""
    form = {"title": "土地承包纠纷以案释法讲座", "held_on": TODAY.isoformat(), "place": "某村文化礼堂",
            "attendance": "58", "audience_type": "village", "form": "lecture",
            "summary": "结合三件典型案例讲解土地承包经营权的流转与纠纷解决途径。"}
    form.update(overrides)
    return form
