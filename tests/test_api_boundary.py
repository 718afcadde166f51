"""The typed API boundary: one schema per shape, documented, bounded; HTML and JSON agree."""
import pytest

from tests.helpers import sample_record, write_jsonl

JSON_ROUTES = {"/api/v1/search", "/api/v1/cases/{case_id}", "/api/v1/cases", "/api/v1/cases/{case_id}/similar",
               "/api/v1/suggest", "/api/v1/articles/search", "/api/v1/taxonomies", "/api/v1/stats/organisations"}


def test_the_openapi_document_covers_every_json_route_with_its_errors(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert set(doc["paths"]) == JSON_ROUTES
    case = doc["paths"]["/api/v1/cases/{case_id}"]
    assert {"404", "410"} <= set(case["get"]["responses"])
    assert case["parameters"][0]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert "400" in doc["paths"]["/api/v1/search"]["get"]["responses"]
    assert "503" in doc["paths"]["/api/v1/search"]["get"]["responses"]
    assert doc["components"]["schemas"]["Error"]["properties"].keys() >= {"code", "message", "errors"}
    stats = doc["paths"]["/api/v1/stats/organisations"]["get"]
    assert "400" in stats["responses"] and {p["name"] for p in stats["parameters"]} == {"year", "from", "to"}


@pytest.mark.parametrize("path", [
    "/api/v1/cases/9223372036854775808", "/cases/9223372036854775808", "/api/v1/cases/9223372036854775808/similar",
    "/api/v1/cases/0", "/cases/99999999999999999999999", "/publish/cases/9223372036854775808/edit",
    "/review/revisions/9223372036854775808"])
def test_ids_beyond_the_database_range_are_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.get_json()["code"] == "not_found"


def test_a_withdrawn_case_answers_410_in_json(app, client, runner, tmp_path):
    from app.extensions import db
    from app.models import Case

    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", [sample_record()]))])
    case = db.session.query(Case).one()
    case.status = "withdrawn"
    db.session.commit()
    body = client.get(f"/api/v1/cases/{case.id}")
    assert body.status_code == 410 and body.get_json()["code"] == "gone"
    assert client.get(f"/api/v1/cases/{case.id}/similar").status_code == 410


def test_page_and_api_show_the_sort_the_service_applied(app, client, runner, tmp_path):
    """An exclusion-only query browses by date; the page must say so, not 按相关度."""
    runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "a.jsonl", [
        sample_record(source_id="a", published_date="2024-01-01"),
        sample_record(source_id="b", published_date="2024-02-01", title="李某醉驾案",
                      sections=[{"kind": "facts", "text": "李某醉酒驾驶机动车。"}])]))])
    body = client.get("/api/v1/search", query_string={"q": "-醉驾"}).get_json()
    assert body["sort"] == "date" and body["total"] == 1
    page = client.get("/search", query_string={"q": "-醉驾"}).get_data(as_text=True)
    assert '<strong aria-current="true">按日期</strong>' in page
    assert client.get("/api/v1/search", query_string={"q": "高空抛物"}).get_json()["sort"] == "relevance"


def test_the_result_window_caps_the_last_page_in_one_place(app, client):
    from indexer.backends.base import RESULT_WINDOW

    body = client.get("/api/v1/search", query_string={"per_page": 100}).get_json()
    assert body["last_page"] == 1
    too_deep = client.get("/api/v1/search", query_string={"page": RESULT_WINDOW // 100 + 1, "per_page": 100})
    assert too_deep.status_code == 400 and too_deep.get_json()["errors"][0]["field"] == "page"


def test_the_results_page_renders_the_same_hits_as_the_api(seeded_client):
    api = seeded_client.get("/api/v1/search", query_string={"q": "高空抛物"}).get_json()
    page = seeded_client.get("/search", query_string={"q": "高空抛物"}).get_data(as_text=True)
    for hit in api["hits"][:5]:
        assert f'/cases/{hit["id"]}"' in page
    facet = api["facets"]["issuer_kind"][0]
    assert facet["label"] in page and f"issuer_kind={facet['value']}" in page
