"""菜单式普法 on the real database: the public order form (validation, abuse limits, nothing
stored on error), the order's state machine, deadlines, the purge, deliveries with EXIF-free
photos, evaluation, the menu and the 需求 board — through the services and over HTTP."""
import datetime as dt
import io
import os
import stat

import pytest
from marshmallow import ValidationError
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Delivery, DeliveryPhoto, Evaluation, Order, OrderAttempt, OrderEvent
from app.services import deliveries
from app.services import menu as menu_service
from app.services import orders as order_service
from app.services.auth import PermissionDenied
from app.services.errors import WorkflowError
from tests.helpers import CSRF
from tests.outreach_helpers import (
    FUTURE,
    TODAY,
    advance,
    challenge_fields,
    delivery_form,
    jpeg_with_exif,
    listed_item,
    order_form,
    place,
    publish_case,
    solved,
)


def stored_orders() -> int:
    """Rows of everything a public order writes (the attempt counter aside)."""
    return sum(db.session.scalar(select(func.count()).select_from(model)) or 0
               for model in (Order, OrderEvent, Evaluation))


def post_order(client, **fields):
    """GET the form (for its challenge), then POST it as a browser would."""
    page = client.get("/orders/new").get_data(as_text=True)
    with client.session_transaction() as session:
        session["csrf"] = CSRF
    return client.post("/orders/new", data={**order_form(), **solved(page), **fields, "csrf_token": CSRF})


# ---- the public form -----------------------------------------------------------------------
def test_a_citizen_orders_without_an_account_and_gets_a_tracking_link(app, client, accounts):
    response = post_order(client)
    assert response.status_code == 302
    order = db.session.scalar(select(Order))
    assert response.headers["Location"] == f"/orders/track/{order.tracking_code}?new=1"
    assert len(order.tracking_code) == 12 and order.state == "ordered"
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert "点单成功" in text and order_service.display_code(order.tracking_code) in text
    assert "139****5678" in text and "13912345678" not in text and "李四" not in text  # masked for the link holder
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    assert [e.state for e in order.events] == ["ordered"]


@pytest.mark.parametrize("fields, field, message", [
    ({"unit": ""}, "unit", "缺少必填字段"),
    ({"contact_name": ""}, "contact_name", "缺少必填字段"),
    ({"contact_phone": "12345"}, "contact_phone", "有效的手机号码"),
    ({"contact_phone": "1391234567x"}, "contact_phone", "有效的手机号码"),
    ({"audience_type": "aliens"}, "audience_type", "受众类型无效"),
    ({"audience_size": "many"}, "audience_size", "应为整数"),
    ({"audience_size": "0"}, "audience_size", "应在 1 到"),
    ({"window_end": "2020-01-01", "window_start": "2019-12-01"}, "window_end", "已经过去"),
    ({"window_start": FUTURE.isoformat(), "window_end": TODAY.isoformat()}, "window_end", "不能早于"),
    ({"window_start": "2025-02-30"}, "window_start", "有效日期"),
    ({"topic": "", "menu_item_id": ""}, "topic", "请从菜单中选择课题"),
    ({"menu_item_id": "999999"}, "menu_item_id", "已下架或不存在"),
    ({"remarks": "备" * 10_000}, "remarks", "备注不能超过 2000 字（现为 10000 字）"),
    ({"challenge_answer": "-1"}, "challenge_answer", "验证题答案不正确"),
    ({"challenge_token": "forged"}, "challenge_answer", "验证题答案不正确"),
])
def test_bad_input_gets_a_chinese_field_error_and_stores_nothing(app, client, accounts, fields, field, message):
    response = post_order(client, **fields)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f'id="err-{field}"' in text and message in text
    assert 'aria-invalid="true"' in text
    assert stored_orders() == 0
    if "remarks" not in fields:  # what the citizen typed is kept in the form
        assert "某镇某村村民委员会" in text


def test_missing_everything_names_every_required_field(app, client, accounts):
    page = client.get("/orders/new").get_data(as_text=True)
    with client.session_transaction() as session:
        session["csrf"] = CSRF
    response = client.post("/orders/new", data={"csrf_token": CSRF, **solved(page)})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    for name in ("unit", "contact_name", "contact_phone", "district", "town", "audience_type", "audience_size",
                 "window_start", "window_end"):
        assert f'id="err-{name}"' in text, name
    assert stored_orders() == 0


