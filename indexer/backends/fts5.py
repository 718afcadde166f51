"""Embedded search engine: SQLite FTS5 over pre-segmented text, no service to run.

Layout of the index directory:
    CURRENT                 name of the live index file
    index-<stamp>.sqlite3   the index (FTS5 table `fts`, `docs`, `facets`)
    lock                    flock()ed by every writer, so drains and rebuilds never interleave
A rebuild writes a new file beside the live one and swaps CURRENT (rename is atomic);
readers notice the new name on their next search and reopen.
"""
from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path

from indexer.analysis import analysis_version
from indexer.backends.base import IndexBusy, QueryTooExpensive, SearchRequest, SearchResult, SearchUnavailable
from indexer.backends.locking import FileLock
from indexer.documents import FACETS, FIELD_WEIGHTS, FIELDS, FILTER_ONLY, SearchDocument
from indexer.query import ParsedQuery, Phrase

SCHEMA_VERSION = "1"
FACET_LIMIT = 200
FACET_CACHE_SIZE = 512
_SCHEMA = f"""
CREATE VIRTUAL TABLE fts USING fts5({", ".join(FIELDS)}, tokenize='unicode61 remove_diacritics 0');
CREATE TABLE docs (id INTEGER PRIMARY KEY, sort_date TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX docs_sort ON docs (sort_date DESC, id DESC);
CREATE TABLE facets (id INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX facets_lookup ON facets (name, value, id);
CREATE INDEX facets_id ON facets (id);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}');
INSERT INTO meta VALUES ('generation', '0');
"""


def fts_quote(token: str) -> str:
    """Quote one token as an FTS5 string: the only way user text reaches MATCH."""
    return '"' + token.replace('"', '""') + '"'


def _phrase_match(phrase: Phrase) -> str:
    """All tokens of a phrase, as an FTS5 AND group (exactness is checked on the text)."""
    return "(" + " AND ".join(fts_quote(t) for t in phrase.tokens) + ")"


