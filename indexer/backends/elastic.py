"""Elasticsearch / OpenSearch backend: the same documents and query semantics as the embedded engine.

Text arrives pre-segmented by our jieba chain (indexer.analysis), so the cluster needs no
Chinese plugin: the `words` analyzer only splits at spaces and punctuation and lower-cases,
as SQLite's unicode61 tokenizer does. Exact phrases are checked on `text.chars`, the
normalised original text cut into single characters, where a phrase query is a substring test.

Ranking: FTS5's bm25() adds the weighted term counts of all columns, then saturates once and
normalises by the length of the whole document; Lucene scores each field on its own. Summing
per-field scores with FIELD_WEIGHTS as boosts let titles dominate (top-10 overlap with the
embedded engine 0.71 on 200 queries). So every term is scored on `all` (every field copied
into one, whole-document length as in FTS5) plus a small bonus per weighted field derived from
FIELD_WEIGHTS (FIELD_BONUS): overlap 0.875, totals identical (bench/engine_parity.py).

Searches go to an alias; `rebuild` loads a fresh index beside the live one and swaps the alias
atomically, so searches never see a half-built index.
"""
from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from indexer.analysis import analysis_version
from indexer.backends.base import (
    RESULT_WINDOW,
    Boost,
    IndexBusy,
    QueryTooExpensive,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
)
from indexer.backends.engine_client import EngineClient, EngineError
from indexer.backends.locking import FileLock
from indexer.documents import FACETS, FIELD_WEIGHTS, FIELDS, FILTER_ONLY, SearchDocument
from indexer.query import ParsedQuery, Phrase

SCHEMA_VERSION = "1"
BULK_DOCS = 500
BULK_BYTES = 8 * 1024 * 1024  # long judgments: a bulk request is cut at this size too
ADMIN_TIMEOUT = 120.0  # refresh, settings, alias swap and deletion of a large index
BULK_RETRIES = 5  # on 429 (circuit breaker, full write queue): 1+2+4+8+16 s at most
FACET_LIMIT = 200
COMMON_SHARE = 0.2  # same pruning of very common free terms as the embedded engine
COMMON_MIN_DOCS = 1000
SIMILAR_FIELDS = ("title", "keywords", "holding", "body")
# Bonus for a term found in a field weighted above the body, in proportion to its FIELD_WEIGHTS
# entry; the share 0.2 was chosen by top-10 overlap with the embedded engine (0.2: 0.875,
# 0.33: 0.861, 0.5: 0.848, no bonus: 0.867).
FIELD_BONUS_SHARE = 0.2
FIELD_BONUS = {name: FIELD_BONUS_SHARE * (weight - 1) / max(FIELD_WEIGHTS.values())
               for name, weight in FIELD_WEIGHTS.items() if weight > 1}

SETTINGS_ANALYSIS = {
    "tokenizer": {
        "words": {"type": "pattern", "pattern": r"[\p{Z}\p{P}\s]+"},
        "chars": {"type": "ngram", "min_gram": 1, "max_gram": 1},
    },
    "analyzer": {
        "words": {"type": "custom", "tokenizer": "words", "filter": ["lowercase"]},
        "chars": {"type": "custom", "tokenizer": "chars"},
    },
}


def facet_field(name: str) -> str:
    """The keyword field holding a facet's (or filter's) values."""
    return f"facet_{name}"


def mappings() -> dict:
    """One mapping for both engines; `_meta` records what built the index."""
    properties: dict[str, Any] = {name: {"type": "text", "analyzer": "words", "copy_to": "all"} for name in FIELDS}
    properties["all"] = {"type": "text", "analyzer": "words"}
    properties.update({facet_field(name): {"type": "keyword"} for name in FACETS + FILTER_ONLY})
    properties["id"] = {"type": "long"}
    properties["sort_date"] = {"type": "keyword"}
    properties["text"] = {"type": "text", "index": False,
                          "fields": {"chars": {"type": "text", "analyzer": "chars", "norms": False}}}
    return {"dynamic": "strict", "_meta": {"analysis": analysis_version(), "schema": SCHEMA_VERSION},
            "properties": properties}


