"""Publishing workflow through the service layer and the web: draft → submitted →
(returned | published) → withdrawn, revisions of published cases, history, diff, audit, search."""
import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Case, CaseRevision
from app.services import cases as case_service
from app.services import deid_review, errors, revision_diff, revisions, workflow
from app.services.auth import PermissionDenied
from app.services.errors import WorkflowError
from tests.helpers import sample_record


def record(**overrides) -> dict:
    """An editor record (issuer and source_id are set by the service)."""
    data = sample_record(**overrides)
    data.pop("issuer")
    data.pop("source_id")
    return data


def search_ids(client, q: str) -> list[int]:
    """Ids of public search hits."""
    return [hit["id"] for hit in client.get("/api/v1/search", query_string={"q": q}).get_json()["hits"]]


def publish_new(accounts, **overrides) -> CaseRevision:
    """Create, submit and approve a case of org_a."""
    rev = revisions.save(accounts.publisher, None, record(**overrides))
    workflow.submit(accounts.publisher, rev.id)
    return workflow.approve(accounts.reviewer, rev.id)


def test_draft_is_private_until_a_reviewer_publishes_it(app, client, accounts):
    rev = revisions.save(accounts.publisher, None, record(title="物业公司高空抛物安全保障义务案"))
    case = rev.case
    assert (case.status, rev.state, rev.number) == ("draft", "draft", 1)
    assert case.issuer_id == accounts.org_a.id and case.source_id.startswith(f"org{accounts.org_a.id}-")
    assert client.get(f"/cases/{case.id}").status_code == 404
    workflow.submit(accounts.publisher, rev.id)
    assert case.status == "draft" and rev.state == "submitted"  # review state is the revision's, not the case's
    assert search_ids(client, "高空抛物") == []
    workflow.approve(accounts.reviewer, rev.id)
    assert case.status == "published" and rev.state == "published" and case.published_date is not None
    assert search_ids(client, "高空抛物") == [case.id]  # the outbox drained right after the commit
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert client.get(f"/api/v1/cases/{case.id}").status_code == 200


def test_return_with_comment_then_fix_and_resubmit(app, accounts):
    rev = revisions.save(accounts.publisher, None, record())
    workflow.submit(accounts.publisher, rev.id)
    with pytest.raises(ValidationError):
        workflow.send_back(accounts.reviewer, rev.id, "  ")
    workflow.send_back(accounts.reviewer, rev.id, "请补充裁判理由。")
    assert rev.state == "returned" and rev.case.status == "draft" and rev.review_comment == "请补充裁判理由。"
    fixed = record()
    fixed["sections"].append({"kind": "reasoning", "heading": "裁判理由", "text": "物业公司未尽安全保障义务。"})
    again = revisions.save(accounts.publisher, rev.case_id, fixed)
    assert again.id == rev.id  # the returned revision is edited in place
    workflow.submit(accounts.publisher, rev.id)
    workflow.approve(accounts.reviewer, rev.id)
    assert [s.kind for s in rev.case.sections] == ["holding", "facts", "reasoning"]


def test_editing_a_published_case_keeps_the_public_version_until_approval(app, client, accounts):
    rev1 = publish_new(accounts, title="高空抛物致人损害案")
    case = rev1.case
    rev2 = revisions.save(accounts.publisher, case.id, record(title="高空抛物致人损害责任纠纷案（修订）"))
    assert rev2.number == 2 and rev2.state == "draft"
    assert db.session.get(Case, case.id).title == "高空抛物致人损害案"
    assert "修订" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    workflow.submit(accounts.publisher, rev2.id)
    lines = revision_diff.diff_to_public(rev2)
    assert [line.text for line in lines if line.op == "del"] == ["标题：高空抛物致人损害案"]
    assert [line.text for line in lines if line.op == "add"] == ["标题：高空抛物致人损害责任纠纷案（修订）"]
    workflow.approve(accounts.reviewer, rev2.id)
    assert case.title.endswith("（修订）") and rev1.state == "superseded"
    assert "（修订）" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert [h["title"] for h in client.get("/api/v1/search", query_string={"q": "高空抛物"}).get_json()["hits"]] == [
        case.title]


