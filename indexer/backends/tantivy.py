"""Embedded search engine: tantivy (Rust, in-process) over pre-segmented text, no service to run.

Layout of the index directory:
    CURRENT              name of the live index directory
    index-<stamp>/       a tantivy index, plus STAMP.json (analysis version, schema version)
    lock                 flock()ed by every writer, so drains and rebuilds never interleave
A rebuild writes a new directory beside the live one and swaps CURRENT (os.replace is atomic),
then deletes the old one. A directory that is not named by CURRENT is never searched, so a
rebuild killed half-way leaves an orphan that cleanup() deletes, never a half-built live index;
a killed drain leaves nothing visible either, since a tantivy commit is atomic (meta.json
replaced by rename). Readers look at CURRENT and the live meta.json (two stat calls) before each
search and reopen or reload when either changed, so other processes see new commits at once.

Analysis: text arrives normalised and segmented by indexer.analysis (index_text: space-separated
jieba tokens with their sub-words), so the engine only splits it (see WORDS). The normalised
original text is also indexed character by character (`chars`), where a phrase query is an
exact substring test: quoted phrases are checked there, and an exclusion excludes every case
whose text contains it, however the case's text was segmented.

Queries are built from tantivy Query objects (term, phrase, boolean); no user text ever goes
through tantivy's query parser.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from datetime import date
from pathlib import Path

import tantivy
from cachetools import LRUCache
from tantivy import Occur, Query

from indexer.analysis import analysis_version
from indexer.backends.base import (
    Boost,
    IndexBusy,
    QueryTooExpensive,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
)
from indexer.backends.locking import FileLock
from indexer.documents import FACETS, FIELD_WEIGHTS, FIELDS, FILTER_ONLY, SearchDocument
from indexer.query import ParsedQuery

SCHEMA_VERSION = "1"
STAMP = "STAMP.json"
PREFIX = "index-"
FACET_LIMIT = 200
FACET_BUCKETS = 10_000  # values asked of the engine per facet before ordering: exact up to this many
WRITER_HEAP = 64_000_000
REBUILD_HEAP = 256_000_000
COMMIT_EVERY = 20_000  # documents per commit while rebuilding (bounded memory)

# ---- ranking (kept in one place; issue 14 tunes it) -----------------------------------------
# FTS5's bm25() saturated the FIELD_WEIGHTS-weighted sum of a term's counts in all columns once,
# and normalised by the unweighted length of the whole document. The same here on one field,
# `all`: each field's text is repeated by its weight (rounded), so the engine's term frequency
# is the weighted sum; and a padding token that no query can contain brings the field's length
# to LENGTH_SCALE × the unweighted length, so the length normalisation is FTS5's (2 × covers
# 99 % of the seed cases, where the weighted length is at most 1.87 × the unweighted one).
# Fields weighted below 1 (`rest`, the remainder of long judgments, 0.1) are matched but not
# scored: on the dev set, scoring them at all lowered nDCG@10 (bench/relevance.py).
# Measured: docs/benchmarks.md (tantivy section).
REPEAT = {name: round(weight) for name, weight in FIELD_WEIGHTS.items() if weight >= 1}
MATCH_ONLY = tuple(name for name in FIELDS if name not in REPEAT)
LENGTH_SCALE = 2.0
PAD = "ꙮ"  # a letter no query term can be (query terms need a word-like character; analyze_term drops it)
COMMON_SHARE = 0.2  # a free term in more than this share of documents adds matches, not ranking
COMMON_MIN_DOCS = 1000  # below this, every query is cheap: keep every term

SIMILAR_FIELDS = ("title", "keywords", "holding", "body")
SIMILAR_FIELD_BOOST = (3, 2, 2, 1)
SIMILAR_TERMS = 25
SIMILAR_CANDIDATES = 80  # most frequent terms of a document, kept for similar() and weighed by idf then
SIMILAR_CACHE_SIZE = 4096
FACET_CACHE_SIZE = 512
COMMON_CACHE_SIZE = 8192  # terms: whether one is common changes only with the index
TIE_SLACK = 64  # results fetched past the page, so that ties at its end are usually settled in one search

_DAY_SHIFT = 2 ** 40  # date_key = day ordinal × 2**40 + id: one fast field sorts by (date, id)


def facet_field(name: str) -> str:
    """The raw (untokenized) field holding a facet's or filter's values."""
    return f"facet_{name}"


def build_schema() -> tantivy.Schema:
    """One schema for every index this backend writes."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", indexed=True, fast=True)
    builder.add_integer_field("date_key", indexed=True, fast=True)
    # Term frequencies only: BM25 needs no positions, and phrases are checked on `chars`.
    builder.add_text_field("all", tokenizer_name="words", index_option="freq")
    builder.add_text_field("match_only", tokenizer_name="words", index_option="basic")
    builder.add_text_field("chars", tokenizer_name="chars", index_option="position")
    for name in FACETS:
        builder.add_text_field(facet_field(name), tokenizer_name="raw", fast=True, index_option="basic")
    for name in FILTER_ONLY:
        builder.add_text_field(facet_field(name), tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("similar", stored=True)
    return builder.build()


SCHEMA = build_schema()
# Text arrives normalised (lower-cased, full-width folded) by indexer.analysis, on both sides, so
# no filter is needed. `simple` splits at every character that is not a letter or digit, as
# SQLite's unicode61 did (3.5 → 3, 5); the OpenSearch `words` analyzer splits at punctuation and
# spaces, which differs only for symbols inside a jieba token (c++). A regex tokenizer with the
# OpenSearch pattern was 3× slower to index.
WORDS = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()
# `chars` gets the text as single characters separated by spaces (a space itself as SPACE, any
# other whitespace as BREAK), so a phrase query there is an exact substring test (a regex
# tokenizer emitting every character was 5× slower).
CHARS = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
SPACE, BREAK = "\ue001", "\ue002"
_WHITESPACE = re.compile(r"\s")


def char_tokens(text: str) -> str:
    """Normalised text as the `chars` field takes it: every character a token."""
    return " ".join(_WHITESPACE.sub(BREAK, text.replace(" ", SPACE)))


def _register(index: tantivy.Index) -> tantivy.Index:
    """Tokenizers live in the process, not in the index: register them on every open."""
    index.register_tokenizer("words", WORDS)
    index.register_tokenizer("chars", CHARS)
    return index


def date_key(doc: SearchDocument) -> int:
    """Sort key: newest first, then highest id; documents without a date sort last."""
    day = date.fromisoformat(doc.sort_date).toordinal() if doc.sort_date else 0
    if not 0 <= doc.id < _DAY_SHIFT:
        raise ValueError(f"document id {doc.id} outside the sortable range")
    return day * _DAY_SHIFT + doc.id


def _token_count(text: str) -> int:
    """Tokens in pre-segmented text (single spaces between tokens)."""
    return text.count(" ") + 1 if text else 0


def add_weighted(out: tantivy.Document, field: str, parts: Iterable[tuple[str, int]], unscored_tokens: int = 0) -> None:
    """Fill `field` with each (pre-segmented text, weight) repeated `weight` times, then pad it to
    LENGTH_SCALE × the unweighted length (plus `unscored_tokens` kept in other fields)."""
    weighted, plain = 0, unscored_tokens
    for text, repeat in parts:
        if text:
            tokens = _token_count(text)
            plain += tokens
            weighted += repeat * tokens
            for _ in range(repeat):
                out.add_text(field, text)
    padding = round(LENGTH_SCALE * plain) - weighted
    if padding > 0:
        out.add_text(field, (PAD + " ") * padding)


def similar_terms(doc: SearchDocument) -> list[tuple[str, int]]:
    """The document's most frequent terms (counted SIMILAR_FIELD_BOOST times per field) with their counts."""
    tokens: list[str] = []
    for boost, name in zip(SIMILAR_FIELD_BOOST, SIMILAR_FIELDS):
        tokens += doc.fields.get(name, "").split() * boost
    kept: list[tuple[str, int]] = []
    for term, count in Counter(tokens).most_common():  # sorted in C; ties keep the order of first use
        if len(term) >= 2 and not term.isdigit():
            kept.append((term, count))
            if len(kept) == SIMILAR_CANDIDATES:
                break
    return kept


def to_document(doc: SearchDocument) -> tantivy.Document:
    """The tantivy document for a search document."""
    out = tantivy.Document()
    out.add_integer("id", doc.id)
    out.add_integer("date_key", date_key(doc))
    add_weighted(out, "all", ((doc.fields.get(name, ""), repeat) for name, repeat in REPEAT.items()),
                 unscored_tokens=sum(_token_count(doc.fields.get(name, "")) for name in MATCH_ONLY))
    for name in MATCH_ONLY:
        if doc.fields.get(name):
            out.add_text("match_only", doc.fields[name])
    out.add_text("chars", char_tokens(doc.text))
    for name in FACETS + FILTER_ONLY:
        for value in dict.fromkeys(doc.facets.get(name, [])):  # distinct: counts are documents
            out.add_text(facet_field(name), value)
    out.add_bytes("similar", "\n".join(f"{t} {n}" for t, n in similar_terms(doc)).encode())
    return out


# ---- query building: every value is a term, never query syntax ----------------------------------
def analyze_term(text: str) -> list[str]:
    """Tokens of a term as the index holds them (a term like 3.5 is two tokens)."""
    return [t for t in WORDS.analyze(text) if t != PAD]


def _all_of(field: str, tokens: list[str]) -> Query:
    """Every token in `field` (one term query for the usual single token)."""
    if len(tokens) == 1:
        return Query.term_query(SCHEMA, field, tokens[0])
    return Query.boolean_query([(Occur.Must, Query.term_query(SCHEMA, field, t)) for t in tokens])


def _unscored(query: Query) -> Query:
    return Query.const_score_query(query, 0.0)


def substring(text: str) -> Query:
    """Documents whose normalised text contains `text` exactly."""
    chars: list[str | tuple[int, str]] = list(char_tokens(text)[::2])
    if len(chars) == 1:
        return Query.term_query(SCHEMA, "chars", chars[0])
    return Query.phrase_query(SCHEMA, "chars", chars)


def term_clause(term: str, weight: float = 1.0) -> Query:
    """A term anywhere in the document, scored by BM25 on `all` (× weight); match-only fields add no score.

    A term the tokenizer splits (3.5) must also occur as exact text.
    """
    tokens = analyze_term(term)
    if not tokens:
        return Query.empty_query()
    scored = _all_of("all", tokens)
    if weight != 1.0:
        scored = Query.boost_query(scored, weight)
    clause = Query.boolean_query([(Occur.Should, scored), (Occur.Should, _unscored(_all_of("match_only", tokens)))])
    if len(tokens) > 1:
        clause = Query.boolean_query([(Occur.Must, clause), (Occur.Must, _unscored(substring(term)))])
    return clause


def boost_clause(boost: Boost) -> Query:
    """Documents with one of the boost's values, each scored exactly `boost.weight`."""
    if boost.field == "id":
        ids = [int(v) for v in boost.values]
        matches = Query.boolean_query([(Occur.Should, Query.term_query(SCHEMA, "id", i)) for i in ids])
    else:
        matches = Query.term_set_query(SCHEMA, facet_field(boost.field), list(boost.values))
    return Query.const_score_query(matches, boost.weight)


def scored_terms(query: ParsedQuery) -> list[str]:
    """Every term that counts towards the score: free terms, synonyms and the tokens of phrases."""
    return list(dict.fromkeys(query.terms + query.synonyms + [t for p in query.phrases for t in p.tokens]))


def build_query(request: SearchRequest, common: AbstractSet[str] = frozenset()) -> Query:
    """The query for a request: OR of free terms (each × its weight), required phrases, exclusions, filters."""
    query: ParsedQuery = request.query
    weights = query.weights
    clauses: list[tuple[Occur, Query]] = []
    free = [(Occur.Should, term_clause(t, weights.get(t, 1.0)))
            for t in query.terms + query.synonyms if t not in common]
    # Boosted documents join the free terms' alternatives (they match without a free term); with
    # phrases only, they score without matching; browsing (nothing positive asked for) is unboosted.
    active = [b for b in request.boosts if b.values] if not query.is_empty else []
    boosts = [(Occur.Should, boost_clause(b)) for b in active if b.matching]
    if free:
        clauses.append((Occur.Must, Query.boolean_query(free + boosts)))
    else:
        clauses += boosts
    scoring_only = [(Occur.Should, boost_clause(b)) for b in active if not b.matching]
    for phrase in query.phrases:
        clauses += [(Occur.Must, term_clause(t, weights.get(t, 1.0))) for t in phrase.tokens]
        if len(phrase.tokens) > 1:
            clauses.append((Occur.Must, _unscored(substring(phrase.text))))
    for phrase in query.excluded:  # every case containing the text, however it was segmented there
        clauses.append((Occur.MustNot, substring(phrase.text)))
    for name, values in sorted(request.filters.items()):
        if values:
            clauses.append((Occur.Must, _unscored(Query.term_set_query(SCHEMA, facet_field(name), list(values)))))
    if not any(occur == Occur.Must for occur, _ in clauses):
        clauses.append((Occur.Must, Query.all_query()))
    return Query.boolean_query(clauses + scoring_only)  # beside a Must, a Should only adds to the score


# ---- a directory of indexes with a CURRENT pointer -----------------------------------------------
class _Live:
    """One opened live index: its directory name, the tantivy index and the meta.json it was read at."""

    def __init__(self, name: str, index: tantivy.Index, meta: tuple):
        self.name, self.index, self.meta = name, index, meta


class IndexDirectory:
    """Tantivy indexes side by side in one directory; CURRENT names the live one.

    New indexes are built beside the live one and made live by replacing CURRENT (atomic);
    readers notice a new CURRENT or a new commit (meta.json replaced) by two stat calls.
    """

    def __init__(self, path: str | os.PathLike, schema: tantivy.Schema, schema_version: str):
        self.path = Path(path)
        self.schema = schema
        self.schema_version = schema_version
        self._open_lock = threading.Lock()
        self._live: _Live | None = None
        self._current: tuple[tuple, str | None] | None = None  # (stat of CURRENT, its content)

    def current_name(self) -> str | None:
        """Name of the live index directory, or None if there is none (never built, or a legacy file)."""
        try:
            st = os.stat(self.path / "CURRENT")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SearchUnavailable(f"index directory unusable: {exc}") from exc
        signature = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._current and self._current[0] == signature:
            return self._current[1]
        try:
            name = (self.path / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SearchUnavailable(f"index directory unusable: {exc}") from exc
        if name and (self.path / name).is_file():
            name = None  # the FTS5 index file this engine replaced: treated as no index, so it is rebuilt
        self._current = (signature, name)
        return name

    def _meta_signature(self, name: str) -> tuple:
        """Changes with every commit: tantivy replaces meta.json by rename."""
        try:
            st = os.stat(self.path / name / "meta.json")
        except OSError as exc:
            raise SearchUnavailable(f"index {name} is missing: {exc}") from exc
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _live_state(self) -> tuple[str, tuple] | None:
        """(live directory name, its meta.json signature), or None when there is no live index."""
        for attempt in range(3):
            name = self.current_name()
            if name is None:
                return None
            try:
                return name, self._meta_signature(name)
            except SearchUnavailable:
                if attempt == 2 or self.current_name() == name:
                    raise
                # a rebuild swapped CURRENT and deleted `name` between our two reads: read again
        raise SearchUnavailable("no live index")

    def live(self) -> _Live | None:
        """The live index, reopened after a swap and reloaded after a commit (by any process)."""
        state = self._live_state()
        if state is None:
            return None
        name, meta = state
        live = self._live
        if live and live.name == name and live.meta == meta:
            return live
        with self._open_lock:
            live = self._live
            if live and live.name == name:
                if live.meta != meta:
                    live.index.reload()
                    live.meta = meta
                return live
            try:
                index = _register(tantivy.Index.open(str(self.path / name)))
                index.config_reader("Manual")
            except ValueError as exc:
                raise SearchUnavailable(f"cannot open index {name}: {exc}") from exc
            self._live = _Live(name, index, meta)
            return self._live

    def forget(self) -> None:
        """Drop the open index (the next call reopens it)."""
        with self._open_lock:
            self._live = None

    def new_index(self) -> tuple[str, tantivy.Index]:
        """Create a new, empty index directory (not yet live), stamped with the analysis version."""
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{PREFIX}{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}"
        path = self.path / name
        path.mkdir()
        (path / STAMP).write_text(json.dumps({"analysis": analysis_version(), "schema": self.schema_version}))
        return name, _register(tantivy.Index(self.schema, path=str(path)))

    def discard(self, name: str) -> None:
        """Delete an index directory that never became live."""
        shutil.rmtree(self.path / name, ignore_errors=True)

    def make_live(self, name: str) -> None:
        """Point CURRENT at `name` atomically, then delete the index it replaces."""
        old = self.current_name()
        tmp = self.path / f"CURRENT.{os.getpid()}.tmp"
        with open(tmp, "w") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path / "CURRENT")
        _fsync_dir(self.path)
        if old and old != name:
            # Readers in other processes keep their open files (mmap) until they reopen.
            shutil.rmtree(self.path / old, ignore_errors=True)

    def create_empty(self) -> None:
        """Make an empty index live."""
        name, index = self.new_index()
        writer = index.writer(WRITER_HEAP, 1)
        writer.commit()
        writer.wait_merging_threads()
        self.make_live(name)

    def stamp(self) -> dict:
        """What the live index was built with ({} if unknown)."""
        live = self.live()
        try:
            return json.loads((self.path / live.name / STAMP).read_text()) if live else {}
        except (OSError, ValueError):
            return {}

    def remove_leftovers(self) -> list[str]:
        """Delete every index and temporary file here that is not live (call only with writers excluded)."""
        live = self.current_name()
        leftovers = sorted(p.name for p in self.path.glob(f"{PREFIX}*") if p.name != live)
        leftovers += sorted(p.name for p in self.path.glob("CURRENT.*.tmp"))
        for name in leftovers:
            path = self.path / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return leftovers


# ---- the backend ---------------------------------------------------------------------------------
class TantivyBackend:
    """SearchBackend on tantivy indexes in one directory (see the module docstring for the layout)."""

    def __init__(self, directory: str | os.PathLike, lock_timeout: float = 30.0, time_budget_ms: int = 500):
        self.directory = Path(directory)
        self.time_budget_ms = time_budget_ms
        self._indexes = IndexDirectory(self.directory, SCHEMA, SCHEMA_VERSION)
        self._lock = FileLock(self.directory / "lock", lock_timeout)
        self._similar_cache: dict[tuple, list[int]] = {}
        self._facet_cache: dict[tuple, tuple[int, dict]] = {}
        self._common_cache: LRUCache = LRUCache(maxsize=COMMON_CACHE_SIZE)  # (index, term) → is common

    def _reader(self) -> _Live:
        """The live index; an empty one is created on first use (or over a legacy index)."""
        live = self._indexes.live()
        if live is None:
            with self.locked():
                if self._indexes.current_name() is None:
                    self._indexes.create_empty()
            live = self._indexes.live()
        if live is None:
            raise SearchUnavailable("no live index")
        return live

    def close(self) -> None:
        """Forget the open index (the next search reopens it)."""
        self._indexes.forget()

    def locked(self, wait: bool = True):
        """Hold the writer lock (re-entrant per thread); wait=False raises IndexBusy if it is held elsewhere."""
        return self._lock.held(wait)

    def analysis_version(self) -> str | None:
        """The analysis version the live index was built with."""
        self._reader()
        return self._indexes.stamp().get("analysis")

    def cleanup(self) -> list[str]:
        """Delete index directories left by killed rebuilds; skip (and return []) while a writer works."""
        try:
            with self.locked(wait=False):
                return self._indexes.remove_leftovers()
        except IndexBusy:
            return []

    # ---- writing ---------------------------------------------------------------------------
    def _write(self, apply: Callable[[tantivy.IndexWriter], None]) -> None:
        """Open a writer on the live index, apply, commit, merge; readers here see it at once."""
        with self.locked():
            live = self._reader()  # after taking the lock: a rebuild may have swapped the index
            try:
                writer = live.index.writer(WRITER_HEAP, 1)
            except ValueError as exc:  # another writer holds tantivy's own lock (outside our file lock)
                raise SearchUnavailable(f"index writer unavailable: {exc}") from exc
            try:
                apply(writer)
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()  # merge the small segments drains make, then release the lock
        self._reader()  # reload now: the next search in this process sees the commit

    def index_many(self, docs: Iterable[SearchDocument]) -> int:
        """Add or replace documents in the live index, in one commit."""
        docs = list(docs)
        if not docs:
            return 0

        def apply(writer) -> None:
            for doc in docs:
                writer.delete_documents_by_term("id", doc.id)
                writer.add_document(to_document(doc))

        self._write(apply)
        return len(docs)

    def delete_many(self, ids: Iterable[int]) -> int:
        """Remove documents by case id (missing ids are ignored), in one commit."""
        ids = list(ids)

        def apply(writer) -> None:
            for doc_id in ids:
                writer.delete_documents_by_term("id", doc_id)

        if ids:
            self._write(apply)
        return len(ids)

    def rebuild(self, docs: Iterable[SearchDocument], progress: Callable[[int], None] | None = None) -> int:
        """Build a new index directory from `docs`, then swap it in.

        Under the writer lock (callers normally hold it already, with the outbox's database lock):
        cleanup() must never take a directory that is being filled for a leftover.
        """
        with self.locked():
            return self._rebuild(docs, progress)

    def _rebuild(self, docs: Iterable[SearchDocument], progress: Callable[[int], None] | None) -> int:
        name, index = self._indexes.new_index()
        writer = None
        try:
            writer = index.writer(REBUILD_HEAP, 1)
            count = 0
            for doc in docs:
                writer.add_document(to_document(doc))
                count += 1
                if count % COMMIT_EVERY == 0:
                    writer.commit()
                if progress and count % 500 == 0:
                    progress(500)
            writer.commit()
            writer.wait_merging_threads()
            if progress and count % 500:
                progress(count % 500)
        except BaseException:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.rollback()  # stop writing before the directory goes
                    writer.wait_merging_threads()
            self._indexes.discard(name)
            raise
        self._indexes.make_live(name)
        return count

    # ---- reading ---------------------------------------------------------------------------
    def count(self) -> int:
        """Number of documents in the live index."""
        return self._reader().index.searcher().num_docs

    def generation(self) -> tuple:
        """Changes whenever the live index does (a commit, or a swap to a rebuilt index)."""
        live = self._reader()
        return (live.name, live.meta)

    def health(self) -> dict:
        """Engine state: ok, backend name, live index, document count, analysis version."""
        try:
            built_with = self.analysis_version()
            return {"ok": True, "backend": "embedded", "index": self._reader().name, "documents": self.count(),
                    "analysis": built_with, "analysis_current": built_with == analysis_version()}
        except (SearchUnavailable, ValueError, OSError) as exc:
            return {"ok": False, "backend": "embedded", "error": f"{type(exc).__name__}: {exc}"[:200]}

    def search(self, request: SearchRequest) -> SearchResult:
        """Exact total, the page of ids in order, and facet counts over the same query.

        The time budget is checked between the engine's steps (a tantivy call cannot be interrupted;
        the slowest single step measured at 100,000 cases is in docs/benchmarks.md).
        """
        deadline = time.monotonic() + self.time_budget_ms / 1000
        live = self._reader()
        searcher = live.index.searcher()
        try:
            common = self._common_terms(live, searcher, request.query)
            query = build_query(request, common)
            offset = (request.page - 1) * request.per_page
            if request.query.is_empty:
                ids = _by_key(searcher, query, offset, request.per_page)
            elif request.sort == "relevance":
                ids = _by_score(searcher, query, offset, request.per_page)
            else:
                ids = _by_date_then_score(searcher, query, offset, request.per_page)
            self._within(deadline)
            if request.with_facets:
                total, facets = self._facets(live, searcher, query, request)
            else:
                total, facets = _doc_count(searcher, query), {}
        except ValueError as exc:  # tantivy refused our query: a bug, answered as unavailable, not a 500
            raise SearchUnavailable(f"engine refused the search: {exc}") from exc
        self._within(deadline)
        ignored = [t for t in dict.fromkeys(request.query.terms + request.query.synonyms) if t in common]
        return SearchResult(total=total, ids=ids, facets=facets if total else {}, ignored=ignored)

    def _within(self, deadline: float) -> None:
        """Stop a search that has used up its time budget (QueryTooExpensive: a 503 in Chinese)."""
        if time.monotonic() > deadline:
            raise QueryTooExpensive(f"search ran past its {self.time_budget_ms} ms budget")

    def _facets(self, live: _Live, searcher, query: Query, request: SearchRequest) -> tuple[int, dict]:
        """(total, facet counts), cached per index generation: paging and repeated browsing reuse them."""
        q = request.query
        key = (live.name, live.meta, tuple(q.terms), tuple(q.synonyms), tuple(q.phrases), tuple(q.excluded),
               tuple(sorted((k, tuple(v)) for k, v in request.filters.items() if v)), tuple(request.boosts))
        if key not in self._facet_cache:
            if len(self._facet_cache) >= FACET_CACHE_SIZE:
                self._facet_cache.clear()
            self._facet_cache[key] = facet_counts(searcher, query)
        return self._facet_cache[key]

    def _common_terms(self, live: _Live, searcher, query: ParsedQuery) -> set[str]:
        """Free terms so common that OR-ing them in would match most of the index (公司, 法院 …).

        BM25 gives such terms almost no weight, but each would pull a large share of all cases into
        the count, ranking and facets. They are left out when a rarer term remains.
        """
        terms = query.terms + query.synonyms
        total = searcher.num_docs
        if len(terms) < 2 or total < COMMON_MIN_DOCS:
            return set()
        threshold = COMMON_SHARE * total
        common = set()
        for term in terms:
            key = (live.name, live.meta, term)  # counting a common term's matches costs up to 6 ms at 100k
            if key not in self._common_cache:
                self._common_cache[key] = (_may_exceed(searcher, term, threshold)
                                           and _doc_count(searcher, term_clause(term)) > threshold)
            if self._common_cache[key]:
                common.add(term)
        return common if len(common) < len(terms) else set()

    def similar(self, doc_id: int, limit: int = 5) -> list[int]:
        """Ids of the documents most like `doc_id`: its most distinctive terms, ranked like a search.

        Terms come from the title, keywords, holding and the opening of the body (facts); each
        scores tf × idf, with field multipliers, over terms in at least two documents.
        """
        live = self._reader()
        key = (live.name, live.meta, doc_id, limit)  # answers change only when the index does
        if key not in self._similar_cache:
            searcher = live.index.searcher()
            self_query = Query.term_query(SCHEMA, "id", doc_id)
            hits = searcher.search(self_query, 1, count=False).hits
            terms = _distinctive_terms(searcher, searcher.doc(hits[0][1])) if hits else []
            ids: list[int] = []
            if terms:
                query = Query.boolean_query([(Occur.Should, term_clause(t)) for t in terms]
                                            + [(Occur.MustNot, self_query)])
                ids = _by_score(searcher, query, 0, limit)
            if len(self._similar_cache) >= SIMILAR_CACHE_SIZE:
                self._similar_cache.clear()
            self._similar_cache[key] = ids
        return list(self._similar_cache[key])


# ---- search helpers --------------------------------------------------------------------------------
def _may_exceed(searcher, term: str, threshold: float) -> bool:
    """False when the term is surely in at most `threshold` documents (most terms), from the term
    dictionaries alone: a document frequency counts deleted documents too, so it is an upper bound."""
    tokens = analyze_term(term)
    upper = min((searcher.doc_freq("all", t) + searcher.doc_freq("match_only", t) for t in tokens), default=0)
    return upper > threshold


def _doc_count(searcher, query: Query) -> int:
    return searcher.search(query, 1, count=True).count


def _by_key(searcher, query: Query, offset: int, size: int) -> list[int]:
    """A page in date_key order (newest first, then highest id): exact, one pass."""
    hits = searcher.search(query, size, count=False, order_by_field="date_key", offset=offset).hits
    return [key % _DAY_SHIFT for key, _ in hits]


def _top_scored(searcher, query: Query, k: int) -> list[tuple[float, int]]:
    """The best k (score, date_key) by score, newest then highest id first among equal scores.

    The engine breaks ties its own way, so fetch past k until the score drops: then every
    document tied with the k-th is among those fetched and the tie-breaker decides exactly.
    """
    if k <= 0:
        return []
    limit = k + TIE_SLACK  # near-copies of one case tie often: fetching a few more is cheaper than asking again
    while True:
        hits = searcher.search(query, limit, count=False).hits
        if len(hits) < limit or hits[-1][0] != hits[k - 1][0]:
            break
        limit *= 2
    keys = searcher.fast_field_values("date_key", [address for _, address in hits])
    ranked = sorted(zip((score for score, _ in hits), keys), key=lambda pair: (-pair[0], -pair[1]))
    return ranked[:k]


def _by_score(searcher, query: Query, offset: int, size: int) -> list[int]:
    """A page by relevance, ties newest first, then highest id."""
    return [key % _DAY_SHIFT for _, key in _top_scored(searcher, query, offset + size)[offset:]]


def _by_date_then_score(searcher, query: Query, offset: int, size: int) -> list[int]:
    """A page newest first, by relevance within a day, then highest id.

    date_key order gives the first offset+size documents and so the page's days. Every day but
    the oldest is wholly among them, so one scored search over those days ranks them all; the
    oldest day may go on past the page, so it is ranked on its own, only as deep as the page
    reaches. Two engine calls, however many days a page spans (one per day cost 37 ms at 100k).
    """
    end = offset + size
    keys = [key for key, _ in searcher.search(query, end, count=False, order_by_field="date_key").hits]
    if len(keys) <= offset:
        return []
    days = list(dict.fromkeys(key // _DAY_SHIFT for key in keys))  # newest first
    oldest = days[-1]
    ranked: list[tuple[float, int]] = []
    whole = [key for key in keys if key // _DAY_SHIFT != oldest]
    if whole:
        ranked += _top_scored(searcher, _within_days(query, oldest + 1, days[0] + 1), len(whole))
    ranked += _top_scored(searcher, _within_days(query, oldest, oldest + 1), end - len(whole))
    ordered = sorted(ranked, key=lambda pair: (-(pair[1] // _DAY_SHIFT), -pair[0], -pair[1]))
    return [key % _DAY_SHIFT for _, key in ordered[offset:end]]


def _within_days(query: Query, first_day: int, stop_day: int) -> Query:
    """The query restricted to documents dated in [first_day, stop_day)."""
    days = Query.range_query(SCHEMA, "date_key", tantivy.FieldType.Integer, first_day * _DAY_SHIFT,
                             stop_day * _DAY_SHIFT, include_upper=False)
    return Query.boolean_query([(Occur.Must, query), (Occur.Must, days)])


def facet_counts(searcher, query: Query) -> tuple[int, dict]:
    """(total, counts of every facet value over the matching documents, largest first then value)."""
    aggs = {name: {"terms": {"field": facet_field(name), "size": FACET_BUCKETS, "segment_size": FACET_BUCKETS}}
            for name in FACETS}
    aggs["_total"] = {"value_count": {"field": "id"}}
    answer = searcher.aggregate(query, aggs)
    facets = {}
    for name in FACETS:
        buckets = sorted(((b["key"], b["doc_count"]) for b in answer[name]["buckets"]),
                         key=lambda pair: (-pair[1], pair[0]))
        facets[name] = buckets[:FACET_LIMIT]
    return int(answer["_total"]["value"] or 0), facets


def _distinctive_terms(searcher, stored: tantivy.Document) -> list[str]:
    """The SIMILAR_TERMS highest tf·idf terms among a document's stored candidates."""
    raw = stored.get_first("similar")
    if not raw:
        return []
    total = searcher.num_docs
    scored = []
    for line in bytes(raw).decode().splitlines():
        term, tf = line.rsplit(" ", 1)
        df = searcher.doc_freq("all", term)
        if 2 <= df < total:
            scored.append((int(tf) * math.log(total / df), term))
    return [t for _, t in sorted(scored, reverse=True)[:SIMILAR_TERMS]]


def _fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