def index_lines(index: str, doc: SearchDocument) -> str:
    """The two NDJSON lines that index one document."""
    action = json.dumps({"index": {"_index": index, "_id": str(doc.id)}})
    return action + "\n" + json.dumps(to_source(doc), ensure_ascii=False) + "\n"


def to_source(doc: SearchDocument) -> dict:
    """The stored form of a search document."""
    source: dict[str, Any] = {name: doc.fields.get(name, "") for name in FIELDS}
    source.update({facet_field(name): list(doc.facets.get(name, [])) for name in FACETS + FILTER_ONLY})
    source.update(id=doc.id, sort_date=doc.sort_date, text=doc.text)
    return source


# ---- queries: every piece of user text is a value inside JSON, never query syntax --------------
def term_clause(term: str, weighted: bool = True, weight: float = 1.0) -> dict:
    """A term anywhere in the document, scored on the whole document plus the field bonuses (× weight)."""
    anywhere = {"match_phrase": {"all": {"query": term}}}
    if not weighted:
        return anywhere
    bonuses = [{"match_phrase": {name: {"query": term, "boost": boost}}} for name, boost in FIELD_BONUS.items()]
    clause: dict = {"bool": {"should": [anywhere, *bonuses]}}
    if weight != 1.0:
        clause["bool"]["boost"] = weight
    return clause


def boost_clause(boost: Boost) -> dict:
    """Documents with one of the boost's values, each scored exactly `boost.weight` (as the embedded engine)."""
    field = "id" if boost.field == "id" else facet_field(boost.field)
    return {"constant_score": {"filter": {"terms": {field: list(boost.values)}}, "boost": boost.weight}}


def phrase_clauses(phrase: Phrase, weighted: bool) -> list[dict]:
    """Every token of the phrase somewhere, and (for several tokens) the exact character sequence."""
    clauses = [term_clause(token, weighted) for token in phrase.tokens]
    if len(phrase.tokens) > 1:
        clauses.append({"match_phrase": {"text.chars": {"query": phrase.text}}})
    return clauses


def build_query(request: SearchRequest, common: Collection[str] = frozenset()) -> dict:
    """The bool query for a request (no sort, paging or aggregations)."""
    query: ParsedQuery = request.query
    must, must_not, filters = [], [], []
    free = [term_clause(t, weight=query.weights.get(t, 1.0)) for t in query.terms + query.synonyms if t not in common]
    # As the embedded engine: boosted documents join the free terms' alternatives; with phrases only
    # they score without matching; browsing is unboosted.
    active = [b for b in request.boosts if b.values] if not query.is_empty else []
    boosts = [boost_clause(b) for b in active if b.matching]
    if free:
        must.append({"bool": {"should": free + boosts, "minimum_should_match": 1}})
        boosts = []
    boosts += [boost_clause(b) for b in active if not b.matching]  # beside a must, a should only scores
    for phrase in query.phrases:
        must += phrase_clauses(phrase, weighted=True)
    for phrase in query.excluded:  # every case whose text contains it, however it was segmented there
        must_not.append({"match_phrase": {"text.chars": {"query": phrase.text}}})
    for name, values in sorted(request.filters.items()):
        if values:
            filters.append({"terms": {facet_field(name): list(values)}})
    if not must:
        must.append({"match_all": {}})
    return {"bool": {"must": must, "must_not": must_not, "filter": filters, "should": boosts}}


def _in_order(query: ParsedQuery, common: Collection[str]) -> list[str]:
    """The common terms left out, in the query's order (as the embedded engine reports them)."""
    return [t for t in dict.fromkeys(query.terms + query.synonyms) if t in common]


def sort_order(request: SearchRequest) -> list:
    """Relevance (BM25, then newest) or newest first; id breaks ties so pages never overlap."""
    by_date = [{"sort_date": "desc"}]
    if request.query.is_empty:
        return by_date + [{"id": "desc"}]
    if request.sort == "relevance":
        return ["_score"] + by_date + [{"id": "desc"}]
    return by_date + ["_score", {"id": "desc"}]


def facet_aggregations() -> dict:
    """Terms aggregations for every facet, largest first then by value (as the embedded engine)."""
    return {name: {"terms": {"field": facet_field(name), "size": FACET_LIMIT,
                             "order": [{"_count": "desc"}, {"_key": "asc"}]}} for name in FACETS}


