"""Search and case API over every real seed case, through HTTP, the service, the DB and the index."""
import json
import re

import pytest

from tests.helpers import sample_record, write_jsonl

HOSTILE = ['"', '"未闭合', "-", "- -", "NEAR(高空 抛物)", "高空 OR 抛物", "title:高空", "^高空", "高空*",
           "(", ")", "{a b}:c", "'; DROP TABLE cases; --", "\\", "%", "_", "\u200b", "😀",
           "<script>alert(1)</script>", "１＋１", "AND", "NOT", "a" * 200, '"" -""', "-\"醉驾\""]


def search(client, **params):
    """GET /api/v1/search and return (status, json)."""
    response = client.get("/api/v1/search", query_string=params)
    return response.status_code, response.get_json()


def test_high_altitude_case_on_top_with_highlight(seeded_client):
    status, body = search(seeded_client, q="高空抛物")
    assert status == 200 and body["total"] >= 1
    top = body["hits"][0]
    text = " ".join(h["html"] for h in top["highlights"])
    assert "<mark>高空抛物</mark>" in text
    assert "高空抛物" in top["title"] or "高空抛物" in (top["summary"] + text)


def test_highlights_show_original_text_without_segmentation_spaces(seeded_client):
    _, body = search(seeded_client, q="最高人民法院 正当防卫")
    for hit in body["hits"]:
        for h in hit["highlights"]:
            plain = re.sub(r"</?mark>", "", h["html"])
            assert "正 当" not in plain and "防 卫" not in plain
            assert re.sub(r"</?mark>", "", h["html"]).count("<") == 0  # only <mark> is markup


def test_totals_are_exact_and_pages_disjoint(seeded_client):
    _, first = search(seeded_client, q="劳动合同", per_page=10, page=1)
    _, second = search(seeded_client, q="劳动合同", per_page=10, page=2)
    _, big = search(seeded_client, q="劳动合同", per_page=100)
    assert first["total"] == second["total"] == big["total"] > 20
    ids1, ids2 = [h["id"] for h in first["hits"]], [h["id"] for h in second["hits"]]
    assert not set(ids1) & set(ids2)
    assert ids1 + ids2 == [h["id"] for h in big["hits"]][:20]


def test_facet_counts_add_up_and_filters_narrow(seeded_client):
    _, body = search(seeded_client, q="合同")
    assert sum(f["count"] for f in body["facets"]["case_type"]) == body["total"]
    civil = next(f for f in body["facets"]["case_type"] if f["value"] == "民事")
    _, filtered = search(seeded_client, q="合同", case_type="民事")
    assert filtered["total"] == civil["count"]
    assert all(h["case_type"] == "民事" for h in filtered["hits"])
    assert {f["value"] for f in filtered["facets"]["case_type"]} == {"民事"}


def test_filters_combine_and_repeat(seeded_client):
    _, both = search(seeded_client, case_type=["刑事", "行政"], per_page=100)
    _, crim = search(seeded_client, case_type="刑事")
    _, adm = search(seeded_client, case_type="行政")
    assert both["total"] == crim["total"] + adm["total"]
    _, narrow = search(seeded_client, case_type="刑事", issuer_kind="procuratorate")
    assert 0 < narrow["total"] < crim["total"]


def test_hot_issue_law_topic_and_year_filters(seeded_client):
    _, body = search(seeded_client, hot_issue="劳动争议")  # a name is accepted and resolved to its code
    assert body["total"] > 0 and all("劳动争议" in {t["name"] for t in h["hot_issues"]} for h in body["hits"])
    code = body["filters"][0]["value"]
    assert body["filters"] == [{"name": "hot_issue", "value": code, "label": "劳动争议"}] and code != "劳动争议"
    assert search(seeded_client, hot_issue=code)[1]["total"] == body["total"]
    _, body = search(seeded_client, law_topic="刑法")
    assert body["total"] > 0 and all("刑法" in {t["name"] for t in h["law_topics"]} for h in body["hits"])
    _, years = search(seeded_client)
    year = years["facets"]["year"][0]
    _, body = search(seeded_client, year=year["value"])
    assert body["total"] == year["count"]


def test_phrase_is_exact_and_exclusion_removes(seeded_client):
    _, loose = search(seeded_client, q="明显 超过 必要 限度")
    _, phrase = search(seeded_client, q='"明显超过必要限度"')
    assert 0 < phrase["total"] < loose["total"]
    for hit in phrase["hits"]:
        assert any("明显超过必要限度" in re.sub(r"</?mark>", "", h["html"]) for h in hit["highlights"])
    _, all_ = search(seeded_client, q="正当防卫")
    _, excluded = search(seeded_client, q="正当防卫 -故意伤害")
    assert excluded["total"] < all_["total"]
    _, only_bad = search(seeded_client, q="正当防卫 故意伤害", per_page=100)
    assert not {h["id"] for h in excluded["hits"]} & {
        h["id"] for h in only_bad["hits"] if "故意伤害" in h["title"]}


