"""Public pages over the real seed cases, through HTTP: content, escaping, status codes."""
import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Case


def html(client, path, status=200, **params):
    """GET a page and return its text after checking the status."""
    response = client.get(path, query_string=params)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def high_altitude_case_id(client) -> int:
    """Id of the seed case about an object thrown from a building (one of two close hits for 高空抛物)."""
    hits = client.get("/api/v1/search", query_string={"q": "高空抛物"}).get_json()["hits"]
    return next(h["id"] for h in hits if h["title"] == "张某某诉某物业公司等财产损害赔偿案")


def test_home_lists_hot_issues_law_tree_newest_and_issuer_kinds(seeded_client):
    page = html(seeded_client, "/")
    for name in ("教育就业", "医疗卫生", "征地拆迁", "食品安全", "环境保护", "安全生产", "社会救助"):
        assert name in page
    for name in ("宪法及宪法相关法", "民法商法", "刑法", "诉讼与非诉讼程序法"):
        assert name in page
    assert "/laws/%E6%B0%91%E6%B3%95%E5%85%B8" in page  # 民法典 under 民法商法
    for label in ("法院", "检察院", "监察机关", "行政执法机关", "司法行政机关"):
        assert f'<span class="tile-name">{label}</span>' in page
    assert page.count('href="/cases/') >= 6


def test_search_page_keeps_query_shows_count_facets_and_marks(seeded_client):
    page = html(seeded_client, "/search", q="高空抛物")
    assert 'value="高空抛物"' in page and "共 " in page and "<mark>高空抛物</mark>" in page
    assert "案件类型" in page and "?q=%E9%AB%98%E7%A9%BA%E6%8A%9B%E7%89%A9&amp;case_type=" in page


def test_active_filters_show_as_removable_chips(seeded_client):
    page = html(seeded_client, "/search", q="合同", case_type="民事", year="2015")
    assert "移除筛选：案件类型 民事" in page and "移除筛选：年份 2015" in page
    assert 'href="/search?q=%E5%90%88%E5%90%8C&amp;year=2015"' in page  # removing 民事 keeps the rest


def test_empty_results_offer_help(seeded_client):
    page = html(seeded_client, "/search", q="zzqqxxyy")
    assert "没有找到符合条件的案例" in page and "/topics/" in page


def test_bad_arguments_render_a_chinese_400_page(seeded_client):
    page = html(seeded_client, "/search", status=400, page="0")
    assert "请求参数有误" in page and "Traceback" not in page


def test_hot_issue_and_law_browse_pages_with_breadcrumbs(seeded_client):
    page = html(seeded_client, "/topics/food-safety")
    assert "<h1>食品安全</h1>" in page and 'aria-current="page">食品安全' in page and "热点问题" in page
    page = html(seeded_client, "/laws/民法典")
    assert "《民法典》相关案例" in page and "民法商法" in page
    html(seeded_client, "/topics/no-such-topic", status=404)
    html(seeded_client, "/laws/不存在的法", status=404)


def test_browse_page_search_stays_within_the_topic(seeded_client):
    page = html(seeded_client, "/topics/property-housing", q="高空")
    assert 'action="/topics/property-housing"' in page
    assert "张某某诉某物业公司等财产损害赔偿案" in page


def test_case_page_has_sections_toc_source_tags_and_metadata(seeded_client):
    case_id = high_altitude_case_id(seeded_client)
    page = html(seeded_client, f"/cases/{case_id}")
    case = db.session.get(Case, case_id)
    assert f"<h1>{case.title}</h1>" in page
    assert page.index("基本案情") < page.index("裁判要旨") < page.index("适用解析")
    assert 'class="toc"' in page and "来源：" in page
    assert 'property="og:title"' in page and 'property="og:description"' in page
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert ld["headline"] == case.title and ld["@type"] == "Article"
    assert "相关案例" in page


def test_similar_cases_api_returns_five_other_published_cases(seeded_client):
    case_id = high_altitude_case_id(seeded_client)
    hits = seeded_client.get(f"/api/v1/cases/{case_id}/similar").get_json()["hits"]
    assert len(hits) == 5 and case_id not in {h["id"] for h in hits}
    assert seeded_client.get("/api/v1/cases/99999999/similar").status_code == 404


