"""Both engine clients, on the outage and misconfiguration paths that need no live Elasticsearch.

The full contract runs on a real OpenSearch (opensearch-py). No Elasticsearch 8 can be had in CI
(docs/engine-probe.md), so the `elasticsearch` client path is checked here against what is real:
a closed port (engine down) and a live OpenSearch (not Elasticsearch: a configuration error).
"""
import socket

import pytest

from app import create_app
from app.extensions import db
from app.services.search import make_backend
from indexer.backends.base import SearchRequest, SearchUnavailable
from indexer.query import parse_query
from tests.helpers import make_config, settings_for


def closed_port_url() -> str:
    """An address where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def backend_at(name: str, url: str, tmp_path):
    return make_backend(settings_for(tmp_path, SEARCH_BACKEND=name, SEARCH_URL=url, SEARCH_TIMEOUT=5.0))


@pytest.mark.nodb
@pytest.mark.parametrize("name", ["opensearch", "elasticsearch"])
def test_engine_down_is_search_unavailable_and_unhealthy(name, tmp_path):
    backend = backend_at(name, closed_port_url(), tmp_path)
    with pytest.raises(SearchUnavailable):
        backend.search(SearchRequest(query=parse_query("高空抛物")))
    health = backend.health()
    assert health["ok"] is False and "unreachable" in health["error"]


@pytest.mark.parametrize("name", ["opensearch", "elasticsearch"])
def test_api_answers_503_in_chinese_when_the_engine_is_down(name, tmp_path, template_db):
    import shutil

    shutil.copy(template_db, tmp_path / "test.sqlite3") if not isinstance(template_db, str) else None
    config = make_config(tmp_path, template_db if isinstance(template_db, str) else None)
    config.update(SEARCH_BACKEND=name, SEARCH_URL=closed_port_url(), SEARCH_TIMEOUT=5.0)
    application = create_app(config)
    client = application.test_client()
    try:
        answer = client.get("/api/v1/search", query_string={"q": "高空抛物"})
        assert answer.status_code == 503
        assert answer.get_json()["code"] == "search_unavailable" and "暂时不可用" in answer.get_json()["message"]
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["search"]["ok"] is False
    finally:
        with application.app_context():
            db.engine.dispose()  # no pooled connection may outlive the test


@pytest.mark.engine
def test_elasticsearch_client_on_opensearch_says_what_is_wrong(engine_process, tmp_path):
    backend = backend_at("elasticsearch", engine_process.url, tmp_path)
    with pytest.raises(SearchUnavailable, match="not an Elasticsearch 8 server"):
        backend.count()