def test_sort_by_date_is_newest_first(seeded_client):
    _, body = search(seeded_client, q="合同", sort="date", per_page=50)
    dates = [h["published_date"] or h["judgment_date"] or "" for h in body["hits"]]
    assert dates == sorted(dates, reverse=True)


def test_empty_query_browses_newest_first(seeded_client):
    status, body = search(seeded_client)
    assert status == 200 and body["total"] == 1488  # 1,506 seed cases, 18 published twice: each listed once


@pytest.mark.parametrize("q", HOSTILE)
def test_any_query_string_answers_200(seeded_client, q):
    status, body = search(seeded_client, q=q)
    assert status == 200, body
    assert isinstance(body["total"], int)


@pytest.mark.parametrize("params, field", [
    ({"page": 0}, "page"), ({"page": "x"}, "page"), ({"per_page": 1000}, "per_page"),
    ({"page": 9999, "per_page": 100}, "page"), ({"q": "a" * 201}, "q"), ({"sort": "random"}, "sort"),
    ({"case_type": "刑侦"}, "case_type.0"), ({"year": "abc"}, "year.0"), ({"issuer_kind": "bank"}, "issuer_kind.0"),
])
def test_bad_arguments_get_400_with_field_and_chinese_message(seeded_client, params, field):
    status, body = search(seeded_client, **params)
    assert status == 400
    assert body["code"] == "validation_error" and body["message"] == "请求参数有误。"
    assert field in {e["field"] for e in body["errors"]}
    assert all(re.search(r"[\u4e00-\u9fff]", m) for e in body["errors"] for m in e["messages"])


def test_unknown_arguments_are_ignored(seeded_client):
    status, _ = search(seeded_client, q="工伤", utm_source="wechat")
    assert status == 200


def test_case_by_id_and_by_source_id(seeded_client):
    _, body = search(seeded_client, q="高空抛物", per_page=1)
    hit = body["hits"][0]
    by_id = seeded_client.get(f"/api/v1/cases/{hit['id']}").get_json()
    by_source = seeded_client.get("/api/v1/cases", query_string={"source_id": hit["source_id"]}).get_json()
    assert by_id == by_source
    assert by_id["source_id"] == hit["source_id"] and by_id["sections"] and by_id["issuer"]["name"]
    assert {"code", "name", "auto", "evidence"} <= set((by_id["hot_issues"] + by_id["law_topics"])[0])


@pytest.mark.parametrize("path", ["/api/v1/cases/999999", "/api/v1/cases?source_id=nope", "/api/v1/nothing"])
def test_missing_things_are_json_404(seeded_client, path):
    response = seeded_client.get(path)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_lookup_without_source_id_is_400(seeded_client):
    response = seeded_client.get("/api/v1/cases")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "source_id"


def test_taxonomies_list_policy_hot_issues_and_seven_departments(seeded_client):
    body = seeded_client.get("/api/v1/taxonomies").get_json()
    names = {t["name"] for t in body["hot_issue"]}
    assert {"教育就业", "医疗卫生", "征地拆迁", "食品安全", "环境保护", "安全生产", "社会救助"} <= names
    assert [t["name"] for t in body["law_topic"]] == [
        "宪法及宪法相关法", "民法商法", "行政法", "经济法", "社会法", "刑法", "诉讼与非诉讼程序法"]


def test_openapi_document_describes_the_endpoints(seeded_client):
    doc = seeded_client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/search", "/api/v1/cases/{case_id}", "/api/v1/cases", "/api/v1/taxonomies"} <= set(doc["paths"])
    params = {p["name"] for p in doc["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"q", "case_type", "issuer_kind", "hot_issue", "law_topic", "year", "sort", "page", "per_page"} <= params


def test_healthz_reports_database_and_engine(seeded_client):
    body = seeded_client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["search"]["ok"]
    assert body["search"]["documents"] == body["cases"] == 1488


def test_search_page_escapes_and_keeps_query(seeded_client):
    html = seeded_client.get("/search", query_string={"q": "<b>高空抛物</b>"}).get_data(as_text=True)
    assert "<b>高空抛物</b>" not in html and "&lt;b&gt;高空抛物&lt;/b&gt;" in html
    assert "<mark>高空抛物</mark>" in html


def test_markup_in_case_text_is_escaped_in_highlights(client, runner, tmp_path):
    record = sample_record(sections=[{"kind": "facts", "heading": "基本案情",
                                      "text": '被告在网页中插入<script>alert("高空抛物")</script>代码。'}])
    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "x.jsonl", [record]))])
    _, body = search(client, q="高空抛物")
    html = " ".join(h["html"] for h in body["hits"][0]["highlights"])
    assert "<script>" not in html and "&lt;script&gt;" in html and "<mark>高空抛物</mark>" in html


