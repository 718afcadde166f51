"""Article search for lay questions (问法条): a tantivy index of the current articles of every law.

Same analysis chain as case search (fine-grained index tokens, accurate query tokens, legal
dictionary, stop words, synonyms) and the same ranking: BM25 over one field holding the law
title and chapter twice and the article text once (WEIGHTS, measured on STARD: bench/stard_eval.py),
normalised by the article's unweighted length. The index lives in `articles/` beside the case
index, with its own CURRENT pointer, and is rebuilt whole after `flask laws import` (laws
change rarely; a rebuild takes seconds): a new index beside the live one, then a swap.

Lay questions (STARD: real questions with the articles that answer them) are indexed beside the
articles as documents of their own (field `question`; stored: the ids of their articles, of the
articles around those in the same law, and of those laws). A new question also finds the lay
questions most like it (BM25), each weighing w = its score / the best one's score. They are evidence
three ways, so 从楼上扔东西砸坏了车 reaches 民法典第一千二百五十四条 although no article says 扔 or 砸:
- votes: each of their articles gets VOTE_WEIGHT × w (first NEIGHBOURS questions);
- laws: the laws they cite get w^LAW_POWER each (first LAW_NEIGHBOURS), and an article's BM25 is
  multiplied by 1 + LAW_WEIGHT × its law's share of the best law's — the question is in that law;
- nearby: articles within NEAR_SPAN of a cited one (a law puts related rules together) get
  NEAR_WEIGHT × w more on that multiplier.
An article's score: BM25 / the best article's BM25 × (that multiplier) + its votes, over the first
CANDIDATES articles by BM25 and every voted one. Constants measured leave-one-out on STARD train
(bench/stard_eval.py); articles a question cites (民法典第1254条) are promoted: they come first.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
log = logging.getLogger(__name__)
SCHEMA_VERSION = "3"  # 2: lay questions as documents of their own; 3: laws, nearby articles
WEIGHTS = (2, 2, 1)  # law title, chapter, article text
NEIGHBOURS = 60  # lay questions whose articles get votes
VOTE_POWER = 1.0
VOTE_WEIGHT = 0.75
LAW_NEIGHBOURS = 40  # lay questions whose laws count
LAW_POWER = 2.0
LAW_WEIGHT = 1.0
NEAR_SPAN = 5  # articles this close (by number, same law) to a cited one are "nearby"
NEAR_WEIGHT = 0.25
NEIGHBOUR_FLOOR = 1.5  # a best neighbour scoring less (a common word shared, like 人) weighs less than 1
CANDIDATES = 2000  # articles scored by BM25 before the votes are added (at least the limit)


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
    builder.add_integer_field("law", fast=True)  # an article's law (id of the law version)
    builder.add_text_field("all", tokenizer_name="words", index_option="freq")
    builder.add_integer_field("question_id", indexed=True)  # a lay question's own id (leave-one-out in the bench)
    builder.add_text_field("question", tokenizer_name="words", index_option="freq")
    builder.add_text_field("answers", stored=True, index_option="basic")  # a lay question's article ids
    builder.add_text_field("near", stored=True, index_option="basic")  # ids of articles around those
    builder.add_text_field("laws", stored=True, index_option="basic")  # ids of their laws
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
        self._checked: str | None = None  # live index whose schema was checked, and the answer
        self._schema_ok = False

    def rebuild(self, articles: Iterable[tuple[int, int, int, str, str, str]],
                questions: Iterable[tuple[int, str, list[int]]] = ()) -> int:
        """Index (article id, law id, number, law title, chapter, text) rows and (question id, lay question,
        its article ids) triples into a new index, then swap it in; returns the number of articles."""
        with self._lock.held():
            self._indexes.remove_leftovers()  # of rebuilds killed before
            name, index = self._indexes.new_index()
            try:
                writer = index.writer(REBUILD_HEAP, 1)
                count = 0
                where: dict[int, tuple[int, int]] = {}  # article id → (law id, number)
                numbered: dict[tuple[int, int], list[int]] = {}  # (law id, number) → article ids
                for article_id, law_id, number, law, chapter, text in articles:
                    where[article_id] = (law_id, number)
                    numbered.setdefault((law_id, number), []).append(article_id)
                    doc = tantivy.Document()
                    doc.add_integer("id", article_id)
                    doc.add_integer("law", law_id)
                    add_weighted(doc, "all", zip((index_text(law), index_text(chapter), index_text(text)), WEIGHTS))
                    writer.add_document(doc)
                    count += 1
                for question_id, question, answers in questions:
                    doc = tantivy.Document()
                    doc.add_integer("id", 0)
                    doc.add_integer("question_id", question_id)
                    doc.add_text("question", index_text(question))
                    doc.add_text("answers", " ".join(map(str, answers)))
                    doc.add_text("near", " ".join(map(str, _nearby(answers, where, numbered))))
                    doc.add_text("laws", " ".join(str(law) for law in dict.fromkeys(where[a][0] for a in answers)))
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

    def _built_for_this_schema(self, name: str) -> bool:
        """Whether the live index `name` has this code's schema. One built by an older release (before
        `flask seed` or a law import rebuilds it) has other fields, and tantivy panics on a query
        naming a field it lacks: such an index answers nothing instead."""
        if self._checked != name:
            built = str(self._indexes.stamp().get("schema", ""))
            self._schema_ok = built.split("-")[0] == SCHEMA_VERSION  # other lay questions still fit the fields
            self._checked = name
            if not self._schema_ok:
                log.warning("article index %s was built with another schema: rebuild it (flask seed)", name)
        return self._schema_ok

    def search(self, q: str, limit: int = 10, promote: Iterable[int] = (), ignore: Iterable[int] = (),
               extra: Mapping[int, float] | None = None) -> list[int]:
        """Article ids best matching a question, best first ([] for an empty question or index);
        `promote`d ids (articles the question cites) first; lay questions with `ignore`d ids do not vote;
        `extra` votes (article id → score, from elsewhere: the cases matching the question) are added."""
        return [i for i, _ in self.scored(q, limit, promote, ignore, extra)]

    def scored(self, q: str, limit: int = 10, promote: Iterable[int] = (), ignore: Iterable[int] = (),
               extra: Mapping[int, float] | None = None) -> list[tuple[int, float]]:
        """(article id, score) best first (equal scores: lowest id first); promoted ids first of all."""
        parsed = parse_query(q)
        terms = [tokens for t in parsed.terms + parsed.synonyms if (tokens := analyze_term(t))]
        promote = list(dict.fromkeys(promote))
        live = self._indexes.live()
        if live is None or not (terms or promote) or not self._built_for_this_schema(live.name):
            return []
        searcher = live.index.searcher()
        scores = dict.fromkeys(promote, PROMOTE)
        if terms:
            neighbours = _any_of("question", terms)
            if ignored := [(Occur.MustNot, Query.term_query(SCHEMA, "question_id", i)) for i in ignore]:
                neighbours = Query.boolean_query([(Occur.Must, neighbours), *ignored])
            evidence = _evidence(searcher, neighbours)
            hits = _top(searcher, _any_of("all", terms), max(limit, CANDIDATES))
            if hits:
                addresses = [address for _, address in hits]
                ids = searcher.fast_field_values("id", addresses)
                laws = searcher.fast_field_values("law", addresses)
                best = hits[0][0]
                for (score, _), article_id, law in zip(hits, ids, laws):
                    article_id = int(article_id or 0)
                    factor = (1 + LAW_WEIGHT * evidence.laws.get(int(law or 0), 0.0)
                              + NEAR_WEIGHT * evidence.near.get(article_id, 0.0))
                    scores[article_id] = scores.get(article_id, 0.0) + score / best * factor
            for article_id, votes in evidence.votes.items():
                scores[article_id] = scores.get(article_id, 0.0) + VOTE_WEIGHT * votes
            for article_id, votes in (extra or {}).items():
                scores[article_id] = scores.get(article_id, 0.0) + votes
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:limit]


def _any_of(field: str, terms: list[list[str]]) -> Query:
    """Documents with any of the terms in `field` (a term the tokenizer split, like 3.5, needs all its parts)."""
    def one(tokens: list[str]) -> Query:
        if len(tokens) == 1:
            return Query.term_query(SCHEMA, field, tokens[0])
        return Query.boolean_query([(Occur.Must, Query.term_query(SCHEMA, field, t)) for t in tokens])
    return Query.boolean_query([(Occur.Should, one(tokens)) for tokens in terms])


def _top(searcher, query: Query, limit: int) -> list[tuple[float, tantivy.DocAddress]]:
    """(score, address) of the best `limit` documents."""
    return searcher.search(query, limit, count=False).hits


@dataclass
class Evidence:
    """What the lay questions most like a question say: votes per article, law shares, nearby weights."""

    votes: dict[int, float] = field(default_factory=dict)
    laws: dict[int, float] = field(default_factory=dict)  # law id → share of the best law's weight (0..1]
    near: dict[int, float] = field(default_factory=dict)


def _evidence(searcher, query: Query) -> Evidence:
    """Votes, law shares and nearby weights from the lay questions most like the question."""
    out = Evidence()
    neighbours = _top(searcher, query, max(NEIGHBOURS, LAW_NEIGHBOURS))
    if not neighbours:
        return out
    best = max(neighbours[0][0], NEIGHBOUR_FLOOR)
    for rank, (score, address) in enumerate(neighbours):
        doc, weight = searcher.doc(address), score / best
        if rank < NEIGHBOURS:
            _add(out.votes, doc.get_first("answers"), weight ** VOTE_POWER)
            _add(out.near, doc.get_first("near"), weight ** VOTE_POWER)
        if rank < LAW_NEIGHBOURS:
            _add(out.laws, doc.get_first("laws"), weight ** LAW_POWER)
    top = max(out.laws.values())
    out.laws = {law: weight / top for law, weight in out.laws.items()}
    return out


def _add(into: dict[int, float], ids: str | None, weight: float) -> None:
    for key in map(int, (ids or "").split()):
        into[key] = into.get(key, 0.0) + weight


def _nearby(answers: list[int], where: dict[int, tuple[int, int]],
            numbered: dict[tuple[int, int], list[int]]) -> list[int]:
    """Articles of the same law within NEAR_SPAN numbers of an answer (the answers themselves left out)."""
    out: dict[int, None] = {}
    for article_id in answers:
        law, number = where[article_id]
        for offset in range(-NEAR_SPAN, NEAR_SPAN + 1):
            out.update(dict.fromkeys(numbered.get((law, number + offset), ())))
    return [a for a in out if a not in answers]
