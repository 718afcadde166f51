"""The role matrix: every write route refuses every role that must not use it (and anonymous
visitors), through the web and directly in the service layer; a publisher never touches another
organisation's cases. Each refusal must also leave the database exactly as it was."""
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Case,
    CaseRevision,
    Collection,
    CollectionItem,
    Delivery,
    DutyItem,
    Issuer,
    KeyDate,
    LoginAttempt,
    MenuItem,
    Order,
    OrderEvent,
    RubricCriterion,
    User,
)
from app.services import auth as auth_service
from app.services import collections as collection_service
from app.services import deid_review, deliveries, duties, revisions, stats, uploads, workflow
from app.services import menu as menu_service
from app.services import orders as order_service
from app.services.auth import PermissionDenied
from tests.helpers import CSRF, sample_record
from tests.outreach_helpers import TODAY, advance, delivery_form, listed_item, place

ROLES = ("anonymous", "publisher", "other_publisher", "reviewer", "admin", "lecturer")
STAFF = {"publisher", "other_publisher", "reviewer", "admin", "lecturer"}


def record(**overrides) -> dict:
    """An editor record."""
    data = sample_record(**overrides)
    data.pop("issuer")
    data.pop("source_id")
    return data


@pytest.fixture()
def world(app, accounts):
    """org_a's cases in every state the routes act on: published, a draft, a submission."""
    published = revisions.save(accounts.publisher, None, record(title="已发布案例"))
    workflow.submit(accounts.publisher, published.id)
    workflow.approve(accounts.reviewer, published.id)
    draft = revisions.save(accounts.publisher, None, record(title="草稿案例"))
    submitted = revisions.save(accounts.publisher, None, record(title="待审案例"))
    workflow.submit(accounts.publisher, submitted.id)
    named = revisions.save(accounts.publisher, None, record(title="含个人信息的草稿", sections=[
        {"kind": "facts", "heading": "基本案情", "text": "原告王小明，住某市延安西路2299号，电话13912342781。"}]))
    kit = collection_service.create(accounts.lecturer, {"title": "讲师的备课篮"})
    item = collection_service.add_case(accounts.lecturer, published.case_id, kit.id).item
    basket = collection_service.create(accounts.lecturer, {"title": "空的备课篮"})  # the newest: 加入 goes here
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # so that "unlock" has something to do
    db.session.add_all(LoginAttempt(ip="10.0.0.66", username="lecturer", success=False, created_at=now)
                       for _ in range(5))
    db.session.commit()
    return SimpleNamespace(accounts=accounts, case=published.case, draft=draft, submitted=submitted, named=named,
                           kit=kit, item=item, basket=basket)


@pytest.fixture()
def oworld(world, accounts):
    """The world plus 菜单式普法 objects (a separate fixture: the case matrix does not pay for them)."""
    world.__dict__.update(outreach_world(accounts))
    return world


def outreach_world(accounts) -> dict:
    """菜单式普法 objects in every state the routes act on (org_a's), for the matrix below."""
    menu_draft = menu_service.save_item(accounts.publisher, None, {
        "title": "草稿课题", "audiences": ["school"], "forms": ["lecture"], "duration_minutes": "45"})
    pending = menu_service.submit_item(accounts.publisher, menu_service.save_item(accounts.publisher, None, {
        "title": "待审课题", "audiences": ["school"], "forms": ["lecture"], "duration_minutes": "45"}).id)
    orders = {state: place(address=f"10.0.1.{i}") for i, state in enumerate(
        ("ordered", "dispatched", "accepted", "scheduled", "evaluated"))}
    for state, order in orders.items():
        if state != "ordered":
            advance(accounts, order, state)
    duty = duties.save_duty(accounts.publisher, None, {"year": str(TODAY.year), "category": "cases",
                                                       "title": "发布案例", "owner": "研究室",
                                                       "due_date": TODAY.isoformat()})
    own_day = duties.save_key_date(accounts.publisher, None, {"title": "法院开放日", "month": "3", "day": "1"})
    return {"menu_draft": menu_draft, "menu_pending": pending, "menu_listed": listed_item(accounts),
            "orders": orders, "duty": duty, "own_day": own_day}