class Fts5Backend:
    """SearchBackend on SQLite FTS5 files in one directory."""

    def __init__(self, directory: str | os.PathLike, lock_timeout: float = 30.0, time_budget_ms: int = 500):
        self.directory = Path(directory)
        self.lock_timeout = lock_timeout
        self.time_budget = time_budget_ms / 1000
        self._local = threading.local()
        self._lock = FileLock(self.directory / "lock", lock_timeout)
        self._similar_cache: dict[tuple, list[int]] = {}
        self._facet_cache: dict[tuple, dict] = {}

    # ---- files and connections -------------------------------------------------------
    def _current_name(self) -> str | None:
        """Name of the live index file, or None if no index was ever built."""
        try:
            return (self.directory / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SearchUnavailable(f"index directory unusable: {exc}") from exc

    def _open(self, path: Path) -> sqlite3.Connection:
        """Open an index file with the settings every connection uses."""
        conn = sqlite3.connect(path, timeout=self.lock_timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection to the live index, reopened after a swap."""
        name = self._current_name()
        if name is None:
            self._create_empty()
            name = self._current_name()
            if name is None:  # CURRENT removed or emptied between creating and reading it
                raise SearchUnavailable("index directory has no live index")
        cached = getattr(self._local, "conn", None)
        if cached and cached[0] == name:
            return cached[1]
        if cached:
            cached[1].close()
        path = self.directory / name
        if not path.exists():
            raise SearchUnavailable(f"index file {path} is missing")
        try:
            conn = self._open(path)
        except sqlite3.Error as exc:
            raise SearchUnavailable(f"cannot open index: {exc}") from exc
        self._local.conn = (name, conn)
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        cached = getattr(self._local, "conn", None)
        if cached:
            cached[1].close()
            self._local.conn = None

    def locked(self, wait: bool = True):
        """Hold the writer lock (re-entrant per thread); waits up to lock_timeout, or raises IndexBusy
        at once with wait=False."""
        return self._lock.held(wait)

    def cleanup(self) -> list[str]:
        """Delete index files CURRENT does not name (a killed rebuild's), unless a writer is busy."""
        if not self.directory.is_dir():
            return []
        try:
            with self.locked(wait=False):
                live = self._current_name()
                orphans = sorted(p.name for p in self.directory.glob("index-*.sqlite3*")
                                 if not live or not p.name.startswith(live))
                for name in orphans:
                    with contextlib.suppress(FileNotFoundError):
                        (self.directory / name).unlink()
                return orphans
        except IndexBusy:
            return []

    def _new_file(self) -> tuple[str, sqlite3.Connection]:
        """Create a new, empty index file (not yet live), stamped with the analysis version."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"index-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}.sqlite3"
        conn = sqlite3.connect(self.directory / name, isolation_level=None)
        conn.executescript(_SCHEMA)
        conn.execute("INSERT INTO meta VALUES ('analysis', ?)", (analysis_version(),))
        return name, conn

    def analysis_version(self) -> str | None:
        """The analysis version the live index was built with."""
        row = self._conn().execute("SELECT value FROM meta WHERE key = 'analysis'").fetchone()
        return row[0] if row else None

    def _make_live(self, name: str) -> None:
        """Point CURRENT at `name` atomically and delete the files it replaces."""
        old = self._current_name()
        tmp = self.directory / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(name + "\n")
        os.replace(tmp, self.directory / "CURRENT")
        if old and old != name:
            # Readers holding the old file keep reading it until their next search.
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / (old + suffix)).unlink()

    def _create_empty(self) -> None:
        """Create an empty live index if there is none yet."""
        with self.locked():
            if self._current_name() is None:
                name, conn = self._new_file()
                conn.close()
                self._make_live(name)

    # ---- writing ----------------------------------------------------------------------
    @staticmethod
    def _write(conn: sqlite3.Connection, docs: Iterable[SearchDocument]) -> int:
        """Insert or replace documents inside the caller's transaction."""
        count = 0
        for doc in docs:
            Fts5Backend._remove(conn, [doc.id])
            conn.execute(
                f"INSERT INTO fts (rowid, {', '.join(FIELDS)}) VALUES (?{', ?' * len(FIELDS)})",
                [doc.id, *(doc.fields.get(name, "") for name in FIELDS)],
            )
            conn.execute("INSERT INTO docs VALUES (?, ?, ?)", (doc.id, doc.sort_date, doc.text))
            conn.executemany(
                "INSERT INTO facets VALUES (?, ?, ?)",
                [(doc.id, name, value) for name in FACETS + FILTER_ONLY for value in doc.facets.get(name, [])],
            )
            count += 1
        return count

    @staticmethod
    def _remove(conn: sqlite3.Connection, ids: list[int]) -> None:
        """Delete documents by id inside the caller's transaction."""
        for doc_id in ids:
            conn.execute("DELETE FROM fts WHERE rowid = ?", (doc_id,))
            conn.execute("DELETE FROM docs WHERE id = ?", (doc_id,))
            conn.execute("DELETE FROM facets WHERE id = ?", (doc_id,))

    def index_many(self, docs: Iterable[SearchDocument]) -> int:
        """Add or replace documents in the live index, in one transaction."""
        conn = self._conn()
        with _transaction(conn):
            _bump_generation(conn)
            return self._write(conn, docs)

    def delete_many(self, ids: Iterable[int]) -> int:
        """Remove documents from the live index, in one transaction."""
        ids = list(ids)
        conn = self._conn()
        with _transaction(conn):
            _bump_generation(conn)
            self._remove(conn, ids)
        return len(ids)

    def rebuild(self, docs: Iterable[SearchDocument], progress: Callable[[int], None] | None = None) -> int:
        """Build a new index file from `docs`, then swap it in; the caller holds locked()."""
        name, conn = self._new_file()
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            count = 0
            batch: list[SearchDocument] = []
            conn.execute("BEGIN")
            for doc in docs:
                batch.append(doc)
                if len(batch) >= 500:
                    count += self._write(conn, batch)
                    if progress:
                        progress(len(batch))
                    batch = []
            count += self._write(conn, batch)
            if progress and batch:
                progress(len(batch))
            conn.execute("COMMIT")
            conn.execute("INSERT INTO fts (fts) VALUES ('optimize')")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("ANALYZE")
            conn.close()
        except BaseException:
            conn.close()
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / (name + suffix)).unlink()
            raise
        self._make_live(name)
        return count

    # ---- reading ----------------------------------------------------------------------
    def count(self) -> int:
        """Number of documents in the live index."""
        return self._conn().execute("SELECT count(*) FROM docs").fetchone()[0]

    def health(self) -> dict:
        """Engine state: ok, backend name, live file and document count."""
        try:
            version = self.analysis_version()
            return {"ok": True, "backend": "embedded", "index": self._current_name(), "documents": self.count(),
                    "analysis": version, "analysis_current": version == analysis_version()}
        except (sqlite3.Error, SearchUnavailable) as exc:
            return {"ok": False, "backend": "embedded", "error": type(exc).__name__}

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search: count, page of ids and facet counts over the same conditions, within the
        time budget (SQLite's progress handler interrupts a query that runs past it)."""
        conn = self._conn()
        deadline = time.monotonic() + self.time_budget
        conn.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
        try:
            return self._search(conn, request)
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise QueryTooExpensive(f"search ran past its {self.time_budget * 1000:.0f} ms budget") from exc
            raise SearchUnavailable(str(exc)) from exc
        finally:
            conn.set_progress_handler(None, 0)

    def similar(self, doc_id: int, limit: int = 5) -> list[int]:
        """Ids of the documents most like `doc_id`: its most distinctive terms, ranked by BM25.

        Terms come from the title, keywords, holding and the opening of the body (facts);
        each scores tf × idf, with field multipliers, over terms in at least two documents.
        """
        conn = self._conn()
        key = (self.generation(), doc_id, limit)  # answers change only when the index does
        if key not in self._similar_cache:
            row = conn.execute(
                "SELECT title, keywords, holding, body FROM fts WHERE rowid = ?", (doc_id,)
            ).fetchone()
            terms = _distinctive_terms(conn, row) if row else []
            weights = ", ".join(str(FIELD_WEIGHTS[name]) for name in FIELDS)
            rows = conn.execute(
                f"SELECT rowid FROM fts WHERE fts MATCH ? AND rowid != ? ORDER BY bm25(fts, {weights}) LIMIT ?",
                (" OR ".join(fts_quote(t) for t in terms), doc_id, limit),
            ).fetchall() if terms else []
            if len(self._similar_cache) >= SIMILAR_CACHE_SIZE:
                self._similar_cache.clear()
            self._similar_cache[key] = [r[0] for r in rows]
        return list(self._similar_cache[key])

    def _search(self, conn: sqlite3.Connection, request: SearchRequest) -> SearchResult:
        """Count, page of ids, facet counts over the same WHERE clause."""
        where, params, uses_fts = _where(request, _common_terms(conn, request.query))
        source = "fts JOIN docs ON docs.id = fts.rowid" if uses_fts else "docs"
        total = conn.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchone()[0]
        weights = ", ".join(str(FIELD_WEIGHTS[name]) for name in FIELDS)
        if uses_fts and request.sort == "relevance":
            order = f"bm25(fts, {weights}), docs.sort_date DESC, docs.id DESC"
        elif uses_fts:
            order = f"docs.sort_date DESC, bm25(fts, {weights}), docs.id DESC"
        else:
            order = "docs.sort_date DESC, docs.id DESC"
        offset = (request.page - 1) * request.per_page
        rows = conn.execute(
            f"SELECT docs.id FROM {source} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, request.per_page, offset],
        ).fetchall()
        facets = self._facets(conn, source, where, params) if request.with_facets and total else {}
        return SearchResult(total=total, ids=[r[0] for r in rows], facets=facets)

    def generation(self) -> tuple:
        """Changes whenever the live index does (a write, or a swap to a rebuilt file)."""
        conn = self._conn()
        row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return (self._local.conn[0], row[0] if row else None)

    def _facets(self, conn: sqlite3.Connection, source: str, where: str, params: list) -> dict:
        """Facet counts, cached per index generation: paging and repeated browsing reuse them."""
        key = (self.generation(), source, where, tuple(params))
        if key not in self._facet_cache:
            if len(self._facet_cache) >= FACET_CACHE_SIZE:
                self._facet_cache.clear()
            self._facet_cache[key] = _facet_counts(conn, source, where, params)
        return self._facet_cache[key]


COMMON_SHARE = 0.2  # a free term in more than this share of documents adds matches, not ranking
COMMON_MIN_DOCS = 1000  # below this, every query is cheap: keep every term


def _common_terms(conn: sqlite3.Connection, query: ParsedQuery) -> set[str]:
    """Free terms so common that OR-ing them in would match most of the index (公司, 法院 …).

    BM25 gives such terms almost no weight, but each would pull a large share of all cases into
    the count, ranking and facets. They are left out when a rarer term remains.
    """
    terms = query.terms + query.synonyms
    if len(terms) < 2:
        return set()
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, fts, row)")
    total = conn.execute("SELECT count(*) FROM docs").fetchone()[0]
    if total < COMMON_MIN_DOCS:
        return set()
    marks = ", ".join("?" * len(terms))
    df = dict(conn.execute(f"SELECT term, doc FROM temp.vocab WHERE term IN ({marks})", terms).fetchall())
    common = {t for t in terms if df.get(t, 0) > COMMON_SHARE * total}
    return common if len(common) < len(terms) else set()


def _where(request: SearchRequest, common: Collection[str] = frozenset()) -> tuple[str, list, bool]:
    """SQL WHERE clause and parameters for a request; the third value says if FTS is used."""
    query: ParsedQuery = request.query
    clauses: list[str] = []
    params: list = []
    groups = [fts_quote(t) for t in query.terms + query.synonyms if t not in common]
    match = " OR ".join(groups)
    if len(groups) > 1:
        match = f"({match})"
    required = [_phrase_match(p) for p in query.phrases]
    match = " AND ".join(x for x in [match, *required] if x)
    uses_fts = bool(match)
    if uses_fts:
        clauses.append("fts MATCH ?")
        params.append(match)
    for phrase in query.phrases:
        if len(phrase.tokens) > 1:
            clauses.append("instr(docs.text, ?) > 0")
            params.append(phrase.text)
    for phrase in query.excluded:
        if len(phrase.tokens) == 1:  # one word: the index alone says which cases have it
            clauses.append("docs.id NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(_phrase_match(phrase))
            continue
        clauses.append(
            "docs.id NOT IN (SELECT f.rowid FROM fts f JOIN docs d ON d.id = f.rowid"
            " WHERE fts MATCH ? AND instr(d.text, ?) > 0)"
        )
        params += [_phrase_match(phrase), phrase.text]
    for name, values in sorted(request.filters.items()):
        if values:
            marks = ", ".join("?" * len(values))
            clauses.append(f"docs.id IN (SELECT id FROM facets WHERE name = ? AND value IN ({marks}))")
            params += [name, *values]
    return (" AND ".join(clauses) or "1"), params, uses_fts


def _facet_counts(conn: sqlite3.Connection, source: str, where: str, params: list) -> dict:
    """Counts of every facet value over the matching documents, largest first."""
    params = [*FACETS, *params]
    rows = conn.execute(
        f"SELECT name, value, count(*) AS n FROM facets WHERE name IN ({', '.join('?' * len(FACETS))}) AND id IN "
        f"(SELECT docs.id FROM {source} WHERE {where}) GROUP BY name, value ORDER BY name, n DESC, value",
        params,
    ).fetchall()
    facets: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS}
    for name, value, count in rows:
        if len(facets[name]) < FACET_LIMIT:
            facets[name].append((value, count))
    return facets


def _bump_generation(conn: sqlite3.Connection) -> None:
    """Mark the index as changed (inside the writer's transaction)."""
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('generation', "
                 "COALESCE((SELECT value FROM meta WHERE key = 'generation'), 0) + 1)")


SIMILAR_TERMS = 25
SIMILAR_CACHE_SIZE = 4096
SIMILAR_CANDIDATES = 80  # df look-ups cost ~0.1 ms a term, so only the most frequent are weighed
_SIMILAR_FIELD_BOOST = (3, 2, 2, 1)  # title, keywords, holding, body


def _distinctive_terms(conn: sqlite3.Connection, columns) -> list[str]:
    """The SIMILAR_TERMS highest tf·idf terms of a document's analysed columns."""
    tf: dict[str, float] = {}
    for boost, text in zip(_SIMILAR_FIELD_BOOST, columns):
        for token in (text or "").split():
            if len(token) >= 2 and not token.isdigit():
                tf[token] = tf.get(token, 0) + boost
    if not tf:
        return []
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, fts, row)")
    total = conn.execute("SELECT count(*) FROM docs").fetchone()[0]
    candidates = sorted(tf, key=lambda t: tf[t], reverse=True)[:SIMILAR_CANDIDATES]
    marks = ", ".join("?" * len(candidates))
    df = dict(conn.execute(f"SELECT term, doc FROM temp.vocab WHERE term IN ({marks})", candidates).fetchall())
    scored = [(tf[t] * math.log(total / df[t]), t) for t in candidates if 2 <= df.get(t, 0) < total]
    return [t for _, t in sorted(scored, reverse=True)[:SIMILAR_TERMS]]


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
