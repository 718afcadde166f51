"""The publishing story of issue 4 in a real headless Chromium, as the issue's "done when" says:
a publisher uploads a .docx, fixes flagged names with one click, submits; a reviewer returns it
with a comment; the publisher fixes and resubmits; the reviewer publishes; the public finds it
within a second; an edit stays private until approved; withdrawal leaves search and answers 410."""
import pytest
from test_extract import make_docx

from tests.helpers import chromium, serve, sign_in

pytestmark = pytest.mark.browser
TITLE = "王小明诉某物业公司物业服务合同纠纷案"


@pytest.fixture()
def live(app, accounts):
    """This test's app served on a free loopback port."""
    with serve(app) as url:
        yield url


@pytest.fixture()
def browser():
    """A headless Chromium."""
    with chromium() as instance:
        yield instance


def public_hits(page, live, q):
    """Titles the public search shows (read as the public would, through the API)."""
    page.goto(f"{live}/api/v1/search?q={q}")
    return [hit["title"] for hit in page.evaluate("() => JSON.parse(document.body.innerText)")["hits"]]


def test_publish_review_edit_withdraw_in_a_browser(browser, live, tmp_path):
    docx = tmp_path / "判决书.docx"
    docx.write_bytes(make_docx([TITLE, "（2024）某01民终88号", "一、基本案情",
                                "原告王小明，男，住某市延安西路2299号。王小明诉称物业公司未尽安全保障义务。",
                                "二、裁判结果", "判决物业公司赔偿原告损失。", "三、典型意义", "物业服务企业应当履行安全保障义务。"]))
    publisher = sign_in(browser, live, "publisher")
    publisher.goto(f"{live}/publish/cases/new")
    publisher.set_input_files("input[name=document]", str(docx))
    publisher.click("form.upload button")
    assert publisher.input_value("input[name=title]") == TITLE
    publisher.select_option("select[name=case_type]", "民事")
    publisher.click("p.sticky button[value=submit]")
    # the de-identification check stops the submission; one click replaces every flagged item
    assert "疑似个人信息" in publisher.inner_text("main")
    publisher.click("text=全部按建议替换")
    assert "王小明" not in publisher.inner_text("main") and "王某诉某物业公司" in publisher.inner_text("main")
    publisher.click("form[action$='/submit'] button")
    reviewer = sign_in(browser, live, "reviewer")
    reviewer.click("text=王某诉某物业公司物业服务合同纠纷案")
    reviewer.fill("textarea[name=comment]", "请补充案号。")
    reviewer.click("text=退回修改")
    publisher.goto(f"{live}/publish/")
    assert "请补充案号。" in publisher.inner_text("main")
    publisher.click("text=修改 >> nth=0")
    publisher.fill("input[name=case_number]", "（2024）某01民终88号")
    publisher.click("p.sticky button[value=submit]")
    reviewer.goto(f"{live}/review/")
    reviewer.click("text=王某诉某物业公司物业服务合同纠纷案")
    reviewer.click("text=审核通过并发布")
    # the very first query after the approval finds it: the outbox drained before the redirect
    assert public_hits(reviewer, live, "物业服务") == ["王某诉某物业公司物业服务合同纠纷案"]
    # an edit stays private until it is approved
    publisher.goto(f"{live}/publish/")
    publisher.click("table.grid >> nth=-1 >> text=修改")
    publisher.fill("input[name=title]", "王某诉某物业公司物业服务合同纠纷案（修订）")
    publisher.click("p.sticky button[value=submit]")
    anonymous = browser.new_context().new_page()
    anonymous.goto(f"{live}/search?q=物业服务")
    anonymous.click("text=王某诉某物业公司物业服务合同纠纷案")
    case_url = anonymous.url
    assert "（修订）" not in anonymous.inner_text("h1")
    reviewer.goto(f"{live}/review/")
    reviewer.click("text=（修订）")
    assert "删除：" in reviewer.inner_text("ol.diff") and "新增：" in reviewer.inner_text("ol.diff")
    reviewer.click("text=审核通过并发布")
    anonymous.goto(case_url)
    assert anonymous.inner_text("h1").endswith("（修订）")
    # withdrawal: out of search at once, the page answers 410 with a notice
    publisher.goto(f"{live}/publish/")
    publisher.click("table.grid >> nth=-1 >> text=撤回")
    publisher.fill("textarea[name=reason]", "案件信息更新")
    publisher.click("text=确认撤回")
    assert public_hits(anonymous, live, "物业服务") == []
    response = anonymous.goto(case_url)
    assert response.status == 410 and "案件信息更新" in anonymous.inner_text("main")