def editor_form(title="网页新建案例") -> dict:
    """A complete, valid editor submission."""
    return {"op": "save", "title": title, "case_type": "民事", "section_count": "1", "section-0-kind": "facts",
            "section-0-heading": "基本案情", "section-0-text": "原告诉称……", "issuer": "伪造的机关"}


# (name, method builder(world) → (path, form), roles allowed)
ROUTES = {
    "create case": (lambda w: ("/publish/cases/new", editor_form()), {"publisher", "other_publisher"}),
    "edit case": (lambda w: (f"/publish/cases/{w.case.id}/edit", editor_form("改")), {"publisher"}),
    "edit draft": (lambda w: (f"/publish/cases/{w.draft.case_id}/edit", editor_form("改")), {"publisher"}),
    "submit": (lambda w: (f"/publish/revisions/{w.draft.id}/submit", {}), {"publisher"}),
    "discard": (lambda w: (f"/publish/revisions/{w.draft.id}/discard", {}), {"publisher"}),
    "withdraw": (lambda w: (f"/publish/cases/{w.case.id}/withdraw", {"reason": "测试撤回"}),
                 {"publisher", "reviewer", "admin"}),
    "replace personal data": (lambda w: (f"/publish/revisions/{w.named.id}/deid", {"all": "1"}), {"publisher"}),
    "approve": (lambda w: (f"/review/revisions/{w.submitted.id}/approve", {}), {"reviewer"}),
    "return": (lambda w: (f"/review/revisions/{w.submitted.id}/return", {"comment": "请修改"}), {"reviewer"}),
    "create user": (lambda w: ("/admin/users/new", {"username": "newbie", "role": "reviewer",
                                                    "password": "Good-password-9"}), {"admin"}),
    "edit user": (lambda w: (f"/admin/users/{w.accounts.lecturer.id}", {"role": "reviewer", "active": "1"}),
                  {"admin"}),
    "reset password": (lambda w: (f"/admin/users/{w.accounts.lecturer.id}/password", {}), {"admin"}),
    "unlock": (lambda w: (f"/admin/users/{w.accounts.lecturer.id}/unlock", {}), {"admin"}),
    "save organisation": (lambda w: ("/admin/organisations", {"name": "新机构", "kind": "court"}), {"admin"}),
    # 备课: any staff member keeps collections; only the owner (here the lecturer) touches one.
    "create collection": (lambda w: ("/kits/", {"title": "新备课篮"}), STAFF),
    "add to collection": (lambda w: ("/kits/add", {"case_id": w.case.id}), STAFF),
    "add to someone's collection": (lambda w: ("/kits/add", {"case_id": w.case.id, "collection_id": w.basket.id}),
                                    {"lecturer"}),
    "edit collection": (lambda w: (f"/kits/{w.kit.id}", {"title": "改名"}), {"lecturer"}),
    "save collection item": (lambda w: (f"/kits/{w.kit.id}/items/{w.item.id}",
                                        {"op": "save", "note": "要点", "parts": ["story"]}), {"lecturer"}),
    "remove collection item": (lambda w: (f"/kits/{w.kit.id}/items/{w.item.id}", {"op": "remove"}), {"lecturer"}),
    "reorder collection": (lambda w: (f"/kits/{w.kit.id}/order", {"items": [str(w.item.id)]}), {"lecturer"}),
    "publish collection": (lambda w: (f"/kits/{w.kit.id}/publish", {"published": "1"}), {"lecturer"}),
    "delete collection": (lambda w: (f"/kits/{w.kit.id}/delete", {}), {"lecturer"}),
}
# 菜单式普法 and the assessment (issue 13); these need the `oworld` fixture.
OUTREACH_ROUTES = {
    "dispatch order": (lambda w: (f"/work/orders/{w.orders['ordered'].id}/dispatch",
                                  {"organisation_id": w.accounts.org_a.id}), {"reviewer"}),
    "cancel order": (lambda w: (f"/work/orders/{w.orders['ordered'].id}/cancel", {"reason": "重复点单"}), {"reviewer"}),
    "archive order": (lambda w: (f"/work/orders/{w.orders['evaluated'].id}/archive", {}), {"reviewer"}),
    "accept order": (lambda w: (f"/work/orders/{w.orders['dispatched'].id}/accept", {}), {"publisher"}),
    "decline order": (lambda w: (f"/work/orders/{w.orders['dispatched'].id}/decline", {"reason": "无讲师"}),
                      {"publisher"}),
    "schedule order": (lambda w: (f"/work/orders/{w.orders['accepted'].id}/schedule",
                                  {"date": TODAY.isoformat(), "time": "10:00", "place": "村委会"}), {"publisher"}),
    "deliver order": (lambda w: (f"/work/orders/{w.orders['scheduled'].id}/deliver", delivery_form()), {"publisher"}),
    "record delivery": (lambda w: ("/work/deliveries/new", delivery_form()), {"publisher", "other_publisher"}),
    "create menu item": (lambda w: ("/work/menu/new", {"title": "新课题", "audiences": "school", "forms": "lecture",
                                                       "duration_minutes": "45",
                                                       "organisation_id": w.accounts.org_a.id}),
                         {"publisher", "other_publisher", "reviewer"}),
    "edit menu item": (lambda w: (f"/work/menu/{w.menu_draft.id}", {"title": "改过的课题", "audiences": "school",
                                                                    "forms": "lecture", "duration_minutes": "45",
                                                                    "organisation_id": w.accounts.org_a.id}),
                       {"publisher", "reviewer"}),
    "submit menu item": (lambda w: (f"/work/menu/{w.menu_draft.id}/submit", {}), {"publisher", "reviewer"}),
    "list menu item": (lambda w: (f"/work/menu/{w.menu_pending.id}/review", {"decision": "list"}), {"reviewer"}),
    "withdraw menu item": (lambda w: (f"/work/menu/{w.menu_listed.id}/withdraw", {}), {"publisher", "reviewer"}),
    "create duty item": (lambda w: ("/work/duties/new", {"year": str(TODAY.year), "category": "public", "title": "宣讲",
                                                         "owner": "宣传科", "due_date": TODAY.isoformat(),
                                                         "organisation_id": w.accounts.org_a.id}),
                         {"publisher", "other_publisher", "reviewer"}),
    "edit duty item": (lambda w: (f"/work/duties/{w.duty.id}", {"year": str(TODAY.year), "category": "cases",
                                                                "title": "发布案例", "owner": "研究室",
                                                                "due_date": TODAY.isoformat(), "status": "done"}),
                       {"publisher", "reviewer"}),
    "add key date": (lambda w: ("/work/calendar", {"title": "新宣传日", "month": "9", "day": "1"}),
                     {"publisher", "other_publisher", "reviewer"}),
    "delete key date": (lambda w: (f"/work/calendar/{w.own_day.id}/delete", {}), {"publisher", "reviewer"}),
    "save rubric": (lambda w: ("/assessment/rubric", {f"{part}_{c.metric}": "7" for c in stats.DEFAULT_RUBRIC
                                                      for part in ("weight", "target")}), {"reviewer"}),
}


