"""Search latency of /api/v1/search (or the /search page), one query at a time (hand-run, never by tests).

    .venv/bin/python bench/search_bench.py --base http://127.0.0.1:8100
    .venv/bin/python bench/search_bench.py --instance bench/results/instance-10000 --port 8110 [--backend opensearch]
    .venv/bin/python bench/search_bench.py --instance bench/results/instance-10000 --test-client
    .venv/bin/python bench/search_bench.py --instance bench/results/instance-10000 --page html

With several --backend values (embedded,opensearch) each is served alike (one gunicorn per backend on
consecutive ports, or one app each with --test-client) and they take turns on every query, so
load from other work falls on all of them alike.

Sends the 200 queries of bench/queries.txt (text, then a TAB and extra query-string arguments
such as case_type=刑事) to /api/v1/search?q=…&per_page=20 sequentially: one warm-up pass, then
--repeat measured passes. Latency per query is the median of its passes; the report gives
p50/p95/p99/max over the 200 queries and the slowest five. Every answer must be HTTP 200.
--page html times the results page /search with the same arguments instead (a filter given by name
is redirected to its code once, in the warm-up pass; the measured passes ask for the final address).

--instance starts gunicorn (-w 2, loopback, ports 8100-8199) on that instance and stops it
afterwards; --test-client instead runs the same passes in this process through Flask's test
client (the request path without HTTP and gunicorn). --backend picks the engine (bench/index_bench.py
times the embedded engine alone). The time budget is raised to 60 s so slow searches are measured.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
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


def fetch(base: str, path: str, page: str = "api") -> tuple[float, int, int | None]:
    """(milliseconds, HTTP status, total hits — None for the HTML page) for one request."""
    if page == "html":
        path = _html_paths.get(path) or path.replace("/api/v1/search", "/search", 1)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=60) as response:
            body = response.read()
            status, final = response.status, response.url
    except urllib.error.HTTPError as exc:
        body, status, final = exc.read(), exc.code, None
    elapsed = (time.perf_counter() - start) * 1000
    if page == "html":
        if final:  # after a redirect (a filter by name), ask for the canonical address from now on
            _html_paths[path] = final.removeprefix(base)
        return elapsed, status, None
    total = json.loads(body).get("total") if status == 200 else None
    return elapsed, status, total


_html_paths: dict[str, str] = {}  # results-page path as asked → its address after a redirect


def run_http(base: str, queries: list[tuple[str, str]], repeat: int, per_page: int, page: str = "api") -> dict:
    """Warm-up pass, then `repeat` measured passes over HTTP; per-query medians and their percentiles."""
    return run_passes(lambda path: fetch(base, path, page), queries, repeat, per_page)


def run_passes(get, queries: list[tuple[str, str]], repeat: int, per_page: int) -> dict:
    """Warm-up pass, then `repeat` measured passes of get(path) → (ms, status, total)."""
    return run_interleaved({"only": get}, queries, repeat, per_page)["only"]


def run_interleaved(getters: dict, queries: list[tuple[str, str]], repeat: int, per_page: int) -> dict:
    """Like run_passes for several targets at once, taking turns on every query (same load for each)."""
    paths = [query_path(text, extra, per_page) for text, extra in queries]
    for path in paths:
        for get in getters.values():
            get(path)
    samples = {name: [[] for _ in paths] for name in getters}
    totals = {name: [None] * len(paths) for name in getters}
    errors: dict[str, list] = {name: [] for name in getters}
    for _ in range(repeat):
        for i, path in enumerate(paths):
            for name, get in getters.items():
                ms, status, total = get(path)
                samples[name][i].append(ms)
                totals[name][i] = total
                if status != 200:
                    errors[name].append((queries[i], status))
    return {name: _summary(queries, samples[name], totals[name], errors[name], repeat) for name in getters}


def _summary(queries, samples, totals, errors, repeat) -> dict:
    """Percentiles over the per-query medians, and the slowest queries."""
    medians = [statistics.median(s) for s in samples]
    order = sorted(range(len(queries)), key=lambda i: medians[i], reverse=True)
    return {
        "queries": len(queries), "passes": repeat, "errors": len(errors), "error_examples": errors[:5],
        "p50_ms": round(percentile(medians, 50), 1), "p95_ms": round(percentile(medians, 95), 1),
        "p99_ms": round(percentile(medians, 99), 1), "max_ms": round(max(medians), 1),
        "mean_ms": round(statistics.fmean(medians), 1),
        "slowest": [{"q": queries[i][0], "filters": queries[i][1], "ms": round(medians[i], 1), "total": totals[i]}
                    for i in order[:5]],
        "per_query": [{"q": q, "filters": f, "ms": round(m, 1), "total": t}
                      for (q, f), m, t in zip(queries, medians, totals)],
    }


def test_client_getter(instance: Path, env: dict):
    """get(path) through Flask's test client on an app of this process (no HTTP, no gunicorn)."""
    os.environ.update(env, INSTANCE_PATH=str(instance), APP_ENV="production")
    from app import create_app

    client = create_app().test_client()
    for key in env:  # the next app reads its own settings
        os.environ.pop(key, None)

    def get(path: str) -> tuple[float, int, int | None]:
        start = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - start) * 1000
        return elapsed, response.status_code, (response.get_json() or {}).get("total")

    return get


