"""Article search for lay questions (问法条): a tantivy index of the current articles of every law.

Same analysis chain as case search (fine-grained index tokens, accurate query tokens, legal
dictionary, stop words, synonyms) and the same ranking: BM25 over one field holding the law
title and chapter twice and the article text once (WEIGHTS, measured on STARD: bench/stard_eval.py),
normalised by the article's unweighted length. The index lives in `articles/` beside the case
index, with its own CURRENT pointer, and is rebuilt whole after `flask laws import` (laws
change rarely; a rebuild takes seconds): a new index beside the live one, then a swap.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from indexer.analysis import index_text
from indexer.backends.base import IndexBusy
from indexer.backends.locking import FileLock
from indexer.backends.tantivy import REBUILD_HEAP, IndexDirectory, add_weighted, analyze_term
from indexer.query import parse_query

DIRECTORY = "articles"
LEGACY_FILE = "articles.sqlite3"  # the FTS5 index this one replaced
SCHEMA_VERSION = "1"
WEIGHTS = (2, 2, 1)  # law title, chapter, article text


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", indexed=True, fast=True)
    builder.add_text_field("all", tokenizer_name="words", index_option="freq")
    return builder.build()


SCHEMA = _schema()


class ArticleIndex:
    """(law title, chapter, text) of every current article, keyed by article id."""

    def __init__(self, directory: str | os.PathLike):
        self.parent = Path(directory)
        self._indexes = IndexDirectory(self.parent / DIRECTORY, SCHEMA, SCHEMA_VERSION)
        self._lock = FileLock(self.parent / DIRECTORY / "lock")

    def rebuild(self, articles: Iterable[tuple[int, str, str, str]]) -> int:
        """Index (article id, law title, chapter, text) rows into a new index, then swap it in."""
        with self._lock.held():
            self._indexes.remove_leftovers()  # of rebuilds killed before
            name, index = self._indexes.new_index()
            try:
                writer = index.writer(REBUILD_HEAP, 1)
                count = 0
                for article_id, law, chapter, text in articles:
                    doc = tantivy.Document()
                    doc.add_integer("id", article_id)
                    add_weighted(doc, "all", zip((index_text(law), index_text(chapter), index_text(text)), WEIGHTS))
                    writer.add_document(doc)
                    count += 1
                writer.commit()
                writer.wait_merging_threads()
            except BaseException:
                self._indexes.discard(name)
                raise
            self._indexes.make_live(name)
        with contextlib.suppress(FileNotFoundError):
            (self.parent / LEGACY_FILE).unlink()
        return count

    def cleanup(self) -> list[str]:
        """Delete leftovers of killed rebuilds (none while a rebuild runs)."""
        try:
            with self._lock.held(wait=False):
                return self._indexes.remove_leftovers()
        except IndexBusy:
            return []

    def analysis_version(self) -> str | None:
        """The analysis version the index was built with, or None if there is no index."""
        return self._indexes.stamp().get("analysis")

    def search(self, q: str, limit: int = 10) -> list[int]:
        """Article ids best matching a question, best first ([] for an empty question or index)."""
        parsed = parse_query(q)
        clauses = [(Occur.Should, _term(t)) for t in parsed.terms + parsed.synonyms if analyze_term(t)]
        live = self._indexes.live()
        if not clauses or live is None:
            return []
        searcher = live.index.searcher()
        hits = searcher.search(Query.boolean_query(clauses), limit, count=False).hits
        ids = [int(i or 0) for i in searcher.fast_field_values("id", [address for _, address in hits])] if hits else []
        return [i for _, i in sorted(zip((-score for score, _ in hits), ids))]  # equal scores: lowest id first


def _term(term: str) -> Query:
    """Every token of a query term (a term the tokenizer splits, like 3.5, needs all its parts)."""
    tokens = analyze_term(term)
    if len(tokens) == 1:
        return Query.term_query(SCHEMA, "all", tokens[0])
    return Query.boolean_query([(Occur.Must, Query.term_query(SCHEMA, "all", t)) for t in tokens])