def test_withdrawal_leaves_search_and_answers_410_with_a_notice(app, client, accounts):
    case = publish_new(accounts, title="食品安全标签瑕疵案").case
    assert search_ids(client, "食品安全") == [case.id]
    with pytest.raises(ValidationError):
        workflow.withdraw(accounts.reviewer, case.id, "")
    workflow.withdraw(accounts.reviewer, case.id, "当事人信息需进一步处理。")
    assert search_ids(client, "食品安全") == []
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 410
    assert "已撤回" in page.get_data(as_text=True) and "当事人信息需进一步处理。" in page.get_data(as_text=True)
    assert client.get(f"/api/v1/cases/{case.id}").status_code == 410  # the API says gone too
    with pytest.raises(WorkflowError):
        workflow.withdraw(accounts.reviewer, case.id, "再次撤回")


def test_withdrawn_case_can_be_republished_through_review(app, client, accounts):
    case = publish_new(accounts).case
    workflow.withdraw(accounts.publisher, case.id, "内容更新")
    rev = revisions.save(accounts.publisher, case.id, record(title="高空抛物案（更新后）"))
    assert client.get(f"/cases/{case.id}").status_code == 410
    workflow.submit(accounts.publisher, rev.id)
    workflow.approve(accounts.reviewer, rev.id)
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_stale_transitions_are_refused(app, accounts):
    rev = revisions.save(accounts.publisher, None, record())
    workflow.submit(accounts.publisher, rev.id)
    with pytest.raises(WorkflowError):
        workflow.submit(accounts.publisher, rev.id)
    with pytest.raises(WorkflowError):
        revisions.save(accounts.publisher, rev.case_id, record())  # locked while under review
    workflow.approve(accounts.reviewer, rev.id)
    with pytest.raises(WorkflowError):
        workflow.approve(accounts.reviewer, rev.id)  # a second click, or a second reviewer
    with pytest.raises(WorkflowError):
        workflow.send_back(accounts.reviewer, rev.id, "晚了")


def test_imported_case_gets_its_public_version_as_revision_one(app, client, accounts, tmp_path):
    from tests.helpers import write_jsonl

    path = write_jsonl(tmp_path / "a.jsonl", [sample_record(issuer={"name": "某市人民法院", "kind": "court"})])
    assert app.test_cli_runner().invoke(args=["cases", "import", str(path), "--quiet"]).exit_code == 0
    case = db.session.scalar(select(Case).filter_by(source_id="test-1"))
    assert case.issuer_id == accounts.org_a.id  # the organisation is the issuer the import created
    rev = revisions.save(accounts.publisher, case.id, record(title="修改后的标题"))
    _, rows = revisions.revisions(accounts.publisher, case.id)
    assert [(r.number, r.state) for r in rows] == [(2, "draft"), (1, "published")]
    assert rows[1].record == case_service.to_record(case)
    assert rev.record["source_id"] == "test-1"


def test_every_state_change_is_audited(app, accounts):
    case = publish_new(accounts).case
    workflow.withdraw(accounts.admin, case.id, "测试")
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["case.save", "case.submit", "case.publish", "case.withdraw"]
    who = db.session.scalars(select(AuditEvent.actor_name).where(AuditEvent.case_id == case.id)
                             .order_by(AuditEvent.id)).all()
    assert who == ["测试publisher", "测试publisher", "测试reviewer", "测试admin"]


def test_invalid_content_is_refused_with_field_messages(app, accounts):
    bad = record(title="", judgment_date="2024-05-01", published_date="2024-01-01")
    bad["sections"][1]["kind"] = "nonsense"
    with pytest.raises(ValidationError) as info:
        revisions.save(accounts.publisher, None, bad)
    messages = info.value.messages
    assert "title" in messages and "kind" in messages["sections"][1]
    assert db.session.scalar(select(Case.id)) is None