def test_pages_in_chinese_never_leak_a_trace(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "未找到" in html and "Traceback" not in html


def test_everyday_words_find_legal_terms_through_synonyms(client, runner, tmp_path):
    record = sample_record(source_id="dui", title="某某危险驾驶案", keywords=["危险驾驶"], sections=[
        {"kind": "facts", "heading": "基本案情", "text": "被告人醉酒驾驶机动车，被查获。"}])
    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "d.jsonl", [record]))])
    _, body = search(client, q="醉驾")
    assert body["total"] == 1 and "<mark>危险驾驶</mark>" in " ".join(h["html"] for h in body["hits"][0]["highlights"])


def test_zero_result_queries_are_counted_without_personal_numbers(client, runner):
    for _ in range(2):
        search(client, q="量子 zzqqxx 13812345678")
    search(client, q="量子 zzqqxx 13812345678", page=2)  # deeper pages are not counted again
    result = runner.invoke(args=["search", "zero-results"])
    assert "2\t" in result.output and "量子 zzqqxx #" in result.output
    assert "13812345678" not in result.output


def test_typing_a_hot_issue_name_finds_its_cases(seeded_client):
    _, body = search(seeded_client, q="消费维权")
    _, tagged = search(seeded_client, hot_issue="消费维权")
    assert body["total"] > 0 and tagged["total"] > 0
    assert {h["id"] for h in body["hits"][:10]} & {h["id"] for h in tagged["hits"]}


def test_renaming_a_hot_issue_keeps_its_cases_found_under_the_new_name(app, client, runner, tmp_path):
    """Facets key on stable codes: a rename (flask taxonomy load) changes labels, not the index."""
    from app.services.taxonomy import SEED_FILE

    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", [
        sample_record(source_id=f"r-{i}", title=f"第{i}件高空抛物损害责任纠纷案",
                      sections=[{"kind": "facts", "text": f"小区第{i}栋楼上抛下物品砸伤行人，物业公司未尽安全保障义务。" * (i + 1)}])
        for i in range(3)]))])
    before = client.get("/api/v1/search").get_json()
    old = next(f for f in before["facets"]["hot_issue"])
    taxonomy = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    term = next(t for t in taxonomy["hot_issue"] if t["code"] == old["value"])
    term["name"] = "住房与物业"
    renamed = tmp_path / "taxonomy.json"
    renamed.write_text(json.dumps(taxonomy, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["taxonomy", "load", str(renamed)]).exit_code == 0
    after = client.get("/api/v1/search").get_json()
    assert {"value": old["value"], "label": "住房与物业", "count": 3} in after["facets"]["hot_issue"]
    assert all(t["name"] != old["label"] for h in after["hits"] for t in h["hot_issues"])
    assert client.get("/api/v1/search", query_string={"hot_issue": "住房与物业"}).get_json()["total"] == 3
    assert client.get("/api/v1/search", query_string={"hot_issue": old["value"]}).get_json()["total"] == 3
    page = client.get(f"/search?hot_issue={old['label']}")  # an old link by name: the name no longer exists
    assert page.status_code == 200
    by_new_name = client.get("/search", query_string={"hot_issue": "住房与物业"})
    assert by_new_name.status_code == 301 and old["value"] in by_new_name.headers["Location"]


def test_the_year_facet_is_in_year_order(seeded_client):
    years = [int(f["value"]) for f in seeded_client.get("/api/v1/search").get_json()["facets"]["year"]]
    assert len(years) > 5 and years == sorted(years, reverse=True)


@pytest.mark.parametrize("q", ["🍔🤮", "*", "(((", "？？？", "—— ！"])
def test_a_query_with_no_searchable_words_finds_nothing_and_says_why(seeded_client, q):
    """It used to list the whole library under "“🍔🤮”的搜索结果"."""
    body = seeded_client.get("/api/v1/search", query_string={"q": q}).get_json()
    assert body["total"] == 0 and body["hits"] == [] and body["notice"]["code"] == "no_searchable_words"
    page = seeded_client.get("/search", query_string={"q": q}).get_data(as_text=True)
    assert "没有可检索的文字" in page and "共 0 件案例" in page


@pytest.mark.parametrize("issuer", ["²", "9" * 30, "\x04", "0", "12a"])
def test_odd_issuer_filters_find_nothing_rather_than_fail(seeded_client, issuer):
    """Found by the schemathesis run: "²".isdigit() is true, and int("²") raised — a 500."""
    response = seeded_client.get("/api/v1/search", query_string={"issuer": issuer})
    assert response.status_code == 200 and response.get_json()["total"] == 0
