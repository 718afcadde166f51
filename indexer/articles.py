"""Article search for lay questions (问法条): a tantivy index of the current articles of every law.

Same analysis chain as case search (fine-grained index tokens, accurate query tokens, legal
dictionary, stop words, synonyms) and the same ranking: BM25 over one field holding the law
title and chapter twice and the article text once (WEIGHTS, measured on STARD: bench/stard_eval.py),
normalised by the article's unweighted length. The index lives in `articles/` beside the case
index, with its own CURRENT pointer, and is rebuilt whole after `flask laws import` (laws
change rarely; a rebuild takes seconds): a new index beside the live one, then a swap.

Lay questions (STARD: real questions with the articles that answer them) are indexed beside the
articles as documents of their own (field `question`, the ids of their articles stored). A new
question also finds the lay questions most like it (NEIGHBOURS, BM25), and each of their articles
gets a vote: (neighbour's score / best neighbour's score)^VOTE_POWER. An article's final score is its
BM25 / the best article's BM25 + VOTE_WEIGHT × its votes: so 老板不给工资怎么办 reaches 拖欠劳动报酬 articles
through the questions people asked before, although no article says 老板. Constants measured by
5-fold cross-validation on STARD (bench/stard_eval.py --folds 5; docs/benchmarks.md).
Articles a question cites (民法典第1254条) are promoted: they come first, then the rest by score.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from indexer.analysis import index_text
from indexer.backends.base import PROMOTE, IndexBusy
from indexer.backends.locking import FileLock
from indexer.backends.tantivy import REBUILD_HEAP, IndexDirectory, add_weighted, analyze_term
from indexer.query import parse_query

DIRECTORY = "articles"
LEGACY_FILE = "articles.sqlite3"  # the FTS5 index this one replaced
SCHEMA_VERSION = "2"  # 2: lay questions as documents of their own
WEIGHTS = (2, 2, 1)  # law title, chapter, article text
NEIGHBOURS = 20  # lay questions consulted per search
VOTE_POWER = 2.0
VOTE_WEIGHT = 1.0
CANDIDATES = 100  # articles scored by BM25 before the votes are added (at least the limit)


LAY_QUESTIONS = Path(__file__).resolve().parent / "data" / "stard_lay.jsonl"  # scripts/build_stard_lay.py


@dataclass(frozen=True)
class LayQuestion:
    """A real lay question and the articles (law title, number, sub) that answer it."""

    id: int
    text: str
    articles: tuple[tuple[str, int, int], ...]


@functools.lru_cache(maxsize=1)
def lay_questions() -> tuple[LayQuestion, ...]:
    """The lay questions shipped with the product (STARD training questions, MIT, THUIR)."""
    out = []
    for line in LAY_QUESTIONS.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        out.append(LayQuestion(item["id"], item["q"], tuple((t, n, s) for t, n, s in item["articles"])))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def lay_version() -> str:
    """Identifies the lay questions file (an article index built with another one is rebuilt)."""
    return hashlib.sha1(LAY_QUESTIONS.read_bytes()).hexdigest()[:12]


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", indexed=True, fast=True)
    builder.add_text_field("all", tokenizer_name="words", index_option="freq")
    builder.add_text_field("question", tokenizer_name="words", index_option="freq")
    builder.add_text_field("answers", stored=True, index_option="basic")  # a lay question's article ids
    return builder.build()


SCHEMA = _schema()


class ArticleIndex:
    """(law title, chapter, text) of every current article, keyed by article id."""

    def __init__(self, directory: str | os.PathLike, data_version: str = ""):
        """`data_version` identifies the lay questions: an index built with others is rebuilt."""
        self.parent = Path(directory)
        self.version = f"{SCHEMA_VERSION}-{data_version}" if data_version else SCHEMA_VERSION
        self._indexes = IndexDirectory(self.parent / DIRECTORY, SCHEMA, self.version)
        self._lock = FileLock(self.parent / DIRECTORY / "lock")

    def rebuild(self, articles: Iterable[tuple[int, str, str, str]],
                questions: Iterable[tuple[str, list[int]]] = ()) -> int:
        """Index (article id, law title, chapter, text) rows and (lay question, its article ids) pairs
        into a new index, then swap it in; returns the number of articles."""
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
                for question, answers in questions:
                    doc = tantivy.Document()
                    doc.add_integer("id", 0)
                    doc.add_text("question", index_text(question))
                    doc.add_text("answers", " ".join(map(str, answers)))
                    writer.add_document(doc)
                writer.commit()
                writer.wait_merging_threads()
            except BaseException:
                self._indexes.discard(name)
                raise
            self._indexes.make_live(name)
        with contextlib.suppress(FileNotFoundError):
            (self.parent / LEGACY_FILE).unlink()
        return count

    def close(self) -> None:
        """Forget the open index (the next search reopens it)."""
        self._indexes.forget()

    def cleanup(self) -> list[str]:
        """Delete leftovers of killed rebuilds (none while a rebuild runs)."""
        try:
            with self._lock.held(wait=False):
                return self._indexes.remove_leftovers()
        except IndexBusy:
            return []

    def analysis_version(self) -> str | None:
        """The analysis version the index was built with; None if there is no index, or it was built
        with another schema or other lay questions (so it is rebuilt)."""
        stamp = self._indexes.stamp()
        return stamp.get("analysis") if stamp.get("schema") == self.version else None

    def search(self, q: str, limit: int = 10, promote: Iterable[int] = ()) -> list[int]:
        """Article ids best matching a question, best first ([] for an empty question or index);
        `promote`d ids (articles the question cites) first."""
        return [i for i, _ in self.scored(q, limit, promote)]

    def scored(self, q: str, limit: int = 10, promote: Iterable[int] = ()) -> list[tuple[int, float]]:
        """(article id, score) best first (equal scores: lowest id first); promoted ids first of all."""
        parsed = parse_query(q)
        terms = [tokens for t in parsed.terms + parsed.synonyms if (tokens := analyze_term(t))]
        promote = list(dict.fromkeys(promote))
        live = self._indexes.live()
        if live is None or not (terms or promote):
            return []
        searcher = live.index.searcher()
        scores = dict.fromkeys(promote, PROMOTE)
        if terms:
            articles = _top(searcher, _any_of("all", terms), max(limit, CANDIDATES))
            best = articles[0][0] if articles else 1.0
            for score, address in articles:
                article_id = int(searcher.fast_field_values("id", [address])[0] or 0)
                scores[article_id] = scores.get(article_id, 0.0) + score / best
            for article_id, votes in _votes(searcher, _any_of("question", terms)).items():
                scores[article_id] = scores.get(article_id, 0.0) + VOTE_WEIGHT * votes
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:limit]


def _any_of(field: str, terms: list[list[str]]) -> Query:
    """Documents with any of the terms in `field` (a term the tokenizer split, like 3.5, needs all its parts)."""
    def one(tokens: list[str]) -> Query:
        if len(tokens) == 1:
            return Query.term_query(SCHEMA, field, tokens[0])
        return Query.boolean_query([(Occur.Must, Query.term_query(SCHEMA, field, t)) for t in tokens])
    return Query.boolean_query([(Occur.Should, one(tokens)) for tokens in terms])


def _top(searcher, query: Query, limit: int) -> list[tuple[float, object]]:
    return searcher.search(query, limit, count=False).hits


def _votes(searcher, query: Query) -> dict[int, float]:
    """Article id → votes from the lay questions most like the question."""
    neighbours = _top(searcher, query, NEIGHBOURS)
    if not neighbours:
        return {}
    best = neighbours[0][0]
    votes: dict[int, float] = {}
    for score, address in neighbours:
        answers = searcher.doc(address).get_first("answers") or ""
        for article_id in map(int, answers.split()):
            votes[article_id] = votes.get(article_id, 0.0) + (score / best) ** VOTE_POWER
    return votes
