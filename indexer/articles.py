"""Article search for lay questions: an embedded FTS5 index of the current articles of every law.

Same analysis chain as case search (fine-grained index tokens, accurate query tokens, legal
dictionary, stop words). The index lives beside the case index, in its own file, and is
rebuilt whole after `flask laws import` (laws change rarely; a rebuild takes seconds).
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from indexer.analysis import analysis_version, index_text
from indexer.backends.fts5 import fts_quote
from indexer.query import parse_query

FILE = "articles.sqlite3"
WEIGHTS = (2.0, 2.0, 1.0)  # law title, chapter, article text (measured on STARD: bench/stard_eval.py)


class ArticleIndex:
    """FTS5 over (law title, chapter, text) keyed by article id."""

    def __init__(self, directory: str | os.PathLike):
        self.path = Path(directory) / FILE
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection, reopened after a rebuild replaced the file."""
        stamp = self.path.stat().st_ino if self.path.exists() else None
        cached = getattr(self._local, "conn", None)
        if cached and cached[0] == stamp:
            return cached[1]
        if cached:
            cached[1].close()
        conn = sqlite3.connect(self.path)
        self._local.conn = (stamp, conn)
        return conn

    def rebuild(self, articles: Iterable[tuple[int, str, str, str]]) -> int:
        """Index (article id, law title, chapter, text) rows into a new file, then swap it in."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        # A throw-away file: no journal, and explicit transactions (a rollback without a journal corrupts).
        conn = sqlite3.connect(tmp, isolation_level=None)
        conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                           "CREATE VIRTUAL TABLE fts USING fts5(law, chapter, body,"
                           " tokenize='unicode61 remove_diacritics 0');"
                           "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")
        conn.execute("INSERT INTO meta VALUES ('analysis', ?)", (analysis_version(),))
        count = 0
        conn.execute("BEGIN")
        for article_id, law, chapter, text in articles:
            conn.execute("INSERT INTO fts (rowid, law, chapter, body) VALUES (?, ?, ?, ?)",
                         (article_id, index_text(law), index_text(chapter), index_text(text)))
            count += 1
        conn.execute("INSERT INTO fts (fts) VALUES ('optimize')")
        conn.execute("COMMIT")
        conn.close()
        os.replace(tmp, self.path)
        return count

    def analysis_version(self) -> str | None:
        """The analysis version the index was built with, or None if there is no index."""
        if not self.path.exists():
            return None
        try:
            row = self._conn().execute("SELECT value FROM meta WHERE key = 'analysis'").fetchone()
        except sqlite3.OperationalError:  # built before the stamp existed
            return None
        return row[0] if row else None

    def search(self, q: str, limit: int = 10) -> list[int]:
        """Article ids best matching a question, best first ([] for an empty question or index)."""
        parsed = parse_query(q)
        terms = parsed.terms + parsed.synonyms
        if not terms or not self.path.exists():
            return []
        weights = ", ".join(map(str, WEIGHTS))
        rows = self._conn().execute(
            f"SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, {weights}) LIMIT ?",
            (" OR ".join(fts_quote(t) for t in terms), limit),
        ).fetchall()
        return [r[0] for r in rows]