def test_suggestions_come_from_laws_terms_keywords_and_titles(seeded_client):
    body = seeded_client.get("/api/v1/suggest", query_string={"q": "劳动"}).get_json()
    kinds = {s["kind"] for s in body["suggestions"]}
    assert {"法律", "案例"} <= kinds and all("劳动" in s["text"] for s in body["suggestions"])
    assert seeded_client.get("/api/v1/suggest", query_string={"q": "%_"}).status_code == 200
    assert seeded_client.get("/api/v1/suggest", query_string={"q": "x" * 51}).status_code == 400


def test_kiosk_mode_marks_pages_and_hides_external_links(seeded_client):
    page = html(seeded_client, "/", kiosk="1")
    assert 'class="kiosk"' in page and "data-idle-seconds" in page
    case = db.session.scalar(select(Case).where(Case.source_url.is_not(None)))
    page = html(seeded_client, f"/cases/{case.id}")  # the cookie keeps the mode
    assert 'class="kiosk"' in page and f'href="{case.source_url}"' not in page
    page = html(seeded_client, "/", kiosk="0")
    assert 'class="kiosk"' in page and "kiosk=0" not in page  # a passer-by cannot leave (issue 12)


def test_withdrawn_case_answers_410(client, runner, tmp_path):
    from tests.helpers import sample_record, write_jsonl

    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", [sample_record()]))])
    case = db.session.scalar(select(Case))
    case.status = "withdrawn"
    db.session.commit()
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 410 and "该内容已撤回" in response.get_data(as_text=True)


@pytest.mark.parametrize("q", ["<img src=x onerror=alert(1)>", '"><script>alert(1)</script>'])
def test_user_text_is_escaped_everywhere(seeded_client, q):
    page = html(seeded_client, "/search", q=q)
    assert "<script>alert" not in page and "<img src=x" not in page


def test_unexpected_errors_get_a_chinese_500_without_a_trace(app, client):
    def boom():
        raise RuntimeError("secret detail")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    page = client.get("/boom")
    assert page.status_code == 500
    text = page.get_data(as_text=True)
    assert "服务器内部错误" in text and "secret detail" not in text and "Traceback" not in text
    body = client.get("/api/v1/boom").get_json()
    assert body["code"] == "internal_error" and "secret" not in str(body)


@pytest.mark.parametrize(("typed", "expected", "kind"), [
    ("高空", "高空抛物", "法律用语"), ("抛物", "高空抛物", "法律用语"), ("醉驾", "危险驾驶", "法律用语"),
    ("欠薪", "拖欠劳动报酬", "法律用语"), ("民法典第1254条", "《民法典》第一千二百五十四条", "条文"),
    ("刑法133条之一", "《刑法》第一百三十三条之一", "条文"), ("劳动", "劳动争议", "热点问题")])
def test_suggestions_help_a_lay_user(seeded_client, typed, expected, kind):
    """高空, 抛物 and 醉驾 used to suggest nothing."""
    found = seeded_client.get("/api/v1/suggest", query_string={"q": typed}).get_json()["suggestions"]
    assert {"text": expected, "kind": kind} in [{"text": s["text"], "kind": s["kind"]} for s in found]
    places = [s for s in found if s["kind"] in ("条文", "热点问题", "案例")]
    assert all(s["url"] and s["url"].startswith("/") for s in places)


def test_facet_links_built_once_per_request_mean_what_url_with_means(app):
    from urllib.parse import parse_qs, urlsplit

    from app.web import url_adding, url_with

    for query in ("q=合同&hot_issue=food-safety&page=3&kiosk=1", "", "q=a%26b&year=2020&year=2021"):
        with app.test_request_context(f"/search?{query}"):
            for name, value in (("hot_issue", "labour"), ("year", "2019"), ("issuer", "a&b=c")):
                ours, theirs = urlsplit(url_adding(name, value)), urlsplit(url_with(add=(name, value)))
                assert ours.path == theirs.path == "/search"
                assert parse_qs(ours.query) == parse_qs(theirs.query)  # same arguments, each list in order
