"""Naive in-process rankers used as reference points by bench/relevance.py.

Two baselines over the case JSONL files (see /work/shared/data/cases/FORMAT.md):

* ``LikeRanker``   -- sqlite3 ``LIKE '%query%'`` on the whole query string.
* ``Bm25Ranker``   -- BM25 (k1=1.2, b=0.75) over single characters.

Stdlib only.  Not meant to be imported by the app.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

# Section kinds indexed by the BM25 baseline (same mix as the eval README).
BM25_SECTION_KINDS = ("holding", "facts", "significance", "explanation", "reasoning")
# Each indexed field / section is cut to this many characters.
BM25_FIELD_CHARS = 1500

# One CJK ideograph per token, or a run of ASCII letters/digits.
_TOKEN_RE = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]|[a-z0-9]+"
)


def load_cases(case_dir: Path) -> list[dict]:
    """Read every *.jsonl file in case_dir (sorted by name) into a list of dicts."""
    cases = []
    for path in sorted(case_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            cases.extend(json.loads(line) for line in handle if line.strip())
    return cases


def full_text(case: dict) -> str:
    """Title, summary, keywords and every section text, newline-joined."""
    parts = [case.get("title") or "", case.get("summary") or ""]
    parts.append(" ".join(case.get("keywords") or []))
    parts.extend(section.get("text") or "" for section in case.get("sections") or [])
    return "\n".join(part for part in parts if part)


def section_text(case: dict, kind: str) -> str:
    """All sections of one kind, newline-joined (a case may have several)."""
    return "\n".join(
        section.get("text") or ""
        for section in case.get("sections") or []
        if section.get("kind") == kind
    )


def bm25_text(case: dict) -> str:
    """Title, summary, keywords and each BM25 section kind, each field cut to 1,500 chars.

    Sections of the same kind are merged before cutting; cutting each section
    separately instead gives nDCG@10 0.667 / success@10 0.867 rather than the
    0.671 / 0.900 that matches baseline_dev.json (0.668 / 0.90).
    """
    parts = [case.get("title") or "", case.get("summary") or ""]
    parts.append(" ".join(case.get("keywords") or []))
    parts.extend(section_text(case, kind) for kind in BM25_SECTION_KINDS)
    return "\n".join(part[:BM25_FIELD_CHARS] for part in parts if part)


def unigram_tokens(text: str) -> list[str]:
    """Split text into single CJK characters and lowercase alphanumeric runs."""
    return _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).lower())


def _escape_like(text: str) -> str:
    """Escape LIKE wildcards so the query is matched literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class LikeRanker:
    """Whole-query substring match in an in-memory sqlite3 table."""

    name = "like"

    def __init__(self, cases: list[dict]):
        """Create the table and insert one row per case."""
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE TABLE cases (seq INTEGER PRIMARY KEY, source_id TEXT,"
            " title TEXT, published_date TEXT, text TEXT)"
        )
        self.db.executemany(
            "INSERT INTO cases (source_id, title, published_date, text) VALUES (?, ?, ?, ?)",
            (
                (c["source_id"], c.get("title") or "", c.get("published_date"), full_text(c))
                for c in cases
            ),
        )

    def search(self, query: str, limit: int = 10) -> list[str]:
        """Return source_ids whose text contains the stripped query, title hits first."""
        pattern = "%" + _escape_like(query.strip()) + "%"
        rows = self.db.execute(
            "SELECT source_id FROM cases WHERE text LIKE ? ESCAPE '\\'"
            " ORDER BY title LIKE ? ESCAPE '\\' DESC,"
            " published_date IS NULL, published_date DESC, seq"
            " LIMIT ?",
            (pattern, pattern, limit),
        )
        return [row[0] for row in rows]


class Bm25Ranker:
    """Okapi BM25 over an in-memory inverted index (token -> {doc: tf})."""

    name = "unigram"

    def __init__(self, cases: list[dict], k1: float = 1.2, b: float = 0.75,
                 tokenize=unigram_tokens, text_of=bm25_text):
        """Tokenize every case and build postings, document lengths and idf."""
        self.k1, self.b, self.tokenize = k1, b, tokenize
        self.ids = [case["source_id"] for case in cases]
        self.postings: dict[str, dict[int, int]] = {}
        self.lengths: list[int] = []
        for doc, case in enumerate(cases):
            self._add(doc, tokenize(text_of(case)))
        self.avg_len = sum(self.lengths) / max(len(self.lengths), 1)
        self.idf = {term: self._idf(len(docs)) for term, docs in self.postings.items()}

    def _add(self, doc: int, tokens: list[str]) -> None:
        """Add one tokenized document to the postings."""
        self.lengths.append(len(tokens))
        for term, tf in Counter(tokens).items():
            self.postings.setdefault(term, {})[doc] = tf

    def _idf(self, df: int) -> float:
        """Lucene-style idf, always positive."""
        n = len(self.lengths)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> dict[int, float]:
        """Score every document sharing a term with the query (repeated terms count again)."""
        acc: dict[int, float] = {}
        for term, qtf in Counter(self.tokenize(query)).items():
            idf = self.idf.get(term)
            if idf is None:
                continue
            for doc, tf in self.postings[term].items():
                norm = self.k1 * (1 - self.b + self.b * self.lengths[doc] / self.avg_len)
                acc[doc] = acc.get(doc, 0.0) + qtf * idf * tf * (self.k1 + 1) / (tf + norm)
        return acc

    def search(self, query: str, limit: int = 10) -> list[str]:
        """Return the top source_ids by BM25 score (ties broken by load order)."""
        acc = self.scores(query)
        best = sorted(acc, key=lambda doc: (-acc[doc], doc))[:limit]
        return [self.ids[doc] for doc in best]


def build_baselines(cases: list[dict], names: Iterable[str]) -> dict:
    """Instantiate the requested baselines ('like', 'unigram') by name."""
    factories = {"like": LikeRanker, "unigram": Bm25Ranker}
    return {name: factories[name](cases) for name in names if name in factories}
