"""备课 collections through the service layer and over HTTP: create, add (from a case page and a
results list), reorder (buttons and JSON), notes and parts, publish as a 专题, ownership, bad input."""
import re

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Case, CaseStatus, Collection
from app.services import collections as service
from app.services import importer, revisions
from app.services.errors import Missing, PermissionDenied
from tests.helpers import CSRF, sample_record, write_jsonl

TITLES = ["食品标签瑕疵十倍赔偿案", "过期食品销售处罚案", "农村宴席食物中毒案", "网络外卖无证经营案",
          "保健食品虚假宣传案", "校园食堂食品安全案", "酒驾致人死亡案"]


@pytest.fixture()
def cases(app, tmp_path):
    """Seven published cases (the last one cites 合同法, repealed by the 民法典)."""
    records = [sample_record(source_id=f"c{i}", title=title, sections=[
        {"kind": "facts", "heading": "基本案情", "text": f"{title}的基本案情。"},
        {"kind": "holding", "heading": "裁判要点", "text": "依照《中华人民共和国合同法》第一百零七条的规定处理。"}])
        for i, title in enumerate(TITLES)]
    report = importer.import_files([write_jsonl(tmp_path / "cases.jsonl", records)])
    assert report.ok
    return list(db.session.scalars(select(Case).order_by(Case.id)))


def test_create_add_reorder_note_and_publish(app, accounts, cases):
    lecturer = accounts.lecturer
    kit = service.create(lecturer, {"title": "食品安全进乡村", "audience": "乡村", "planned_date": "2026-12-04",
                                    "place": "某村村委会", "duration_minutes": "45"})
    assert (kit.audience, kit.planned_date.isoformat(), kit.duration_minutes) == ("乡村", "2026-12-04", 45)
    for case in cases[:6]:
        assert service.add_case(lecturer, case.id, kit.id).added
    again = service.add_case(lecturer, cases[0].id, kit.id)
    assert not again.added and len(kit.items) == 6  # adding twice keeps one
    ids = [item.id for item in kit.items]
    service.move_item(lecturer, kit.id, ids[0], "down")
    assert [i.id for i in kit.items] == [ids[1], ids[0], *ids[2:]]
    service.move_item(lecturer, kit.id, ids[1], "up")  # already first: nothing moves
    service.reorder(lecturer, kit.id, {"items": list(reversed(ids))})
    db.session.expire_all()
    kit = db.session.get(Collection, kit.id)
    assert [i.id for i in kit.items] == list(reversed(ids)) and [i.position for i in kit.items] == list(range(6))
    service.update_item(lecturer, kit.id, ids[2], {"note": "请听众先猜结果", "parts": ["law", "story", "story"]})
    item = next(i for i in kit.items if i.id == ids[2])
    assert (item.note, item.parts) == ("请听众先猜结果", ["story", "law"])
    service.remove_item(lecturer, kit.id, ids[5])
    assert len(kit.items) == 5 and [i.position for i in kit.items] == list(range(5))
    published = service.set_published(lecturer, kit.id, True)
    assert service.public_by_token(published.share_token).id == kit.id
    assert db.session.scalar(select(AuditEvent).filter_by(action="collection.publish")) is not None
    service.set_published(lecturer, kit.id, False)
    with pytest.raises(Missing):
        service.public_by_token(published.share_token)


def test_add_without_a_collection_goes_to_the_newest_or_a_new_one(app, accounts, cases):
    first = service.add_case(accounts.lecturer, cases[0].id)
    assert first.added and first.collection.title == service.DEFAULT_TITLE
    older = service.create(accounts.lecturer, {"title": "较早的"})
    second = service.add_case(accounts.lecturer, cases[1].id)
    assert second.collection.id == older.id  # the most recently changed one


def test_only_published_cases_can_be_added_and_withdrawn_ones_leave_the_topic(app, accounts, cases):
    draft = revisions.save(accounts.publisher, None, {**sample_record(title="草稿"), "issuer": None})
    kit = service.create(accounts.lecturer, {"title": "专题"})
    with pytest.raises(Missing):
        service.add_case(accounts.lecturer, draft.case_id, kit.id)
    with pytest.raises(ValidationError):  # nothing public to show yet
        service.set_published(accounts.lecturer, kit.id, True)
    service.add_case(accounts.lecturer, cases[0].id, kit.id)
    service.add_case(accounts.lecturer, cases[1].id, kit.id)
    service.set_published(accounts.lecturer, kit.id, True)
    cases[0].status = CaseStatus.WITHDRAWN
    db.session.commit()
    assert [c.id for c in service.public_cases(kit)] == [cases[1].id]


