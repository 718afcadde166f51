"""A real three-node cluster (three OpenSearch nodes in one JVM): replicas and alias swaps.

The deployment this backend exists for runs on several nodes; here each index gets a replica on
another node, and searches keep answering while the alias moves between indices.
"""
import json
import threading
import urllib.request

import pytest

from indexer.backends.base import SearchRequest
from indexer.query import parse_query
from tests.helpers import ENGINE, drop_engine_indices, settings_for, start_engine
from tests.test_backend_contract import CASES, make_doc

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def cluster(request):
    """Three nodes, started for this module only."""
    process = start_engine(request, nodes=3, heap="1g", timeout=180)
    yield process
    process.destroy()


@pytest.fixture()
def replicated(cluster, tmp_path):
    """A backend on the cluster with one replica per shard."""
    from app.services.search import make_backend

    backend = make_backend(settings_for(tmp_path, SEARCH_BACKEND=ENGINE, SEARCH_URL=cluster.url,
                                        SEARCH_INDEX_PREFIX="cluster", SEARCH_REPLICAS="1", SEARCH_TIMEOUT=30.0))
    yield backend
    drop_engine_indices(cluster, "cluster")


def get(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_rebuilt_index_has_a_replica_on_another_node_and_goes_green(cluster, replicated):
    with replicated.locked():
        assert replicated.rebuild(make_doc(i) for i in CASES) == len(CASES)
    index = replicated.live_indices()[0]
    health = get(f"{cluster.url}/_cluster/health/{index}?wait_for_status=green&timeout=60s")
    assert health["status"] == "green" and health["number_of_nodes"] == 3
    shards = get(f"{cluster.url}/_cat/shards/{index}?format=json")
    assert sorted(s["prirep"] for s in shards) == ["p", "r"] and len({s["node"] for s in shards}) == 2
    settings = get(f"{cluster.url}/{index}/_settings")[index]["settings"]["index"]
    assert settings["refresh_interval"] == "1s" and settings["number_of_replicas"] == "1"


def test_searches_never_fail_while_the_alias_moves(replicated):
    docs = [make_doc(i) for i in CASES]
    replicated.rebuild(docs)
    request = SearchRequest(query=parse_query("防卫"), per_page=5)
    stop, outcomes = threading.Event(), []

    def query_loop():
        while not stop.is_set():
            try:
                outcomes.append(replicated.search(request).total)
            except Exception as exc:  # counted: the assertion lists every failure
                outcomes.append(exc)

    thread = threading.Thread(target=query_loop)
    thread.start()
    try:
        for _ in range(3):
            replicated.rebuild(docs)
    finally:
        stop.set()
        thread.join()
    assert len(outcomes) > 10 and [o for o in outcomes if o != 2] == []
    assert len(replicated.live_indices()) == 1
