"""The embedded engine alone: index build from ready documents, size, engine query latency (hand-run).

    .venv/bin/python bench/index_bench.py --instance bench/results/instance-10000 [--repeat 3] [--skip-build]

1. Ready documents: every public case of the instance analysed once (indexer.documents.build_document,
   the project's own mapping) and written to bench/results/docs-<instance>.pickle (kept; reused).
2. Build: `rebuild()` of the backend from that file (streamed: the time includes unpickling,
   measured alone too; --build-repeat times, median by wall time; CPU seconds of the process, all
   threads, beside it) into the instance's own `search-index/`, which the API benchmarks then serve.
   Cases/s and the size of the live index on disk.
3. Engine queries: the 200 queries of bench/queries.txt made into SearchRequests the way
   app.services.search.search does (parse_query, hot-issue words, filters, default sort), run on
   the backend in-process with and without facets; the facet cache is emptied before every call,
   so each figure is a full search. Per query the median of --repeat passes after one warm-up
   pass; p50/p95 over the 200 medians.
   With --opensearch URL --prefix P the same SearchRequests also go to the OpenSearch backend on the
   index `flask search reindex` built under that prefix (SEARCH_BACKEND=opensearch), the two engines
   taking turns on every query so that both see the same load (the engine keeps its own caches).

The FTS5 engine that tantivy replaced was measured side by side (engines taking turns per build
and per query) by this script's version in the commit before "Remove the FTS5 engine"
(`git log --grep "Remove the FTS5 engine"`; `--engines tantivy,fts5`); docs/benchmarks.md has the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import ROOT, load_queries
from bench.search_bench import percentile

RESULTS = ROOT / "bench" / "results"
BUDGET_MS = 60_000  # measure slow searches whole instead of cutting them off at SEARCH_TIME_BUDGET_MS


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def make_backend(directory: Path):
    """The project's embedded backend on `directory`."""
    from indexer.backends.tantivy import TantivyBackend

    return TantivyBackend(directory, time_budget_ms=BUDGET_MS)


def dump_documents(app, path: Path) -> dict:
    """Analyse every listed case once into a stream of pickled SearchDocuments."""
    from app.extensions import db
    from app.services.index_sync import listed_documents

    start, cpu0, count = time.perf_counter(), cpu(), 0
    partial = path.with_suffix(".partial")
    with app.app_context(), open(partial, "wb") as out:
        for doc in listed_documents(db.session):
            pickle.dump(doc, out, protocol=pickle.HIGHEST_PROTOCOL)
            count += 1
    partial.replace(path)  # only a complete dump is reused
    return {"documents": count, "analyse_s": round(time.perf_counter() - start, 1), "cpu_s": round(cpu() - cpu0, 1),
            "load_after": round(os.getloadavg()[0], 2)}