def test_a_collection_belongs_to_its_owner(app, accounts, cases):
    kit = service.create(accounts.lecturer, {"title": "讲师的"})
    item = service.add_case(accounts.lecturer, cases[0].id, kit.id).item
    for other in (accounts.publisher, accounts.reviewer, accounts.admin):
        for call in (lambda u: service.get(u, kit.id), lambda u: service.update(u, kit.id, {"title": "改"}),
                     lambda u: service.add_case(u, cases[1].id, kit.id),
                     lambda u: service.update_item(u, kit.id, item.id, {"note": "x", "parts": ["story"]}),
                     lambda u: service.reorder(u, kit.id, {"items": [item.id]}),
                     lambda u: service.set_published(u, kit.id, True), lambda u: service.delete(u, kit.id)):
            with pytest.raises(PermissionDenied):
                call(other)
            db.session.rollback()
    with pytest.raises(PermissionDenied):
        service.create(None, {"title": "匿名"})
    assert service.list_mine(accounts.reviewer) == []
    accounts.lecturer.active = False
    db.session.commit()
    with pytest.raises(PermissionDenied):
        service.get(accounts.lecturer, kit.id)


@pytest.mark.parametrize("raw, field", [
    ({"title": ""}, "title"), ({"title": "x" * 201}, "title"), ({"title": "t", "duration_minutes": "0"},
                                                                  "duration_minutes"),
    ({"title": "t", "duration_minutes": "abc"}, "duration_minutes"), ({"title": "t", "planned_date": "2026-02-30"},
                                                                     "planned_date"),
    ({"title": "t", "audience": "村" * 101}, "audience"), ({"title": "t", "owner_id": 1}, "owner_id"),
])
def test_bad_details_are_refused_with_the_field_named(app, accounts, raw, field):
    with pytest.raises(ValidationError) as error:
        service.create(accounts.lecturer, raw)
    assert field in error.value.messages
    assert db.session.scalar(select(Collection.id)) is None


def test_reorder_must_name_exactly_the_items(app, accounts, cases):
    kit = service.create(accounts.lecturer, {"title": "t"})
    a = service.add_case(accounts.lecturer, cases[0].id, kit.id).item
    b = service.add_case(accounts.lecturer, cases[1].id, kit.id).item
    for order in ([a.id], [a.id, a.id], [a.id, b.id, 999], []):
        with pytest.raises(ValidationError):
            service.reorder(accounts.lecturer, kit.id, {"items": order})
    with pytest.raises(ValidationError):
        service.update_item(accounts.lecturer, kit.id, a.id, {"note": "", "parts": []})
    with pytest.raises(ValidationError):
        service.update_item(accounts.lecturer, kit.id, a.id, {"note": "", "parts": ["nonsense"]})


# ---- over HTTP -------------------------------------------------------------------------------
def page(client, path, status=200):
    """GET a page, check the status, return the text."""
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    return response.get_data(as_text=True)


