"""Search latency over HTTP, one query at a time (hand-run, never by tests).

    .venv/bin/python bench/search_bench.py --base http://127.0.0.1:8100
    .venv/bin/python bench/search_bench.py --instance bench/results/instance-10000 --port 8110 [--sql]

Sends the 200 queries of bench/queries.txt (text, then a TAB and extra query-string arguments
such as case_type=刑事) to /api/v1/search?q=…&per_page=20 sequentially: one warm-up pass, then
--repeat measured passes. Latency per query is the median of its passes; the report gives
p50/p95/p99/max over the 200 queries and the slowest five. Every answer must be HTTP 200.

--instance starts gunicorn (-w 2, loopback, ports 8100-8199) on that instance and stops it
afterwards. --sql (needs --instance) also runs the backend's own `_search` in-process on a timing wrapper
around the index connection, which gives the time of each of its three statements (count, page
of ids, facet counts; median of 3) per query, and prints EXPLAIN QUERY PLAN for the slowest queries: it shows how much of the HTTP latency is the
engine and how much the rest of the request (parsing, loading rows, highlighting, JSON).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import ROOT, SRC, gunicorn, load_queries, query_path

sys.path.insert(0, str(SRC))  # the application code under test (BENCH_SRC, default: the working tree)

QUERIES = ROOT / "bench" / "queries.txt"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def fetch(base: str, path: str) -> tuple[float, int, int | None]:
    """(milliseconds, HTTP status, total hits) for one request."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=60) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    elapsed = (time.perf_counter() - start) * 1000
    total = json.loads(body).get("total") if status == 200 else None
    return elapsed, status, total


def run_http(base: str, queries: list[tuple[str, str]], repeat: int, per_page: int) -> dict:
    """Warm-up pass, then `repeat` measured passes; per-query medians and their percentiles."""
    paths = [query_path(text, extra, per_page) for text, extra in queries]
    for path in paths:
        fetch(base, path)
    samples: list[list[float]] = [[] for _ in paths]
    totals: list[int | None] = [None] * len(paths)
    errors = []
    for _ in range(repeat):
        for i, path in enumerate(paths):
            ms, status, total = fetch(base, path)
            samples[i].append(ms)
            totals[i] = total
            if status != 200:
                errors.append((queries[i], status))
    medians = [statistics.median(s) for s in samples]
    order = sorted(range(len(paths)), key=lambda i: medians[i], reverse=True)
    return {
        "queries": len(paths), "passes": repeat, "errors": len(errors), "error_examples": errors[:5],
        "p50_ms": round(percentile(medians, 50), 1), "p95_ms": round(percentile(medians, 95), 1),
        "p99_ms": round(percentile(medians, 99), 1), "max_ms": round(max(medians), 1),
        "mean_ms": round(statistics.fmean(medians), 1),
        "slowest": [{"q": queries[i][0], "filters": queries[i][1], "ms": round(medians[i], 1), "total": totals[i]}
                    for i in order[:5]],
        "per_query": [{"q": q, "filters": f, "ms": round(m, 1), "total": t}
                      for (q, f), m, t in zip(queries, medians, totals)],
    }


class _TimedConnection:
    """Wraps the index connection: runs each statement to completion, records its SQL and time."""

    def __init__(self, conn):
        self.conn = conn
        self.log: list[tuple[str, list, float]] = []

    def execute(self, sql, params=()):
        start = time.perf_counter()
        rows = self.conn.execute(sql, params).fetchall()
        self.log.append((sql, list(params), (time.perf_counter() - start) * 1000))
        return _Rows(rows)


class _Rows:
    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return self.rows


def _statement_kind(sql: str) -> str:
    """count / page / facets, by the shape of the statement `_search` sent."""
    if "GROUP BY" in sql:
        return "facets"
    if "LIMIT" in sql:
        return "page"
    return "count"