def test_tags_follow_suggestions_with_the_editors_changes(app, accounts):
    content = record(title="某学校拖欠教师工资劳动争议案", keywords=["劳动合同", "教育"])
    suggested = set(revisions.suggest_tags(content))
    assert suggested, "the tagging rules should suggest something for this case"
    removed = sorted(suggested)[0]
    chosen = (suggested - {removed}) | {"hot_issue:food-safety"}
    rev = revisions.save(accounts.publisher, None, content, chosen, suggested)
    assert rev.tag_overrides == {"add": ["hot_issue:food-safety"], "remove": [removed]}
    assert "食品安全" in rev.tags["hot_issue"]
    workflow.submit(accounts.publisher, rev.id)
    workflow.approve(accounts.reviewer, rev.id)
    keys = {f"{t.term.scheme}:{t.term.code}" for t in rev.case.tags}
    assert removed not in keys and "hot_issue:food-safety" in keys
    manual = [t for t in rev.case.tags if t.term.code == "food-safety"]
    assert manual and manual[0].auto is False


def test_diff_is_escaped_on_the_page(app, client, accounts, login):
    case = publish_new(accounts).case
    rev = revisions.save(accounts.publisher, case.id, record(title="<script>alert(1)</script>高空抛物"))
    login(client, accounts.publisher)
    page = client.get(f"/publish/revisions/{rev.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_publisher_sees_states_and_comments_on_the_dashboard(app, client, accounts, login):
    rev = revisions.save(accounts.publisher, None, record(title="待退回的案例"))
    workflow.submit(accounts.publisher, rev.id)
    workflow.send_back(accounts.reviewer, rev.id, "请删除当事人全名。")
    login(client, accounts.publisher)
    page = client.get("/publish/").get_data(as_text=True)
    assert "待退回的案例" in page and "已退回" in page and "请删除当事人全名。" in page


def test_queue_lists_submissions_by_organisation_and_age(app, client, accounts, login):
    rev = revisions.save(accounts.publisher, None, record(title="排队中的案例"))
    workflow.submit(accounts.publisher, rev.id)
    login(client, accounts.reviewer)
    page = client.get("/review/").get_data(as_text=True)
    assert "排队中的案例" in page and "某市人民法院" in page and "分钟" in page
    other = client.get("/review/", query_string={"org": accounts.org_b.id}).get_data(as_text=True)
    assert "排队中的案例" not in other
    review = client.get(f"/review/revisions/{rev.id}").get_data(as_text=True)
    assert "新案例" in review and "审核通过并发布" in review


def test_lecturer_cannot_use_the_workflow(app, accounts):
    with pytest.raises(PermissionDenied):
        revisions.save(accounts.lecturer, None, record())


# ---- the same story through the web pages ---------------------------------------------------
def editor_form(**overrides) -> dict:
    """An editor submission with two sections."""
    form = {"csrf_token": "test-csrf-token", "op": "save", "title": "网页发布的高空抛物案", "case_type": "民事",
            "keywords": "高空抛物、物业，侵权", "judgment_date": "2024-01-05", "source_name": "某市人民法院网",
            "source_url": "https://example.invalid/a", "section_count": "2",
            "section-0-kind": "facts", "section-0-heading": "基本案情", "section-0-text": "原告途经小区时被抛下的花盆砸伤。",
            "section-1-kind": "holding", "section-1-heading": "裁判要点", "section-1-text": "物业公司未尽安全保障义务的，承担相应责任。"}
    form.update(overrides)
    return form


def test_editor_shows_chinese_errors_next_to_each_field(app, client, accounts, login):
    login(client, accounts.publisher)
    response = client.post("/publish/cases/new", data=editor_form(
        title="", case_type="未知", judgment_date="2024-13-40", **{"section-1-kind": "nonsense"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="err-title">缺少必填字段。' in page or 'id="err-title">长度应在 1 到 500 之间。' in page
    assert 'id="err-case_type">案件类型无效' in page
    assert 'id="err-judgment_date">应为有效日期' in page
    assert 'id="err-sections-1-kind">段落类型无效' in page
    assert 'name="section-0-text" rows="8">原告途经小区时被抛下的花盆砸伤。' in page  # the input is kept
    assert db.session.scalar(select(Case.id)) is None


def test_editor_section_buttons_work_without_javascript(app, client, accounts, login):
    login(client, accounts.publisher)
    added = client.post("/publish/cases/new", data=editor_form(op="add")).get_data(as_text=True)
    assert 'name="section_count" value="3"' in added
    moved = client.post("/publish/cases/new", data=editor_form(op="up-1")).get_data(as_text=True)
    assert moved.index("物业公司未尽安全保障义务") < moved.index("原告途经小区")
    removed = client.post("/publish/cases/new", data=editor_form(op="remove-0")).get_data(as_text=True)
    assert "原告途经小区" not in removed and 'name="section_count" value="1"' in removed
    assert db.session.scalar(select(Case.id)) is None  # none of these saved anything


def test_editor_shows_tag_suggestions_checked_and_editable(app, client, accounts, login):
    login(client, accounts.publisher)
    page = client.post("/publish/cases/new", data=editor_form(op="add")).get_data(as_text=True)
    assert 'value="hot_issue:property-housing" checked' in page and "建议：" in page
    client.post("/publish/cases/new", data={**editor_form(), "suggested": ["hot_issue:property-housing"],
                                            "tag": ["hot_issue:food-safety"]})
    rev = db.session.scalar(select(CaseRevision))
    assert "房产物业" not in rev.tags["hot_issue"] and "食品安全" in rev.tags["hot_issue"]
    again = client.get(f"/publish/cases/{rev.case_id}/edit").get_data(as_text=True)
    assert 'value="hot_issue:food-safety" checked' in again
    assert 'value="hot_issue:property-housing">' in again  # the removed suggestion stays unchecked


def test_end_to_end_through_the_pages(app, client, accounts, login):
    publisher, reviewer = client, app.test_client()
    login(publisher, accounts.publisher)
    login(reviewer, accounts.reviewer)
    # publisher writes and submits
    response = publisher.post("/publish/cases/new", data=editor_form(op="submit"))
    assert response.status_code == 302
    rev = db.session.scalar(select(CaseRevision))
    case_id = rev.case_id
    # reviewer returns it with a comment
    assert reviewer.post(f"/review/revisions/{rev.id}/return", data={"csrf_token": CSRF_TOKEN}).status_code == 400
    reviewer.post(f"/review/revisions/{rev.id}/return", data={"csrf_token": CSRF_TOKEN, "comment": "请补充案号。"})
    assert "请补充案号。" in publisher.get("/publish/").get_data(as_text=True)
    assert "请补充案号。" in publisher.get(f"/publish/cases/{case_id}/edit").get_data(as_text=True)
    # publisher fixes and resubmits; reviewer publishes; the public finds it
    publisher.post(f"/publish/cases/{case_id}/edit", data=editor_form(op="submit", case_number="（2024）某01民终1号"))
    assert "（2024）某01民终1号" in reviewer.get(f"/review/revisions/{rev.id}").get_data(as_text=True)
    reviewer.post(f"/review/revisions/{rev.id}/approve", data={"csrf_token": CSRF_TOKEN})
    anonymous = app.test_client()
    assert search_ids(anonymous, "高空抛物") == [case_id]
    # publisher edits the published case: the old version stays public until approval
    publisher.post(f"/publish/cases/{case_id}/edit", data=editor_form(op="submit", title="网页发布的高空抛物案（第二版）"))
    assert "第二版" not in anonymous.get(f"/cases/{case_id}").get_data(as_text=True)
    second = db.session.scalar(select(CaseRevision).filter_by(case_id=case_id, number=2))
    review_page = reviewer.get(f"/review/revisions/{second.id}").get_data(as_text=True)
    assert "<del><span class=\"visually-hidden\">删除：</span>标题：网页发布的高空抛物案</del>" in review_page
    reviewer.post(f"/review/revisions/{second.id}/approve", data={"csrf_token": CSRF_TOKEN})
    assert "第二版" in anonymous.get(f"/cases/{case_id}").get_data(as_text=True)
    history = publisher.get(f"/publish/cases/{case_id}/history").get_data(as_text=True)
    assert "第 2 版" in history and "已被新版本取代" in history and "请补充案号。" in history
    # withdrawal: out of search at once, 410 with a notice
    publisher.post(f"/publish/cases/{case_id}/withdraw", data={"csrf_token": CSRF_TOKEN, "reason": "信息更新"})
    assert search_ids(anonymous, "高空抛物") == []
    gone = anonymous.get(f"/cases/{case_id}")
    assert gone.status_code == 410 and "信息更新" in gone.get_data(as_text=True)


CSRF_TOKEN = "test-csrf-token"


def test_upload_prefills_the_editor_and_keeps_no_original_unless_asked(app, client, accounts, login):
    import io
    import stat
    from pathlib import Path

    login(client, accounts.publisher)
    text = "张某诉某物业公司物业服务合同纠纷案\n基本案情\n原告张某居住在某小区。\n裁判结果\n驳回原告的诉讼请求。\n典型意义\n本案明确了物业服务责任。"
    response = client.post("/publish/cases/new/upload", content_type="multipart/form-data", data={
        "csrf_token": CSRF_TOKEN, "document": (io.BytesIO(text.encode("utf-8")), "判决书.txt")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "原告张某居住在某小区。" in page and 'value="outcome" selected' in page
    uploads = Path(app.config["UPLOAD_FOLDER"])
    assert not list(uploads.rglob("*.txt"))  # the un-de-identified original is gone after extraction
    client.post("/publish/cases/new/upload", content_type="multipart/form-data", data={
        "csrf_token": CSRF_TOKEN, "keep_original": "1", "document": (io.BytesIO(text.encode("utf-8")), "判决书.txt")})
    stored = list(uploads.rglob("*.txt"))
    assert len(stored) == 1 and stored[0].read_bytes() == text.encode("utf-8")
    assert stat.S_IMODE(stored[0].stat().st_mode) == 0o600 and stat.S_IMODE(stored[0].parent.stat().st_mode) == 0o700
    assert not str(stored[0]).startswith(app.static_folder)
    assert db.session.scalar(select(Case.id)) is None  # nothing saved until the publisher saves
    bad = client.post("/publish/cases/new/upload", content_type="multipart/form-data", data={
        "csrf_token": CSRF_TOKEN, "document": (io.BytesIO(b"MZ\x00\x01"), "virus.exe")})
    assert bad.status_code == 302
    assert "无法读取该文件" in client.get("/publish/cases/new").get_data(as_text=True)


# ---- de-identification (脱敏) on submit and review ------------------------------------------
def named_record() -> dict:
    """A record with a party's full name, an address and a mobile number."""
    return record(title="王小明诉某物业公司物业服务合同纠纷案", sections=[
        {"kind": "facts", "heading": "基本案情", "text": "原告王小明，住某市延安西路2299号，电话13912342781。王小明诉称物业公司未尽义务。"},
        {"kind": "holding", "heading": "裁判要点", "text": "物业服务企业应当履行安全保障义务。"}])


def test_personal_data_stops_submission_until_replaced_or_confirmed(app, accounts):
    rev = revisions.save(accounts.publisher, None, named_record())
    kinds = {f.kind for f in deid_review.personal_data(rev.record)}
    assert {"person_name", "address", "mobile"} <= kinds
    with pytest.raises(errors.PersonalDataFound):
        workflow.submit(accounts.publisher, rev.id)
    assert rev.state == "draft"
    assert deid_review.replace_personal_data(accounts.publisher, rev.id) == 3
    assert rev.record["title"].startswith("王某诉") and "王小明" not in str(rev.record)
    assert "13912342781" not in str(rev.record) and rev.case.title.startswith("王某诉")
    workflow.submit(accounts.publisher, rev.id)
    assert rev.state == "submitted"
    replaced = db.session.scalar(select(AuditEvent).filter_by(action="case.deid_replace"))
    assert replaced.detail["replaced"] == 3 and "王小明" not in str(replaced.detail)


def test_reviewer_publishes_over_findings_only_with_a_reason(app, client, accounts):
    rev = revisions.save(accounts.publisher, None, named_record())
    workflow.submit(accounts.publisher, rev.id, confirm_findings=True)
    with pytest.raises(ValidationError) as info:
        workflow.approve(accounts.reviewer, rev.id)
    assert "override_reason" in info.value.messages and rev.state == "submitted"
    workflow.approve(accounts.reviewer, rev.id, override_reason="王小明系公开报道的英模人物，经本人同意公开。")
    assert rev.state == "published" and rev.deid_override["count"] >= 3
    event = db.session.scalar(select(AuditEvent).filter_by(action="case.deid_override"))
    assert event.detail["reason"].startswith("王小明系") and event.actor_id == accounts.reviewer.id


def test_reviewer_replaces_with_one_click_on_the_review_page(app, client, accounts, login):
    rev = revisions.save(accounts.publisher, None, named_record())
    workflow.submit(accounts.publisher, rev.id, confirm_findings=True)
    login(client, accounts.reviewer)
    page = client.get(f"/review/revisions/{rev.id}").get_data(as_text=True)
    assert "脱敏检查" in page and "<mark>王小明</mark>" in page and "王某" in page
    refused = client.post(f"/review/revisions/{rev.id}/approve", data={"csrf_token": CSRF_TOKEN})
    assert refused.status_code == 400 and "不需脱敏的理由" in refused.get_data(as_text=True)
    client.post(f"/publish/revisions/{rev.id}/deid", data={"csrf_token": CSRF_TOKEN, "text": "王小明"})
    assert "王小明" not in str(rev.record) and "13912342781" in str(rev.record)  # only what was clicked
    client.post(f"/publish/revisions/{rev.id}/deid", data={"csrf_token": CSRF_TOKEN, "all": "1"})
    assert client.post(f"/review/revisions/{rev.id}/approve", data={"csrf_token": CSRF_TOKEN}).status_code == 302
    assert rev.state == "published" and rev.deid_override is None


def test_publisher_submit_page_offers_replacement_and_confirmation(app, client, accounts, login):
    login(client, accounts.publisher)
    form = editor_form(op="submit", **{"section-0-text": "原告王小明，男，途经小区时被抛下的花盆砸伤。"})
    response = client.post("/publish/cases/new", data=form)
    rev = db.session.scalar(select(CaseRevision))
    assert response.headers["Location"] == f"/publish/revisions/{rev.id}" and rev.state == "draft"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "疑似个人信息" in page and "全部按建议替换" in page and 'name="confirm_findings"' in page
    client.post(f"/publish/revisions/{rev.id}/submit", data={"csrf_token": CSRF_TOKEN, "confirm_findings": "1"})
    assert rev.state == "submitted"


def test_bulk_jsonl_upload_makes_drafts_of_the_own_organisation_only(app, client, accounts, login):
    import io
    import json

    lines = [
        json.dumps(sample_record(source_id="bulk-1", issuer={"name": "某市人民法院", "kind": "court"}), ensure_ascii=False),
        json.dumps(sample_record(source_id="bulk-2", issuer={"name": "别的机关", "kind": "court"}), ensure_ascii=False),
        "{not json",
        json.dumps(sample_record(source_id="bulk-3", title="", issuer={"name": "某市人民法院", "kind": "court"}),
                   ensure_ascii=False),
    ]
    login(client, accounts.publisher)
    response = client.post("/publish/import", content_type="multipart/form-data", data={
        "csrf_token": CSRF_TOKEN, "submit_all": "1",
        "file": (io.BytesIO("\n".join(lines).encode("utf-8")), "cases.jsonl")})
    page = response.get_data(as_text=True)
    assert "新增 1，更新 0，失败 3 行。" in page
    assert "cases.jsonl:2</code> [issuer] 只能导入本机构（某市人民法院）发布的案例。" in page
    assert "cases.jsonl:3</code> [_line] 不是有效的 JSON" in page and "cases.jsonl:4</code> [title]" in page
    case = db.session.scalar(select(Case).filter_by(source_id="bulk-1"))
    assert case.status == "draft" and case.issuer_id == accounts.org_a.id  # reviewed before it is public
    assert revisions.working_revision(case.id).state == "submitted"
    assert client.get(f"/cases/{case.id}").status_code == 404
