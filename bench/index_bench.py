"""Embedded engines side by side: index build from ready documents, size, engine query latency (hand-run).

    .venv/bin/python bench/index_bench.py --instance bench/results/instance-10000 [--engines tantivy,fts5]
        [--repeat 3] [--skip-build]

1. Ready documents: every published case of the instance analysed once (indexer.documents.build_document,
   the project's own mapping) and written to bench/results/docs-<instance>.pickle (kept; reused).
2. Build: for each engine, `rebuild()` of its backend from that file (streamed: the time includes
   unpickling, measured alone too; engines take turns, --build-repeat times, median by wall time;
   CPU seconds of the process, all threads, beside it), into the instance's own index directory — tantivy into
   `search-index/` (the embedded default), FTS5 into `search-index-fts5/` — so the API benchmarks
   can serve either (SEARCH_BACKEND=embedded / fts5 with SEARCH_INDEX_PATH). Cases/s and size on disk.
3. Engine queries: the 200 queries of bench/queries.txt made into SearchRequests the way
   app.services.search.search does (parse_query, hot-issue words, filters, default sort),
   run on each backend in-process, engines interleaved per query, with and without facets;
   the facet caches are emptied before every call, so each figure is a full search. Per query the
   median of --repeat passes after one warm-up pass; p50/p95 over the 200 medians. With two engines
   also: on how many queries the totals differ, and the mean overlap of their top 10.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import ROOT, load_queries
from bench.search_bench import percentile

RESULTS = ROOT / "bench" / "results"
INDEX_DIRS = {"tantivy": "search-index", "fts5": "search-index-fts5"}
BUDGET_MS = 60_000  # measure slow searches whole instead of cutting them off at SEARCH_TIME_BUDGET_MS


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def make_backend(engine: str, directory: Path):
    """A backend of the project on `directory`."""
    if engine == "tantivy":
        from indexer.backends.tantivy import TantivyBackend

        return TantivyBackend(directory, time_budget_ms=BUDGET_MS)
    from indexer.backends.fts5 import Fts5Backend

    return Fts5Backend(directory, time_budget_ms=BUDGET_MS)


def dump_documents(app, path: Path) -> dict:
    """Analyse every published case once into a stream of pickled SearchDocuments."""
    from app.extensions import db
    from app.services.index_sync import public_documents

    start, count = time.perf_counter(), 0
    partial = path.with_suffix(".partial")
    with app.app_context(), open(partial, "wb") as out:
        for doc in public_documents(db.session):
            pickle.dump(doc, out, protocol=pickle.HIGHEST_PROTOCOL)
            count += 1
    partial.replace(path)  # only a complete dump is reused
    return {"documents": count, "analyse_s": round(time.perf_counter() - start, 1)}


def read_documents(path: Path):
    """The ready documents, one at a time."""
    with open(path, "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def build(engine: str, instance: Path, docs_path: Path) -> dict:
    """Rebuild the engine's index in the instance from the ready documents."""
    directory = instance / INDEX_DIRS[engine]
    if engine == "fts5" and directory.exists():
        shutil.rmtree(directory)  # tantivy's directory also holds the article index: its rebuild swaps instead
    backend = make_backend(engine, directory)
    load_before = os.getloadavg()[0]
    wall, cpu0 = time.perf_counter(), cpu()
    with backend.locked():
        count = backend.rebuild(read_documents(docs_path))
    wall, cpu_s = time.perf_counter() - wall, cpu() - cpu0
    return {"engine": engine, "documents": count, "build_s": round(wall, 1), "cases_per_s": round(count / wall),
            "cpu_s": round(cpu_s, 1), "index_mb": index_mb(engine, directory), "load_before": round(load_before, 2)}


def index_mb(engine: str, directory: Path) -> float:
    """Size of the live case index only (tantivy: its directory; FTS5: its files)."""
    if engine == "tantivy":
        return dir_mb(directory / (directory / "CURRENT").read_text().strip())
    return dir_mb(directory)