def fingerprint() -> tuple:
    """Everything a write route could change."""
    db.session.expire_all()
    return (
        db.session.execute(select(Case.id, Case.status, Case.title, Case.issuer_id).order_by(Case.id)).all(),
        db.session.execute(select(CaseRevision.id, CaseRevision.state, CaseRevision.record)
                           .order_by(CaseRevision.id)).all(),
        db.session.execute(select(User.id, User.role, User.active, User.password_hash,
                                  User.organisation_id).order_by(User.id)).all(),
        db.session.execute(select(LoginAttempt.id).order_by(LoginAttempt.id)).all(),
        db.session.execute(select(Issuer.id, Issuer.name, Issuer.region).order_by(Issuer.id)).all(),
        db.session.execute(select(Collection.id, Collection.owner_id, Collection.title, Collection.published,
                                  Collection.updated_at).order_by(Collection.id)).all(),
        db.session.execute(select(CollectionItem.id, CollectionItem.case_id, CollectionItem.position,
                                  CollectionItem.note, CollectionItem.parts).order_by(CollectionItem.id)).all(),
        db.session.execute(select(Order.id, Order.state, Order.organisation_id, Order.scheduled_at)
                           .order_by(Order.id)).all(),
        db.session.execute(select(OrderEvent.id).order_by(OrderEvent.id)).all(),
        db.session.execute(select(MenuItem.id, MenuItem.state, MenuItem.title).order_by(MenuItem.id)).all(),
        db.session.execute(select(Delivery.id).order_by(Delivery.id)).all(),
        db.session.execute(select(DutyItem.id, DutyItem.status, DutyItem.title).order_by(DutyItem.id)).all(),
        db.session.execute(select(KeyDate.id, KeyDate.title).order_by(KeyDate.id)).all(),
        db.session.execute(select(RubricCriterion.metric, RubricCriterion.weight)
                           .order_by(RubricCriterion.metric)).all(),
    )