def read_documents(path: Path):
    """The ready documents, one at a time."""
    with open(path, "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def live_index_mb(directory: Path) -> float:
    """Size of the live case index only (the directory also holds the article index)."""
    return dir_mb(directory / (directory / "CURRENT").read_text().strip())


def build(directory: Path, docs_path: Path) -> dict:
    """Rebuild the index from the ready documents (it swaps in beside the article index)."""
    backend = make_backend(directory)
    load_before = os.getloadavg()[0]
    wall, cpu0 = time.perf_counter(), cpu()
    with backend.locked():
        count = backend.rebuild(read_documents(docs_path))
    wall, cpu_s = time.perf_counter() - wall, cpu() - cpu0
    return {"documents": count, "build_s": round(wall, 1), "cases_per_s": round(count / wall),
            "cpu_s": round(cpu_s, 1), "index_mb": live_index_mb(directory), "load_before": round(load_before, 2)}


def requests(app, queries):
    """SearchRequests as the search service builds them (the caller sets with_facets)."""
    from app.services.search import default_sort, filter_keys, topic_words
    from indexer.backends.base import SearchRequest
    from indexer.query import parse_query

    out = []
    with app.app_context():
        for text, extra in queries:
            args: dict = {}
            for key, value in parse_qsl(extra):
                args.setdefault(key, []).append(value)
            parsed = parse_query(text)
            parsed.synonyms += topic_words(parsed.terms + parsed.synonyms)
            sort = args.pop("sort", [None])[0] or default_sort(parsed)
            out.append(SearchRequest(query=parsed, filters=filter_keys(args), sort=sort, per_page=20))
    return out


def opensearch_backend(app, url: str, prefix: str):
    """The project's OpenSearch backend on the index under `prefix` (built by `flask search reindex`)."""
    from app.services.search import make_backend

    config = dict(app.config, SEARCH_BACKEND="opensearch", SEARCH_URL=url, SEARCH_INDEX_PREFIX=prefix,
                  SEARCH_TIME_BUDGET_MS=BUDGET_MS)
    return make_backend(config)


def query_latency(backends: dict, reqs, repeat: int) -> dict:
    """Per backend, with and without facets: p50/p95/max of per-query medians (ms), backends taking turns."""
    samples = {(name, facets): [[] for _ in reqs] for name in backends for facets in (True, False)}
    cpu_s = dict.fromkeys(backends, 0.0)
    for attempt in range(repeat + 1):  # the first pass warms up
        for i, request in enumerate(reqs):
            for name, backend in backends.items():
                for facets in (True, False):
                    request.with_facets = facets
                    if hasattr(backend, "_facet_cache"):
                        backend._facet_cache.clear()  # a full search each time, as on a first visit
                    start, cpu0 = time.perf_counter(), cpu()
                    backend.search(request)
                    if attempt:
                        samples[name, facets][i].append((time.perf_counter() - start) * 1000)
                        cpu_s[name] += cpu() - cpu0
    report = {}
    for (name, facets), runs in samples.items():
        medians = [statistics.median(r) for r in runs]
        report.setdefault(name, {"client_cpu_ms_per_search": round(cpu_s[name] * 1000 / (2 * repeat * len(reqs)), 2)})
        report[name]["facets" if facets else "no_facets"] = {
            "p50_ms": round(percentile(medians, 50), 2), "p95_ms": round(percentile(medians, 95), 2),
            "max_ms": round(max(medians), 2), "mean_ms": round(statistics.fmean(medians), 2)}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true", help="reuse the index already built")
    parser.add_argument("--build-repeat", type=int, default=3, help="builds (median reported)")
    parser.add_argument("--queries", type=Path, default=ROOT / "bench" / "queries.txt")
    parser.add_argument("--opensearch", metavar="URL", help="also query the OpenSearch backend at URL, taking turns")
    parser.add_argument("--prefix", help="SEARCH_INDEX_PREFIX of the OpenSearch index (with --opensearch)")
    args = parser.parse_args(argv)
    instance = args.instance.resolve()
    directory = instance / "search-index"
    os.environ.update(INSTANCE_PATH=str(instance), APP_ENV="production", SEARCH_SYNC_ON_COMMIT="0")
    from app import create_app

    app = create_app()
    report = {"instance": str(instance), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
              "load_before": os.getloadavg()}
    docs_path = RESULTS / f"docs-{instance.name}.pickle"
    if not docs_path.exists():
        report["analysis"] = dump_documents(app, docs_path)
    start = time.perf_counter()
    report["ready_documents"] = sum(1 for _ in read_documents(docs_path))
    report["unpickle_s"] = round(time.perf_counter() - start, 1)
    if not args.skip_build:
        runs = [build(directory, docs_path) for _ in range(args.build_repeat)]
        report["build_runs"] = runs
        report["build"] = sorted(runs, key=lambda r: r["build_s"])[len(runs) // 2]
        print(json.dumps(report["build"]), flush=True)
    report["index_mb"] = live_index_mb(directory)
    backends = {"tantivy": make_backend(directory)}
    if args.opensearch:
        backends["opensearch"] = opensearch_backend(app, args.opensearch, args.prefix)
    report["queries_load_before"] = os.getloadavg()
    report["queries"] = query_latency(backends, requests(app, load_queries(args.queries)), args.repeat)
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, ensure_ascii=False, indent=1))
    with open(RESULTS / "index_bench.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(report, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