def test_lecturer_lands_on_the_workspace_and_builds_a_kit_over_http(app, client, accounts, cases):
    response = client.post("/login", data={"username": "lecturer", "password": "Correct-horse-42",
                                           "csrf_token": CSRF})
    assert response.status_code == 400  # no session CSRF token yet: the form must be fetched first
    client.get("/login")
    with client.session_transaction() as session:
        token = session["csrf"]
    response = client.post("/login", data={"username": "lecturer", "password": "Correct-horse-42",
                                           "csrf_token": token})
    assert response.headers["Location"] == "/kits/"
    with client.session_transaction() as session:
        token = session["csrf"]  # a fresh session (and token) after login
    assert "我的备课篮" in page(client, "/kits/") and ">备课</a>" in page(client, "/kits/")
    response = client.post("/kits/", data={"csrf_token": token, "title": "食品安全进乡村", "audience": "其他",
                                           "audience_other": "外卖骑手", "duration_minutes": "45"})
    kit_path = response.headers["Location"]
    kit = db.session.get(Collection, int(kit_path.rsplit("/", 1)[1]))
    assert kit.audience == "外卖骑手"
    case_page = page(client, f"/cases/{cases[0].id}")
    assert "加入备课篮" in case_page and "食品安全进乡村（0 件）" in case_page
    response = client.post("/kits/add", data={"csrf_token": token, "case_id": cases[0].id,
                                              "collection_id": kit.id, "next": f"/cases/{cases[0].id}"})
    assert response.headers["Location"] == f"/cases/{cases[0].id}"
    results = page(client, "/search?q=食品")
    assert results.count('action="/kits/add"') == results.count('<li class="hit"') == 4
    response = client.post("/kits/add", data={"csrf_token": token, "case_id": cases[1].id,
                                              "next": f"/search?q=食品#hit-{cases[1].id}"})
    assert response.headers["Location"].endswith(f"#hit-{cases[1].id}")
    response = client.post("/kits/add", data={"csrf_token": token, "case_id": cases[2].id, "next": "//evil.example"})
    assert response.headers["Location"] == kit_path  # only local paths are followed
    edit = page(client, kit_path)
    ids = [int(i) for i in re.findall(r'data-item-id="(\d+)"', edit)]
    assert len(ids) == 3 and "引用已废止的《合同法》" in edit and "法律效力提示" in edit
    client.post(f"{kit_path}/items/{ids[2]}", data={"csrf_token": token, "op": "up"})
    response = client.post(f"{kit_path}/order", json={"items": [ids[2], ids[0], ids[1]]},
                           headers={"X-CSRF-Token": token})
    assert response.get_json() == {"ok": True}
    assert client.post(f"{kit_path}/order", json={"items": [ids[0]]}, headers={"X-CSRF-Token": token}
                       ).status_code == 400
    assert client.post(f"{kit_path}/order", json={"items": [ids[0]]}).status_code == 400  # no CSRF token
    client.post(f"{kit_path}/items/{ids[0]}", data={"csrf_token": token, "note": "<script>alert(1)</script>",
                                                     "parts": ["story", "law"]})
    edit = page(client, kit_path)
    assert re.findall(r'data-item-id="(\d+)"', edit) == [str(i) for i in (ids[2], ids[0], ids[1])]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in edit and "<script>alert(1)" not in edit
    response = client.post(kit_path, data={"csrf_token": token, "title": "", "duration_minutes": "x"})
    assert response.status_code == 400 and "长度应在" in response.get_data(as_text=True)
    for fmt, magic in (("docx", b"PK"), ("pptx", b"PK"), ("pdf", b"%PDF")):
        response = client.get(f"{kit_path}/export.{fmt}")
        assert response.status_code == 200 and response.data.startswith(magic)
        assert "filename*=UTF-8''%E9%A3%9F%E5%93%81" in response.headers["Content-Disposition"]
    assert client.get(f"{kit_path}/export.exe").status_code == 404
    present = page(client, f"{kit_path}/present")
    assert present.count('class="slide') >= 1 + 3 * 2 and "投影" in present
    client.post(f"{kit_path}/publish", data={"csrf_token": token, "published": "1"})
    token_url = re.search(r'href="(http[^"]+/zhuanti/([^"]+))"', page(client, kit_path))
    anonymous = app.test_client()
    topic = page(anonymous, f"/zhuanti/{token_url.group(2)}")
    assert all(c.title in topic for c in cases[:3]) and "请听众" not in topic and "data:image/svg+xml" in topic
    assert "食品安全进乡村" in page(anonymous, "/zhuanti/")
    client.post(f"{kit_path}/delete", data={"csrf_token": token})
    assert anonymous.get(f"/zhuanti/{token_url.group(2)}").status_code == 404


def test_other_users_get_403_and_anonymous_visitors_the_login_page(app, client, login, accounts, cases):
    kit = service.create(accounts.lecturer, {"title": "讲师的"})
    service.add_case(accounts.lecturer, cases[0].id, kit.id)
    for path in (f"/kits/{kit.id}", f"/kits/{kit.id}/present", f"/kits/{kit.id}/export.pdf"):
        assert client.get(path).status_code == 302
        login(client, accounts.reviewer)
        assert client.get(path).status_code == 403
        with client.session_transaction() as session:
            session.clear()
    assert client.get("/kits/999999").status_code == 302
    login(client, accounts.lecturer)
    assert client.get("/kits/999999").status_code == 404
    assert client.get("/zhuanti/nope").status_code == 404
    assert client.post("/kits/add", data={"csrf_token": CSRF, "case_id": "abc"}).status_code == 400
    assert client.post("/kits/add", data={"csrf_token": CSRF, "case_id": "424242"}).status_code == 404


def test_only_a_signed_in_staff_member_ends_kiosk_mode(app, client, login, accounts):
    client.get("/?kiosk=1")
    with client.session_transaction() as session:
        session["csrf"] = CSRF
    assert client.post("/kiosk/exit", data={"csrf_token": CSRF}).status_code == 403
    assert 'class="kiosk"' in client.get("/?kiosk=0").get_data(as_text=True)
    login(client, accounts.lecturer)
    assert "本机退出触摸屏模式" in client.get("/account").get_data(as_text=True)
    response = client.post("/kiosk/exit", data={"csrf_token": CSRF})
    assert response.status_code == 302 and "kiosk=;" in response.headers["Set-Cookie"]
    assert 'class="kiosk"' not in client.get("/").get_data(as_text=True)
    app.config["KIOSK_MODE"] = True  # a kiosk by configuration stays one
    client.get("/?kiosk=1")
    response = client.post("/kiosk/exit", data={"csrf_token": CSRF})
    assert response.headers["Location"] == "/account" and 'class="kiosk"' in client.get("/").get_data(as_text=True)