def test_script_tags_are_stored_as_text_and_escaped_everywhere(app, client, accounts, login):
    script = "<script>alert('x')</script>"
    assert post_order(client, unit=f"某村{script}", topic=f"讲讲{script}").status_code == 302
    order = db.session.scalar(select(Order))
    assert order.unit == f"某村{script}"
    for html in (client.get(f"/orders/track/{order.tracking_code}").get_data(as_text=True),):
        assert script not in html and "&lt;script&gt;" in html
    login(client, accounts.reviewer)
    for path in (f"/work/orders/{order.id}", "/work/orders", "/work/demand"):
        html = client.get(path).get_data(as_text=True)
        assert script not in html and "&lt;script&gt;" in html, path


def test_the_honeypot_refuses_robots_and_stores_nothing(app, client, accounts):
    response = post_order(client, website="http://spam.example")
    assert response.status_code == 400 and "提交未通过校验" in response.get_data(as_text=True)
    assert stored_orders() == 0


def test_a_flood_from_one_address_is_refused_across_the_database(app, client, accounts):
    limit = app.config["ORDER_RATE_LIMIT"]
    for _ in range(limit):
        assert post_order(client, contact_phone="bad").status_code == 400  # failures count too
    response = post_order(client)
    assert response.status_code == 429 and "提交过于频繁" in response.get_data(as_text=True)
    assert stored_orders() == 0
    assert db.session.scalar(select(func.count()).select_from(OrderAttempt)) == limit
    # another address is not affected; the address itself is never stored
    assert post_order(client, REMOTE_ADDR="10.9.9.9").status_code in (302, 429)
    other = client.post("/orders/new", environ_base={"REMOTE_ADDR": "10.9.9.9"},
                        data={**order_form(), **solved(client.get("/orders/new").get_data(as_text=True)),
                              "csrf_token": CSRF})
    assert other.status_code == 302
    assert all("10.9.9.9" not in row.address_hash and "127.0.0.1" not in row.address_hash
               for row in db.session.scalars(select(OrderAttempt)))


def test_the_form_without_csrf_token_is_refused(app, client, accounts):
    response = client.post("/orders/new", data=order_form())
    assert response.status_code == 400 and stored_orders() == 0


def test_garbage_never_causes_a_500(app, client, accounts):
    garbage = dict.fromkeys(order_form(), "\x00" * 3) | {"audience_size": "9" * 400, "menu_item_id": "-1",
                                                             "window_start": "0000-00-00", "hot_issue": "x" * 500}
    assert post_order(client, **garbage).status_code == 400
    for path in ("/orders/track/%00", "/orders/track/" + "A" * 500, "/orders/track?code=<script>", "/menu?audience=x",
                 "/figures?year=abc", "/figures?from=2024-13-01", "/feeds/hot-issues/nope.atom",
                 "/feeds/organisations/1.xml", "/menu/999"):
        assert client.get(path).status_code < 500, path
    assert stored_orders() == 0


# ---- the order's life ----------------------------------------------------------------------
def test_the_whole_life_of_an_order(app, accounts):
    case_id = publish_case(accounts)
    order = place()
    advance(accounts, order, "scheduled")
    assert order.state == "scheduled" and order.scheduled_place == "某村文化礼堂"
    delivery = deliveries.record(accounts.publisher, delivery_form(case_ids=[str(case_id)]),
                                 [("现场.jpg", jpeg_with_exif())], order_id=order.id)
    db.session.refresh(order)
    assert order.state == "delivered" and delivery.cases[0].id == case_id and len(delivery.photos) == 1
    order_service.evaluate(order.tracking_code, {"content": "5", "delivery": "4", "usefulness": "3", "comment": "好"})
    order_service.archive(accounts.reviewer, order.id)
    db.session.refresh(order)
    assert order.state == "archived" and order.closed_at is not None
    assert [e.state for e in order.events] == ["ordered", "dispatched", "accepted", "scheduled", "delivered",
                                               "evaluated", "archived"]
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("order.%"))))
    assert {"order.place", "order.dispatch", "order.accept", "order.schedule", "order.deliver", "order.evaluate",
            "order.archive"} <= actions


