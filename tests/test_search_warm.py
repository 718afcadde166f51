"""A gunicorn worker is warmed before its first request: tables loaded, no answer cached."""
import logging
import runpy
import types
from pathlib import Path

from app.services import search as search_service
from app.services.taxonomy import SNAPSHOT
from indexer import analysis

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_the_worker_hook_warms_the_app_without_answering_a_query(app, caplog):
    analysis._word_frequencies.cache_clear()
    analysis.synonyms.cache_clear()
    hooks = runpy.run_path(str(GUNICORN_CONF))
    worker = types.SimpleNamespace(wsgi=app, log=logging.getLogger("gunicorn.error"))
    with caplog.at_level(logging.WARNING):
        hooks["post_worker_init"](worker)
    assert "warm-up failed" not in caplog.text
    assert analysis._word_frequencies.cache_info().currsize == 1
    assert analysis.synonyms.cache_info().currsize == 1
    assert SNAPSHOT in app.extensions["yianshifa.snapshots"]  # the taxonomy snapshot is built
    caches = app.extensions.get("yianshifa.caches", {})
    assert len(caches.get("search.pages", ())) == 0  # nothing answered, nothing cached


def test_warming_twice_and_then_searching_gives_the_usual_answer(app, client):
    search_service.warm()
    search_service.warm()
    response = client.get("/api/v1/search", query_string={"q": "高空抛物"})
    assert response.status_code == 200 and response.get_json()["total"] == 0


def test_the_master_hook_loads_query_analysis_tables():
    analysis._word_frequencies.cache_clear()
    hooks = runpy.run_path(str(GUNICORN_CONF))
    hooks["on_starting"](types.SimpleNamespace())
    assert analysis._word_frequencies.cache_info().currsize == 1
    assert analysis.segmenter.cache_info().currsize == 1