def act(client, login, world, role, route, routes=ROUTES):
    """POST the route as `role` (anonymous visitors still send a valid CSRF token)."""
    if role == "anonymous":
        with client.session_transaction() as session:
            session["csrf"] = CSRF
    else:
        login(client, getattr(world.accounts, role))
    path, form = routes[route][0](world)
    return client.post(path, data={**form, "csrf_token": CSRF})


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_write_route_role_matrix(app, client, login, world, role, route):
    check_write_route(client, login, world, role, route, ROUTES)


@pytest.mark.parametrize("route", OUTREACH_ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_outreach_write_route_role_matrix(app, client, login, oworld, role, route):
    check_write_route(client, login, oworld, role, route, OUTREACH_ROUTES)


def check_write_route(client, login, world, role, route, routes):
    """Allowed roles change something; everyone else is refused and changes nothing."""
    allowed = role in routes[route][1]
    before = fingerprint()
    response = act(client, login, world, role, route, routes)
    if allowed:
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:300]
        assert fingerprint() != before, f"{role} should have changed something with {route}"
    elif role == "anonymous":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        assert fingerprint() == before
    else:
        assert response.status_code == 403, (role, route, response.status_code)
        assert fingerprint() == before


STAFF_PAGES = {
    "/publish/": {"publisher", "other_publisher"},
    "/publish/import": {"publisher", "other_publisher"},
    "/publish/cases/new": {"publisher", "other_publisher"},
    "/review/": {"reviewer"},
    "/review/published": {"reviewer", "admin"},
    "/admin/users": {"admin"},
    "/admin/users/new": {"admin"},
    "/admin/organisations": {"admin"},
    "/admin/audit": {"admin"},
    "/kits/": STAFF,
    "/work/orders": {"publisher", "other_publisher", "reviewer"},
    "/work/demand": {"publisher", "other_publisher", "reviewer"},
    "/work/menu": {"publisher", "other_publisher", "reviewer"},
    "/work/menu/new": {"publisher", "other_publisher", "reviewer"},
    "/work/deliveries": {"publisher", "other_publisher", "reviewer"},
    "/work/deliveries/new": {"publisher", "other_publisher"},
    "/work/duties": {"publisher", "other_publisher", "reviewer"},
    "/work/duties/new": {"publisher", "other_publisher", "reviewer"},
    "/work/calendar": {"publisher", "other_publisher", "reviewer"},
    "/work/talks": {"lecturer"},
    "/assessment": {"reviewer", "admin"},
    "/assessment/report": {"reviewer", "admin"},
    "/assessment/export.xlsx": {"reviewer", "admin"},
    "/assessment/rubric": {"reviewer", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
def test_staff_pages_role_matrix(app, client, login, world, role):
    if role != "anonymous":
        login(client, getattr(world.accounts, role))
    for path, allowed in STAFF_PAGES.items():
        status = client.get(path).status_code
        expected = 200 if role in allowed else 302 if role == "anonymous" else 403
        assert status == expected, (role, path, status)


@pytest.mark.parametrize("path", ["/publish/cases/{case}/edit", "/publish/cases/{case}/history",
                                  "/publish/revisions/{draft}", "/publish/cases/{case}/withdraw"])
def test_publisher_cannot_even_read_another_organisations_internals(app, client, login, world, path):
    login(client, world.accounts.other_publisher)
    url = path.format(case=world.case.id, draft=world.draft.id)
    assert client.get(url).status_code == 403
    login(client, world.accounts.publisher)
    assert client.get(url).status_code == 200


def test_web_created_case_always_belongs_to_the_publishers_organisation(app, client, login, world):
    login(client, world.accounts.other_publisher)
    client.post("/publish/cases/new", data={**editor_form("乙机构的案例"), "csrf_token": CSRF})
    case = db.session.scalar(select(Case).filter_by(title="乙机构的案例"))
    assert case.issuer_id == world.accounts.org_b.id


# ---- the same rules hold without any view --------------------------------------------------
SERVICE_CALLS = {
    "save new": (lambda w, u: revisions.save(u, None, record()), {"publisher", "other_publisher"}),
    "save existing": (lambda w, u: revisions.save(u, w.case.id, record()), {"publisher"}),
    "submit": (lambda w, u: workflow.submit(u, w.draft.id), {"publisher"}),
    "discard": (lambda w, u: workflow.discard(u, w.draft.id), {"publisher"}),
    "replace personal data": (lambda w, u: deid_review.replace_personal_data(u, w.named.id), {"publisher"}),
    "import drafts": (lambda w, u: uploads.import_drafts(u, "a.jsonl", b"{}"), {"publisher", "other_publisher"}),
    "approve": (lambda w, u: workflow.approve(u, w.submitted.id), {"reviewer"}),
    "return": (lambda w, u: workflow.send_back(u, w.submitted.id, "意见"), {"reviewer"}),
    "withdraw": (lambda w, u: workflow.withdraw(u, w.case.id, "原因"), {"publisher", "reviewer", "admin"}),
    "history": (lambda w, u: revisions.revisions(u, w.case.id), {"publisher", "reviewer", "admin"}),
    "queue": (lambda w, u: revisions.review_queue(u), {"reviewer"}),
    "create user": (lambda w, u: auth_service.create_user(u, {"username": "zz", "role": "reviewer",
                                                              "password": "Good-password-9"}), {"admin"}),
    "reset password": (lambda w, u: auth_service.reset_password(u, w.accounts.lecturer.id, "Good-password-9"),
                       {"admin"}),
    "save organisation": (lambda w, u: auth_service.create_organisation(u, {"name": "新", "kind": "court"}),
                          {"admin"}),
    "audit log": (lambda w, u: auth_service.audit_log(u), {"admin"}),
    "create collection": (lambda w, u: collection_service.create(u, {"title": "t"}), STAFF),
    "read a collection": (lambda w, u: collection_service.get(u, w.kit.id), {"lecturer"}),
    "add to a collection": (lambda w, u: collection_service.add_case(u, w.case.id, w.basket.id), {"lecturer"}),
    "publish a collection": (lambda w, u: collection_service.set_published(u, w.kit.id, True), {"lecturer"}),
    "delete a collection": (lambda w, u: collection_service.delete(u, w.kit.id), {"lecturer"}),
}
OUTREACH_CALLS = {
    "dispatch order": (lambda w, u: order_service.dispatch(u, w.orders["ordered"].id, w.accounts.org_a.id),
                       {"reviewer"}),
    "cancel order": (lambda w, u: order_service.cancel_by_staff(u, w.orders["ordered"].id, "原因"), {"reviewer"}),
    "archive order": (lambda w, u: order_service.archive(u, w.orders["evaluated"].id), {"reviewer"}),
    "read order": (lambda w, u: order_service.get_for_staff(u, w.orders["dispatched"].id), {"publisher", "reviewer"}),
    "order queue": (lambda w, u: order_service.queue(u), {"publisher", "other_publisher", "reviewer"}),
    "accept order": (lambda w, u: order_service.accept(u, w.orders["dispatched"].id), {"publisher"}),
    "decline order": (lambda w, u: order_service.decline(u, w.orders["dispatched"].id, "无讲师"), {"publisher"}),
    "schedule order": (lambda w, u: order_service.schedule(u, w.orders["accepted"].id, {
        "date": TODAY.isoformat(), "time": "10:00", "place": "村委会"}), {"publisher"}),
    "deliver order": (lambda w, u: deliveries.record(u, delivery_form(), [], order_id=w.orders["scheduled"].id),
                      {"publisher"}),
    "delivery photos": (lambda w, u: deliveries.photo_path(u, w.orders["evaluated"].delivery.photos[0].id),
                        {"publisher", "reviewer"}),
    "edit menu item": (lambda w, u: menu_service.save_item(u, w.menu_draft.id, {
        "title": "改", "audiences": ["school"], "forms": ["lecture"], "duration_minutes": "45"}),
        {"publisher", "reviewer"}),
    "list menu item": (lambda w, u: menu_service.review_item(u, w.menu_pending.id, "list"), {"reviewer"}),
    "edit duty item": (lambda w, u: duties.save_duty(u, w.duty.id, {}), {"publisher", "reviewer"}),
    "delete key date": (lambda w, u: duties.delete_key_date(u, w.own_day.id), {"publisher", "reviewer"}),
    "dashboard": (lambda w, u: stats.dashboard(u, stats.period_for()), {"reviewer", "admin"}),
    "save rubric": (lambda w, u: stats.save_rubric(u, {}), {"reviewer"}),
    "demand board": (lambda w, u: order_service.demand_board(u), {"publisher", "other_publisher", "reviewer"}),
    "lecturer talks": (lambda w, u: order_service.lecturer_talks(u), {"lecturer"}),
}


@pytest.mark.parametrize("call", SERVICE_CALLS)
def test_service_layer_role_matrix(app, world, call):
    check_service_call(world, *SERVICE_CALLS[call], call)


@pytest.mark.parametrize("call", OUTREACH_CALLS)
def test_outreach_service_layer_role_matrix(app, oworld, call):
    check_service_call(oworld, *OUTREACH_CALLS[call], call)


def check_service_call(world, run, allowed, call):
    """Every role outside `allowed` gets PermissionDenied and the database stays as it was."""
    for role in ("anonymous", "lecturer", "other_publisher", "reviewer", "admin", "publisher"):
        user = None if role == "anonymous" else getattr(world.accounts, role)
        if role in allowed:
            continue
        before = fingerprint()
        with pytest.raises(PermissionDenied):
            run(world, user)
        db.session.rollback()
        assert fingerprint() == before, (call, role)


def test_deactivated_staff_lose_every_permission(app, world):
    world.accounts.reviewer.active = False
    db.session.commit()
    with pytest.raises(PermissionDenied):
        workflow.approve(world.accounts.reviewer, world.submitted.id)


GARBAGE = {"title": "\x00" * 3, "case_type": "x" * 5000, "section_count": "999999999", "section-0-kind": "?",
           "section-0-text": "a" * 10, "judgment_date": "0000-00-00", "published_date": "2024-02-30",
           "keywords": "、".join(["词"] * 80), "tag": ["nope:nothing", "hot_issue:"], "suggested": "::",
           "op": "down-99999999999999999999", "organisation_id": "abc", "role": "god", "username": "../..",
           "password": "x", "kind": "court\x00", "name": "名" * 300, "reason": "r" * 5000, "comment": "c" * 6000,
           "text": ["不存在的文本"], "all": "maybe", "confirm_findings": "yes", "override_reason": "o" * 9000}


@pytest.mark.parametrize("route", ROUTES)
def test_garbage_input_never_causes_a_500(app, client, login, world, route):
    check_garbage(client, login, world, route, ROUTES)


@pytest.mark.parametrize("route", OUTREACH_ROUTES)
def test_outreach_garbage_input_never_causes_a_500(app, client, login, oworld, route):
    check_garbage(client, login, oworld, route, OUTREACH_ROUTES)


def check_garbage(client, login, world, route, routes):
    """Nonsense in every field, as every allowed role: a 4xx or a success, never a 500."""
    path, _ = routes[route][0](world)
    for role in sorted(routes[route][1]):
        login(client, getattr(world.accounts, role))
        for op in ("save", "submit", GARBAGE["op"]):
            response = client.post(path, data={**GARBAGE, "op": op, "csrf_token": CSRF})
            assert response.status_code < 500, (route, role, op, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize("path", ["/publish/import", "/publish/cases/new/upload"])
@pytest.mark.parametrize("role", ["anonymous", "reviewer", "admin", "lecturer"])
def test_uploads_refuse_non_publishers(app, client, login, world, role, path):
    import io
    import json

    line = json.dumps(sample_record(source_id="bulk-x", issuer={"name": "某市人民法院", "kind": "court"}))
    before = fingerprint()
    if role == "anonymous":
        with client.session_transaction() as session:
            session["csrf"] = CSRF
    else:
        login(client, getattr(world.accounts, role))
    response = client.post(path, content_type="multipart/form-data", data={
        "csrf_token": CSRF, "file": (io.BytesIO(line.encode()), "a.jsonl"),
        "document": (io.BytesIO("基本案情\n原告诉称。".encode()), "a.txt")})
    assert response.status_code == (302 if role == "anonymous" else 403)
    assert fingerprint() == before
    assert not (Path(app.instance_path) / "uploads").exists()