def test_decline_goes_back_to_dispatch_and_the_decliner_loses_sight_of_it(app, accounts):
    order = place()
    order_service.dispatch(accounts.reviewer, order.id, accounts.org_a.id)
    with pytest.raises(ValidationError) as refused:
        order_service.decline(accounts.publisher, order.id, "")
    assert "拒单理由" in str(refused.value.messages)
    order_service.decline(accounts.publisher, order.id, "本院近期无讲师可派")
    db.session.refresh(order)
    assert order.state == "declined" and order.organisation_id is None
    with pytest.raises(PermissionDenied):
        order_service.get_for_staff(accounts.publisher, order.id)  # the contact details are gone for them
    order_service.dispatch(accounts.reviewer, order.id, accounts.org_b.id)
    order_service.accept(accounts.other_publisher, order.id)
    assert order_service.get_for_staff(accounts.other_publisher, order.id).contact_phone == "13912345678"


def test_only_the_organisation_dispatched_to_may_handle_an_order(app, accounts):
    order = place()
    order_service.dispatch(accounts.reviewer, order.id, accounts.org_a.id)
    for user in (accounts.other_publisher, accounts.reviewer, accounts.admin, accounts.lecturer, None):
        with pytest.raises(PermissionDenied):
            order_service.accept(user, order.id)
    with pytest.raises(PermissionDenied):
        order_service.get_for_staff(accounts.admin, order.id)  # admins manage accounts, not citizens' phones
    order_service.accept(accounts.publisher, order.id)


def test_transitions_out_of_order_are_refused(app, accounts):
    order = place()
    with pytest.raises(WorkflowError):
        order_service.accept(accounts.publisher, order.id) if order.organisation_id else \
            order_service.evaluate(order.tracking_code, {"content": "5", "delivery": "5", "usefulness": "5"})
    advance(accounts, order, "accepted")
    with pytest.raises(WorkflowError):
        order_service.dispatch(accounts.reviewer, order.id, accounts.org_b.id)
    with pytest.raises(WorkflowError):
        deliveries.record(accounts.publisher, delivery_form(), [], order_id=order.id)  # not scheduled yet
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
    with pytest.raises(WorkflowError):
        order_service.archive(accounts.reviewer, order.id)


def test_the_orderer_cancels_and_can_evaluate_only_once(app, accounts):
    first, second = place(), place(address="10.0.0.2")
    order_service.cancel_by_orderer(first.tracking_code, "时间冲突")
    db.session.refresh(first)
    assert first.state == "cancelled" and first.closed_at
    with pytest.raises(WorkflowError):
        order_service.cancel_by_orderer(first.tracking_code, "")
    advance(accounts, second, "evaluated")
    with pytest.raises(WorkflowError):
        order_service.evaluate(second.tracking_code, {"content": "1", "delivery": "1", "usefulness": "1"})
    assert db.session.scalar(select(func.count()).select_from(Evaluation)) == 1
    with pytest.raises(WorkflowError):
        order_service.cancel_by_orderer(second.tracking_code, "")


def test_evaluation_scores_are_checked(app, accounts):
    order = advance(accounts, place(), "delivered")
    for bad in ({"content": "6", "delivery": "5", "usefulness": "5"}, {"content": "5", "delivery": "5"},
                {"content": "x", "delivery": "5", "usefulness": "5"}):
        with pytest.raises(ValidationError):
            order_service.evaluate(order.tracking_code, bad)
    assert db.session.get(Order, order.id).state == "delivered"


def test_deadlines_mark_orders_overdue_and_late_work_still_gets_done(app, accounts):
    waiting, dispatched = place(), place(address="10.0.0.2")
    order_service.dispatch(accounts.reviewer, dispatched.id, accounts.org_a.id)
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=app.config["ORDER_DISPATCH_DAYS"], hours=1)
    report = order_service.sweep(later)
    assert (report.overdue_dispatch, report.overdue_accept) == (1, 1)
    db.session.refresh(waiting)
    db.session.refresh(dispatched)
    assert waiting.state_label == "已点单（逾期未派单）" and dispatched.state_label == "已派单（逾期未接单）"
    assert order_service.sweep(later).overdue_dispatch == 0  # marked once
    order_service.accept(accounts.publisher, dispatched.id)
    db.session.refresh(dispatched)
    assert dispatched.overdue_step is None and dispatched.was_late


def test_the_cli_sweep_and_purge(app, runner, accounts):
    order = place()
    order_service.cancel_by_orderer(order.tracking_code, "")
    days = app.config["ORDER_RETENTION_DAYS"]
    result = runner.invoke(args=["orders", "purge"])
    assert result.exit_code == 0 and "已清除 0 单" in result.output
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=days + 1)).strftime("%Y-%m-%dT%H:%M")
    result = runner.invoke(args=["orders", "purge", "--now", future])
    assert result.exit_code == 0 and "已清除 1 单" in result.output
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.contact_name, order.contact_phone, order.remarks) == (None, None, None)
    assert order.unit and order.purged_at  # the figures keep what is not personal
    result = runner.invoke(args=["orders", "sweep", "--now", "not-a-time"])
    assert result.exit_code != 0 and "ISO" in result.output