def requests(app, queries):
    """SearchRequests as the search service builds them (no facets; the caller sets with_facets)."""
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


def query_latency(backends: dict, reqs, repeat: int) -> dict:
    """Per engine and facet setting: p50/p95/max of per-query medians (ms), engines interleaved."""
    samples = {(e, f): [[] for _ in reqs] for e in backends for f in (True, False)}
    totals: dict[str, list[int]] = {e: [] for e in backends}
    pages: dict[str, list[list[int]]] = {e: [] for e in backends}
    for attempt in range(repeat + 1):  # the first pass warms up
        for i, request in enumerate(reqs):
            for engine, backend in backends.items():
                for facets in (True, False):
                    request.with_facets = facets
                    backend._facet_cache.clear()  # a full search each time, as on a first visit
                    start = time.perf_counter()
                    result = backend.search(request)
                    elapsed = (time.perf_counter() - start) * 1000
                    if attempt:
                        samples[(engine, facets)][i].append(elapsed)
                    elif facets:
                        totals[engine].append(result.total)
                        pages[engine].append(result.ids)
    report = {}
    for (engine, facets), runs in samples.items():
        medians = [statistics.median(r) for r in runs]
        report[f"{engine}_{'facets' if facets else 'no_facets'}"] = {
            "p50_ms": round(percentile(medians, 50), 2), "p95_ms": round(percentile(medians, 95), 2),
            "max_ms": round(max(medians), 2), "mean_ms": round(statistics.fmean(medians), 2)}
    if len(totals) == 2:  # the second engine's answers against the first's
        a, b = totals.values()
        report["totals_differ"] = sum(x != y for x, y in zip(a, b))
        first, second = pages.values()
        overlaps = [len(set(x[:10]) & set(y[:10])) / len(x[:10]) for x, y in zip(first, second) if x]
        report["top10_overlap"] = {"mean": round(statistics.fmean(overlaps), 3), "queries_with_hits": len(overlaps),
                                   "at_least_0.8": sum(o >= 0.8 for o in overlaps)}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--engines", default="tantivy,fts5")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true", help="reuse the indexes already built")
    parser.add_argument("--build-repeat", type=int, default=3, help="builds per engine (median reported)")
    parser.add_argument("--queries", type=Path, default=ROOT / "bench" / "queries.txt")
    args = parser.parse_args(argv)
    instance = args.instance.resolve()
    os.environ.update(INSTANCE_PATH=str(instance), APP_ENV="production", SEARCH_SYNC_ON_COMMIT="0")
    from app import create_app

    app = create_app()
    engines = args.engines.split(",")
    report = {"instance": str(instance), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
              "load_before": os.getloadavg()}
    docs_path = RESULTS / f"docs-{instance.name}.pickle"
    if not docs_path.exists():
        report["analysis"] = dump_documents(app, docs_path)
    start = time.perf_counter()
    read = sum(1 for _ in read_documents(docs_path))
    report["unpickle_s"] = round(time.perf_counter() - start, 1)
    report["ready_documents"] = read
    if not args.skip_build:  # engines take turns, --build-repeat times; the median run by wall time
        runs = [build(engine, instance, docs_path) for _ in range(args.build_repeat) for engine in engines]
        report["build_runs"] = runs
        report["build"] = [sorted((r for r in runs if r["engine"] == e), key=lambda r: r["build_s"])[len(runs) // len(engines) // 2]
                           for e in engines]
        print(json.dumps(report["build"]), flush=True)
    backends = {engine: make_backend(engine, instance / INDEX_DIRS[engine]) for engine in engines}
    report["sizes_mb"] = {engine: index_mb(engine, instance / INDEX_DIRS[engine]) for engine in engines}
    report["queries"] = query_latency(backends, requests(app, load_queries(args.queries)), args.repeat)
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, ensure_ascii=False, indent=1))
    with open(RESULTS / "index_bench.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(report, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