def run_sql(instance: Path, queries: list[tuple[str, str]], per_page: int, show_plans: list[int] | None) -> dict:
    """Time the statements the backend's own `_search` runs (count, page, facets) for every query.

    The real `Fts5Backend._search` is called with a connection wrapper that times each statement
    (median of three runs), so this follows the current code; EXPLAIN QUERY PLAN for the queries
    numbered in `show_plans` (None: the five slowest by SQL time).
    """
    import sqlite3

    from werkzeug.datastructures import MultiDict

    from indexer import documents
    from indexer.backends.base import SearchRequest
    from indexer.backends.fts5 import Fts5Backend
    from indexer.query import parse_query
    from schemas import search as search_schema
    from schemas.search import SearchArgsSchema, args_from_multidict

    as_strings = getattr(search_schema, "filters_as_strings", lambda data: data)  # older trees convert here
    filter_names = tuple(documents.FACETS) + tuple(getattr(documents, "FILTER_ONLY", ()))

    index_dir = instance / "search-index"
    conn = sqlite3.connect(index_dir / (index_dir / "CURRENT").read_text().strip())
    backend = Fts5Backend(index_dir)
    rows, sent = [], []
    for text, extra in queries:
        pairs = [("q", text), ("per_page", str(per_page))] + [
            (k, v) for k, _, v in (p.partition("=") for p in extra.split("&") if p)]
        args = as_strings(SearchArgsSchema().load(args_from_multidict(MultiDict(pairs))))
        t0 = time.perf_counter()
        parsed = parse_query(args.get("q", ""))
        parse_ms = (time.perf_counter() - t0) * 1000
        filters = {n: args[n] for n in filter_names if args.get(n)}
        request = SearchRequest(query=parsed, filters=filters,
                                sort=args.get("sort") or ("date" if parsed.is_empty else "relevance"),
                                per_page=per_page)
        runs: dict[str, list[float]] = {}
        statements = {}
        for _ in range(3):
            timed = _TimedConnection(conn)
            result = backend._search(timed, request)
            for sql, params, ms in timed.log:
                kind = _statement_kind(sql)
                runs.setdefault(kind, []).append(ms)
                statements[kind] = (sql, params)
        timing = {"q": text, "filters": extra, "parse_ms": round(parse_ms, 2), "terms": len(parsed.terms),
                  "total": result.total}
        for kind in ("count", "page", "facets"):
            timing[f"{kind}_ms"] = round(statistics.median(runs[kind]), 2) if kind in runs else 0.0
        sent.append(statements)
        timing["sql_ms"] = round(timing["count_ms"] + timing["page_ms"] + timing["facets_ms"], 2)
        rows.append(timing)
    sql_totals = [r["sql_ms"] for r in rows]
    summary = {name: {"p50": round(percentile([r[f"{name}_ms"] for r in rows], 50), 2),
                      "p95": round(percentile([r[f"{name}_ms"] for r in rows], 95), 2),
                      "max": round(max(r[f"{name}_ms"] for r in rows), 2),
                      "sum": round(sum(r[f"{name}_ms"] for r in rows), 1)}
               for name in ("parse", "count", "page", "facets", "sql")}
    slowest = sorted(range(len(rows)), key=lambda i: sql_totals[i], reverse=True)
    if show_plans is None:
        show_plans = slowest[:5]
    for i in show_plans:
        rows[i]["plans"] = {kind: [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
                            for kind, (sql, params) in sent[i].items()}
        rows[i]["sql"] = {kind: sql for kind, (sql, _) in sent[i].items()}
    return {"summary": summary, "slowest_sql": [rows[i] for i in slowest[:8]],
            "plans": [rows[i] for i in show_plans], "per_query": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="URL of a running server")
    parser.add_argument("--instance", type=Path, help="instance dir to serve with gunicorn -w 2")
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--repeat", type=int, default=3, help="measured passes (median per query)")
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--sql", action="store_true", help="also time the three SQL statements (needs --instance)")
    parser.add_argument("--skip-http", action="store_true", help="with --sql: only the in-process SQL timing")
    parser.add_argument("--out", type=Path, help="write the full result as JSON")
    args = parser.parse_args(argv)
    if not args.base and not args.instance:
        parser.error("give --base or --instance")
    queries = load_queries(args.queries)
    result = {"load_before": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
              "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    if args.skip_http:
        if not (args.sql and args.instance):
            parser.error("--skip-http needs --sql and --instance")
        result["sql"] = run_sql(args.instance.resolve(), queries, args.per_page, None)
        print(json.dumps(result["sql"]["summary"], indent=1))
        for row in result["sql"]["slowest_sql"]:
            print(json.dumps(row, ensure_ascii=False))
        if args.out:
            args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    if args.base:
        result["http"] = run_http(args.base.rstrip("/"), queries, args.repeat, args.per_page)
    else:
        log = ROOT / "bench" / "results" / f"gunicorn-{args.port}.log"
        with gunicorn(args.instance.resolve(), args.port, args.workers, log) as base:
            result["http"] = run_http(base, queries, args.repeat, args.per_page)
    result["load_after"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    if args.sql:
        if not args.instance:
            parser.error("--sql needs --instance")
        slow = [queries.index((s["q"], s["filters"])) for s in result["http"]["slowest"]]
        result["sql"] = run_sql(args.instance.resolve(), queries, args.per_page, slow)
    http = result["http"]
    if args.out:  # before printing, so a closed pipe cannot lose the result
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in http.items() if k != "per_query"}, ensure_ascii=False, indent=1))
    if args.sql:
        print(json.dumps(result["sql"]["summary"], indent=1))
        for row in result["sql"]["slowest_sql"]:
            print(json.dumps({k: v for k, v in row.items() if k != "plans"}, ensure_ascii=False))
        for row in result["sql"]["plans"]:
            print(json.dumps(row, ensure_ascii=False, indent=1))
    return 1 if http["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