def test_delivered_orders_are_archived_after_the_evaluation_window(app, accounts):
    order = advance(accounts, place(), "delivered")
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=app.config["ORDER_EVALUATION_DAYS"] + 1)
    assert order_service.sweep(later).archived == 1
    db.session.refresh(order)
    assert order.state == "archived" and order.closed_at == later


def test_dispatch_suggests_who_enforces_the_law(app, accounts):
    publish_case(accounts)  # org_a publishes a 房产物业 case (the sample is about 物业)
    item = listed_item(accounts, organisation=accounts.org_b)
    from_menu = place(menu_item_id=str(item.id), topic="")
    suggestions = order_service.suggested_organisations(from_menu)
    assert suggestions[0][0].id == accounts.org_b.id and "菜单课题" in suggestions[0][1]
    free = place(address="10.0.0.3", hot_issue="房产物业")
    top, why = order_service.suggested_organisations(free)[0]
    assert top.id == accounts.org_a.id and "房产物业" in why


# ---- deliveries and photos -----------------------------------------------------------------
def test_photos_lose_their_exif_and_are_stored_privately(app, accounts):
    original = jpeg_with_exif(64, 48)
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get(0x0110) == "Secret Camera"
    order = advance(accounts, place(), "delivered")
    photo = db.session.scalar(select(DeliveryPhoto).where(DeliveryPhoto.delivery_id == order.delivery.id))
    path = deliveries.photo_path(accounts.reviewer, photo.id)
    data = path.read_bytes()
    assert b"Secret Camera" not in data and b"SERIAL-123456" not in data and b"Exif" not in data
    with Image.open(path) as stored:
        assert dict(stored.getexif()) == {} and (stored.width, stored.height) == (48, 64)  # turned upright first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert str(path).startswith(app.config["PHOTO_FOLDER"]) and "static" not in str(path)
    for user in (accounts.other_publisher, accounts.lecturer, accounts.admin, None):
        with pytest.raises(PermissionDenied):
            deliveries.photo_path(user, photo.id)


def test_bad_photos_are_refused_and_nothing_is_stored(app, accounts):
    order = advance(accounts, place(), "scheduled")
    for name, blob, message in (("a.jpg", b"not an image", "无法识别"), ("a.gif", _gif(), "格式不支持")):
        with pytest.raises(ValidationError) as refused:
            deliveries.record(accounts.publisher, delivery_form(), [(name, blob)], order_id=order.id)
        assert message in str(refused.value.messages)
    with pytest.raises(ValidationError):
        deliveries.record(accounts.publisher, delivery_form(), [("p.jpg", jpeg_with_exif())] * 7, order_id=order.id)
    assert db.session.get(Order, order.id).state == "scheduled"
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
    folder = app.config["PHOTO_FOLDER"]
    assert not os.path.exists(folder) or os.listdir(folder) == []


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "GIF")
    return out.getvalue()


def test_delivery_date_and_cases_are_checked(app, accounts):
    with pytest.raises(ValidationError) as refused:
        deliveries.record(accounts.publisher, delivery_form(held_on=FUTURE.isoformat()), [])
    assert "不能晚于今天" in str(refused.value.messages)
    with pytest.raises(ValidationError) as refused:
        deliveries.record(accounts.publisher, delivery_form(case_ids=["424242"]), [])
    assert "424242" in str(refused.value.messages)
    own = deliveries.record(accounts.publisher, delivery_form(), [])  # on the body's own initiative
    assert own.order_id is None and own.organisation_id == accounts.org_a.id