def backend_env(backend: str, instance: Path | None) -> dict:
    """Environment selecting the engine, with the time budget raised so that slow searches are measured."""
    # slow searches measured whole; BENCH_PAGE_CACHE=0 measures every search uncached
    return {"SEARCH_BACKEND": backend, "SEARCH_TIME_BUDGET_MS": "60000",
            "SEARCH_PAGE_CACHE_SIZE": os.environ.get("BENCH_PAGE_CACHE", "256")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="URL of a running server")
    parser.add_argument("--instance", type=Path, help="instance dir to serve with gunicorn -w 2")
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", default="embedded",
                        help="embedded (tantivy), opensearch …; several (embedded,opensearch) take turns per query")
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--repeat", type=int, default=3, help="measured passes (median per query)")
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--test-client", action="store_true", help="in-process Flask test client instead of HTTP")
    parser.add_argument("--page", choices=("api", "html"), default="api",
                        help="api: /api/v1/search; html: the results page /search (HTTP only)")
    parser.add_argument("--out", type=Path, help="write the full result as JSON")
    args = parser.parse_args(argv)
    if not args.base and not args.instance:
        parser.error("give --base or --instance")
    if args.page == "html" and args.test_client:
        parser.error("--page html is timed over HTTP only")
    queries = load_queries(args.queries)
    instance = args.instance.resolve() if args.instance else None
    backends = args.backend.split(",")
    result = {"load_before": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
              "started": time.strftime("%Y-%m-%d %H:%M:%S"), "path": "test client" if args.test_client else "http", "page": args.page}
    if args.test_client:
        if not instance:
            parser.error("--test-client needs --instance")
        getters = {b: test_client_getter(instance, backend_env(b, instance)) for b in backends}
        result["backends"] = run_interleaved(getters, queries, args.repeat, args.per_page)
    elif args.base:
        result["backends"] = {"server": run_http(args.base.rstrip("/"), queries, args.repeat, args.per_page,
                                                 args.page)}
    else:
        with contextlib.ExitStack() as stack:
            getters = {}
            for n, backend in enumerate(backends):
                log = ROOT / "bench" / "results" / f"gunicorn-{args.port + n}.log"
                base = stack.enter_context(gunicorn(instance, args.port + n, args.workers, log,
                                                    env_extra=backend_env(backend, instance)))
                getters[backend] = lambda path, base=base: fetch(base, path, args.page)
            result["backends"] = run_interleaved(getters, queries, args.repeat, args.per_page)
    result["load_after"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    if args.out:  # before printing, so a closed pipe cannot lose the result
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    brief = {k: v for k, v in result.items() if k != "backends"}
    brief["backends"] = {name: {k: v for k, v in r.items() if k != "per_query"}
                         for name, r in result["backends"].items()}
    print(json.dumps(brief, ensure_ascii=False, indent=1))
    return 1 if any(r["errors"] for r in result["backends"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