class ElasticBackend:
    """SearchBackend on an Elasticsearch or OpenSearch cluster, through an alias."""

    def __init__(self, client: EngineClient, prefix: str = "yianshifa", lock_path: str = "search-lock",
                 shards: int = 1, replicas: str = "0-1", refresh: str = "wait_for", time_budget_ms: int = 500):
        self.client = client
        self.time_budget_ms = time_budget_ms
        self.alias = f"{prefix}-cases"
        self.shards = shards
        self.replicas = replicas  # "0-1" = auto-expand: one replica as soon as a second node exists
        self.refresh = refresh  # outbox writes wait until searchable (≤ refresh interval, 1 s)
        self._lock = FileLock(lock_path)
        self._alias_seen = False  # set once the alias is known to exist (saves a request per search)

    # ---- index lifecycle -------------------------------------------------------------------
    def _index_settings(self, loading: bool) -> dict:
        """Settings for a new index: no refresh and no replicas while bulk loading."""
        settings = {"number_of_shards": self.shards, "max_result_window": RESULT_WINDOW,
                    "analysis": SETTINGS_ANALYSIS}
        return settings | self._live_settings(loading)

    def _live_settings(self, loading: bool) -> dict:
        """The settings that differ between loading and serving."""
        if loading:
            return {"refresh_interval": "-1", "number_of_replicas": 0, "auto_expand_replicas": False}
        if "-" in str(self.replicas):
            return {"refresh_interval": "1s", "auto_expand_replicas": str(self.replicas)}
        return {"refresh_interval": "1s", "auto_expand_replicas": False, "number_of_replicas": int(self.replicas)}

    def _create_index(self, name: str, loading: bool) -> None:
        self.client.request("PUT", f"/{name}", {"settings": {"index": self._index_settings(loading)},
                                                 "mappings": mappings()})

    def _new_name(self) -> str:
        return f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{time.monotonic_ns() % 1_000_000:06d}"

    def live_indices(self) -> list[str]:
        """Indices the alias points to (normally exactly one)."""
        try:
            return sorted(self.client.request("GET", f"/_alias/{self.alias}"))
        except EngineError as exc:
            if exc.status == 404:
                return []
            raise

    def ensure_index(self) -> None:
        """Create an empty live index under the alias if there is none (first start)."""
        if self.live_indices():
            return
        with self.locked():
            if self.live_indices():
                return
            name = self._new_name()
            self._create_index(name, loading=False)
            self.client.request("POST", "/_aliases", {"actions": [{"add": {"index": name, "alias": self.alias}}]})

    def rebuild(self, docs: Iterable[SearchDocument], progress: Callable[[int], None] | None = None) -> int:
        """Load a new index, restore serving settings, swap the alias, drop the old index.

        On any failure the new index is deleted and the old one keeps serving.
        """
        name = self._new_name()
        self._create_index(name, loading=True)
        try:
            count = self._load(name, docs, progress)
            # After a large load a refresh can take far longer than a search may: ADMIN_TIMEOUT.
            self.client.request("PUT", f"/{name}/_settings", {"index": self._live_settings(loading=False)},
                                timeout=ADMIN_TIMEOUT)
            self.client.request("POST", f"/{name}/_refresh", timeout=ADMIN_TIMEOUT)
            # Primaries allocated (replicas may follow); the engine waits up to 30 s.
            health = self.client.request("GET", f"/_cluster/health/{name}", params={"wait_for_status": "yellow"},
                                         timeout=ADMIN_TIMEOUT)
            if health.get("timed_out"):
                raise SearchUnavailable(f"new index {name} not ready")
            old = self.live_indices()
            actions = [{"remove": {"index": i, "alias": self.alias}} for i in old]
            actions.append({"add": {"index": name, "alias": self.alias}})
            self.client.request("POST", "/_aliases", {"actions": actions}, timeout=ADMIN_TIMEOUT)
        except BaseException:
            self._delete_quietly(name)
            raise
        for index in old:
            self._delete_quietly(index)
        return count

    def _load(self, name: str, docs: Iterable[SearchDocument], progress) -> int:
        """Bulk-load documents into `name` in requests of BULK_DOCS documents or BULK_BYTES.

        The engine indexes one request while we analyse the next (one bulk in flight): the two
        costs are similar, so this saves most of the smaller one.
        """
        count, batch, size, pending = 0, [], 0, None
        with ThreadPoolExecutor(max_workers=1) as sender:
            for doc in docs:
                entry = index_lines(name, doc)
                batch.append(entry)
                size += len(entry.encode("utf-8"))
                if len(batch) >= BULK_DOCS or size >= BULK_BYTES:
                    count += self._wait(pending, progress)
                    pending = sender.submit(self._send, batch, None)
                    batch, size = [], 0
            count += self._wait(pending, progress)
            if batch:
                count += self._wait(sender.submit(self._send, batch, None), progress)
        return count

    @staticmethod
    def _wait(pending, progress) -> int:
        """Wait for the bulk in flight (its error re-raised here); report its documents."""
        if pending is None:
            return 0
        done = pending.result()
        if progress:
            progress(done)
        return done

    def _delete_quietly(self, name: str) -> None:
        with contextlib.suppress(EngineError, SearchUnavailable):
            self.client.request("DELETE", f"/{name}", timeout=ADMIN_TIMEOUT)

    # ---- writing ---------------------------------------------------------------------------
    def _send(self, entries: list[str], refresh: str | None) -> int:
        """Send NDJSON entries as one bulk request, retrying while the engine pushes back (429).

        Any item failure other than deleting a missing document raises; returns len(entries).
        """
        for attempt in range(BULK_RETRIES + 1):
            try:
                answer = self.client.bulk("".join(entries), params={"refresh": refresh} if refresh else None)
                break
            except EngineError as exc:
                if exc.status != 429 or attempt == BULK_RETRIES:
                    raise
                time.sleep(2 ** attempt)  # circuit breaker or full queue: give the engine time
        if answer.get("errors"):
            for item in answer["items"]:
                op, result = next(iter(item.items()))
                if result.get("error") and not (op == "delete" and result.get("status") == 404):
                    raise EngineError(result.get("status", 500), result["error"])
        return len(entries)

    def index_many(self, docs: Iterable[SearchDocument]) -> int:
        """Add or replace documents in the live index; searchable when this returns."""
        docs = list(docs)
        if not docs:
            return 0
        self.ensure_index()
        return self._send([index_lines(self.alias, doc) for doc in docs], self.refresh)

    def delete_many(self, ids: Iterable[int]) -> int:
        """Remove documents by id (missing ids are ignored)."""
        ids = list(ids)
        if ids:
            self.ensure_index()
            entries = [json.dumps({"delete": {"_index": self.alias, "_id": str(i)}}) + "\n" for i in ids]
            self._send(entries, self.refresh)
        return len(ids)

    def locked(self, wait: bool = True):
        """Writer lock for outbox drains and rebuilds (processes on this machine; the outbox adds
        a database lock across machines); wait=False raises IndexBusy at once when it is held."""
        return self._lock.held(wait)

    def cleanup(self) -> list[str]:
        """Delete indices of ours that the alias does not point to: leftovers of killed rebuilds.

        Only while nobody holds the writer lock (a rebuild in progress holds it); busy → nothing.
        """
        try:
            with self.locked(wait=False):
                names = sorted(self.client.request("GET", f"/{self.alias}-*", params={"expand_wildcards": "open"}))
                orphans = [n for n in names if n not in set(self.live_indices())]
                for name in orphans:
                    self._delete_quietly(name)
                return orphans
        except IndexBusy:
            return []

    # ---- reading ---------------------------------------------------------------------------
    def _search(self, body: dict) -> dict:
        """POST a search to the alias; the alias is checked once, not before every search."""
        if not self._alias_seen:
            self.ensure_index()
            self._alias_seen = True
        try:
            return self.client.request("POST", f"/{self.alias}/_search", body)
        except EngineError as exc:
            if exc.status != 404 or not exc.info or "index_not_found" not in str(exc.info):
                raise
            self.ensure_index()  # the alias went away (deleted by hand): recreate it, then ask again
            return self.client.request("POST", f"/{self.alias}/_search", body)

    def search(self, request: SearchRequest) -> SearchResult:
        """Count (exact), page of ids in order, facet counts over the same query."""
        common = self._common_terms(request.query)
        body = {
            "query": build_query(request, common),
            "sort": sort_order(request),
            "from": (request.page - 1) * request.per_page,
            "size": request.per_page,
            "track_total_hits": True,
            "_source": False,
            "timeout": f"{self.time_budget_ms}ms",  # the engine stops collecting after this
        }
        if request.with_facets:
            body["aggs"] = facet_aggregations()
        try:
            answer = self._search(body)
        except EngineError as exc:  # our request refused (a bug or a cluster setting): logged, not a 500
            raise SearchUnavailable(f"engine refused the search: {exc}") from exc
        if answer.get("timed_out"):  # partial counts are worse than a clear answer
            raise QueryTooExpensive(f"search ran past its {self.time_budget_ms} ms budget")
        total = answer["hits"]["total"]["value"]
        ids = [int(hit["_id"]) for hit in answer["hits"]["hits"]]
        facets = {}
        if request.with_facets and total:
            facets = {name: [(b["key"], b["doc_count"]) for b in answer["aggregations"][name]["buckets"]]
                      for name in FACETS}
        return SearchResult(total=total, ids=ids, facets=facets, ignored=_in_order(request.query, common))

    def _common_terms(self, query: ParsedQuery) -> set[str]:
        """Free terms in more than COMMON_SHARE of documents, left out while a rarer term remains."""
        terms = query.terms + query.synonyms
        if len(terms) < 2:
            return set()
        aggs = {f"t{i}": {"filter": term_clause(t, weighted=False)} for i, t in enumerate(terms)}
        answer = self._search({"size": 0, "track_total_hits": True, "aggs": aggs})
        total = answer["hits"]["total"]["value"]
        if total < COMMON_MIN_DOCS:
            return set()
        common = {t for i, t in enumerate(terms) if answer["aggregations"][f"t{i}"]["doc_count"] > COMMON_SHARE * total}
        return common if len(common) < len(terms) else set()

    def similar(self, doc_id: int, limit: int = 5) -> list[int]:
        """Ids of the documents most like `doc_id` (the engine's more_like_this on its content)."""
        query = {"more_like_this": {
            "fields": list(SIMILAR_FIELDS), "like": [{"_index": self.alias, "_id": str(doc_id)}],
            "min_term_freq": 1, "min_doc_freq": 2, "max_query_terms": 25, "minimum_should_match": "1",
        }}
        try:
            answer = self._search({"query": query, "size": limit, "_source": False})
        except EngineError as exc:
            if exc.status == 404:
                return []
            raise
        return [int(hit["_id"]) for hit in answer["hits"]["hits"] if hit["_id"] != str(doc_id)]

    def count(self) -> int:
        """Documents in the live index (searchable ones)."""
        self.ensure_index()
        return self.client.request("GET", f"/{self.alias}/_count")["count"]

    def analysis_version(self) -> str | None:
        """The analysis version recorded in the live index's mapping."""
        self.ensure_index()
        answer = self.client.request("GET", f"/{self.alias}/_mapping")
        meta = next(iter(answer.values()))["mappings"].get("_meta", {})
        return meta.get("analysis")

    def generation(self) -> tuple:
        """Changes when the searchable content does: live index, document count, newest sequence number."""
        answer = self._search({"size": 1, "sort": [{"_seq_no": "desc"}], "seq_no_primary_term": True,
                               "track_total_hits": True, "_source": False})
        hits = answer["hits"]["hits"]
        return (hits[0]["_index"] if hits else None, answer["hits"]["total"]["value"],
                hits[0]["_seq_no"] if hits else None)

    def health(self) -> dict:
        """Engine and alias state for /healthz."""
        try:
            cluster = self.client.request("GET", "/_cluster/health")
            indices = self.live_indices()
            built_with = self.analysis_version() if indices else None
            return {"ok": cluster["status"] != "red" and bool(indices), "backend": "engine",
                    "cluster": cluster["status"], "nodes": cluster["number_of_nodes"], "alias": self.alias,
                    "index": indices[0] if indices else None, "documents": self.count() if indices else 0,
                    "analysis": built_with, "analysis_current": built_with == analysis_version()}
        except (SearchUnavailable, EngineError) as exc:
            return {"ok": False, "backend": "engine", "error": str(exc)[:200]}