def test_the_photo_route_serves_staff_only(app, client, accounts, login):
    order = advance(accounts, place(), "delivered")
    photo = order.delivery.photos[0]
    assert client.get(f"/work/photos/{photo.id}").status_code == 302  # anonymous → login
    login(client, accounts.other_publisher)
    assert client.get(f"/work/photos/{photo.id}").status_code == 403
    login(client, accounts.publisher)
    response = client.get(f"/work/photos/{photo.id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "no-store" in response.headers["Cache-Control"] and b"Exif" not in response.data
    response.close()


# ---- the menu and the demand board ---------------------------------------------------------
def test_menu_items_are_listed_through_review(app, client, accounts):
    case_id = publish_case(accounts)
    item = menu_service.save_item(accounts.publisher, None, {
        "title": "食品安全进社区", "audiences": ["community", "school"], "forms": ["lecture"],
        "duration_minutes": "45", "hot_issue": "食品安全", "area": "某区", "case_ids": [str(case_id)]})
    assert item.state == "draft" and item.organisation_id == accounts.org_a.id
    assert "食品安全进社区" not in client.get("/menu").get_data(as_text=True)
    menu_service.submit_item(accounts.publisher, item.id)
    assert db.session.get(type(item), item.id).state == "pending"
    with pytest.raises(PermissionDenied):
        menu_service.review_item(accounts.publisher, item.id, "list")
    with pytest.raises(ValidationError):
        menu_service.review_item(accounts.reviewer, item.id, "return", "")
    menu_service.review_item(accounts.reviewer, item.id, "list")
    page = client.get("/menu?audience=school").get_data(as_text=True)
    assert "食品安全进社区" in page
    assert "食品安全进社区" not in client.get("/menu?audience=village").get_data(as_text=True)
    assert "食品安全进社区" in client.get("/menu?topic=食品安全&area=某区").get_data(as_text=True)
    detail = client.get(f"/menu/{item.id}").get_data(as_text=True)
    assert "高空抛物致人损害案" in detail and f"/orders/new?item={item.id}" in detail
    # a listed item changed by its body goes back to review before it shows again
    menu_service.save_item(accounts.publisher, item.id, {"title": "食品安全进社区（新版）", "audiences": ["school"],
                                                         "forms": ["lecture"], "duration_minutes": "45"})
    assert client.get(f"/menu/{item.id}").status_code == 404


def test_menu_items_refuse_other_bodies_and_bad_links(app, accounts):
    item = listed_item(accounts)
    with pytest.raises(PermissionDenied):
        menu_service.save_item(accounts.other_publisher, item.id, {"title": "改", "audiences": ["school"],
                                                                    "forms": ["lecture"], "duration_minutes": "45"})
    for bad, field in (({"audiences": []}, "audiences"), ({"forms": ["dance"]}, "forms"),
                       ({"duration_minutes": "5"}, "duration_minutes"), ({"case_ids": ["99999"]}, "case_ids"),
                       ({"lecturer_ids": [str(accounts.reviewer.id)]}, "lecturer_ids")):
        data = {"title": "新课题", "audiences": ["school"], "forms": ["lecture"], "duration_minutes": "45", **bad}
        with pytest.raises(ValidationError) as refused:
            menu_service.save_item(accounts.publisher, None, data)
        assert field in refused.value.messages


def test_ordering_a_menu_item_and_the_demand_board(app, client, accounts, login):
    item = listed_item(accounts)
    page = client.get(f"/orders/new?item={item.id}").get_data(as_text=True)
    assert f'<option value="{item.id}" selected>' in page
    with client.session_transaction() as session:
        session["csrf"] = CSRF
    assert client.post("/orders/new", data={**order_form(menu_item_id=str(item.id), topic=""), **solved(page),
                                            "csrf_token": CSRF}).status_code == 302
    place(address="10.1.1.1", topic="校园欺凌怎么办", hot_issue="未成年人保护", audience_type="school")
    board = order_service.demand_board(accounts.reviewer)
    assert board.total == 1 and board.recent[0].topic == "校园欺凌怎么办"
    assert ("未成年人保护", 1) in board.by_topic and ("学校", 1) in board.by_audience
    login(client, accounts.publisher)
    html = client.get("/work/demand").get_data(as_text=True)
    assert "校园欺凌怎么办" in html and "13912345678" not in html  # no contact details on the board


# ---- staff pages over HTTP -----------------------------------------------------------------
def test_staff_walk_an_order_through_the_web(app, client, accounts, login):
    order = place()
    login(client, accounts.reviewer)
    page = client.get(f"/work/orders/{order.id}").get_data(as_text=True)
    assert "13912345678" in page and "李四" in page and "派单" in page
    assert client.post(f"/work/orders/{order.id}/dispatch", data={"csrf_token": CSRF}).status_code == 400
    dispatched = client.post(f"/work/orders/{order.id}/dispatch",
                             data={"csrf_token": CSRF, "organisation_id": accounts.org_a.id})
    assert dispatched.status_code == 302
    login(client, accounts.publisher)
    assert "待接单" in client.get("/work/orders").get_data(as_text=True)
    assert client.post(f"/work/orders/{order.id}/accept", data={"csrf_token": CSRF}).status_code == 302
    bad = client.post(f"/work/orders/{order.id}/schedule", data={"csrf_token": CSRF, "date": "2020-01-01",
                                                                 "time": "25:00", "place": ""})
    assert bad.status_code == 400 and "时间格式" in bad.get_data(as_text=True)
    assert client.post(f"/work/orders/{order.id}/schedule", data={
        "csrf_token": CSRF, "date": TODAY.isoformat(), "time": "14:00", "place": "村委会会议室",
        "lecturer_ids": str(accounts.lecturer.id)}).status_code == 302
    assert client.get(f"/work/orders/{order.id}/deliver").status_code == 200
    response = client.post(f"/work/orders/{order.id}/deliver", content_type="multipart/form-data", data={
        "csrf_token": CSRF, **delivery_form(), "lecturer_ids": str(accounts.lecturer.id),
        "photos": (io.BytesIO(jpeg_with_exif()), "现场.jpg")})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    delivered = db.session.get(Order, order.id)
    assert delivered.state == "delivered" and delivered.delivery.lecturers[0].id == accounts.lecturer.id
    assert client.get(f"/work/deliveries/{delivered.delivery.id}").status_code == 200
    login(client, accounts.lecturer)
    talks = client.get("/work/talks").get_data(as_text=True)
    assert "村委会会议室" in talks and "13912345678" not in talks
    evaluation = client.post(f"/orders/track/{order.tracking_code}/evaluate",
                             data={"csrf_token": CSRF, "content": "5", "delivery": "5"})
    assert evaluation.status_code == 400 and 'id="err-usefulness"' in evaluation.get_data(as_text=True)
    assert client.post(f"/orders/track/{order.tracking_code}/evaluate", data={
        "csrf_token": CSRF, "content": "5", "delivery": "5", "usefulness": "4"}).status_code == 302
    assert "您已评价" in client.get(f"/orders/track/{order.tracking_code}").get_data(as_text=True)


def test_tracking_lookup(app, client, accounts):
    order = place()
    code = order_service.display_code(order.tracking_code).lower()
    response = client.get(f"/orders/track?code={code}")
    assert response.status_code == 302 and response.headers["Location"].endswith(order.tracking_code)
    assert client.get("/orders/track?code=abc").status_code == 400
    assert client.get("/orders/track/ABCDEFGHJKMN").status_code == 404
    assert client.get("/orders/track").status_code == 200


def test_place_order_stores_nothing_when_the_challenge_is_reused_wrongly(app, accounts):
    fields = challenge_fields()
    fields["challenge_answer"] = str(int(fields["challenge_answer"]) + 1)
    with pytest.raises(ValidationError):
        order_service.place_order({**order_form(), **fields}, "10.2.2.2")
    assert stored_orders() == 0


def test_the_audit_log_names_order_steps_without_personal_data(app, client, accounts, login):
    order = advance(accounts, place(), "accepted")
    login(client, accounts.admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "群众点单" in html and "派单" in html and "接单" in html
    assert "13912345678" not in html and "李四" not in html and order.tracking_code not in html


def test_lecturers_may_belong_to_an_organisation_and_are_offered_only_to_it(app, accounts):
    from app.services import auth as auth_service

    own = auth_service.create_user(accounts.admin, {"username": "court-lecturer", "role": "lecturer",
                                                    "organisation_id": accounts.org_a.id, "password": "Good-password-9"})
    other = auth_service.create_user(accounts.admin, {"username": "agency-lecturer", "role": "lecturer",
                                                      "organisation_id": accounts.org_b.id, "password": "Good-password-9"})
    assert own.organisation_id == accounts.org_a.id
    offered = {u.id for u in menu_service.lecturers_of(accounts.org_a.id)}
    assert own.id in offered and accounts.lecturer.id in offered and other.id not in offered  # 讲师团 at large too
    order = advance(accounts, place(), "accepted")
    with pytest.raises(ValidationError):
        order_service.schedule(accounts.publisher, order.id, {"date": TODAY.isoformat(), "time": "09:00",
                                                              "place": "村委会", "lecturer_ids": [str(other.id)]})
    reviewer = auth_service.create_user(accounts.admin, {"username": "rev2", "role": "reviewer",
                                                         "organisation_id": accounts.org_a.id,
                                                         "password": "Good-password-9"})
    assert reviewer.organisation_id is None  # only publishers and lecturers belong to a body
