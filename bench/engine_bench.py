"""Search latency on Elasticsearch/OpenSearch: through the API vs the bare engine, and the embedded engine.

    .venv/bin/python bench/engine_bench.py --instance bench/results/instance-10000 \\
        --url http://127.0.0.1:9201 --prefix bench10k [--port 8120] [--repeat 3]

The instance's cases must already be in the engine under --prefix (`flask search reindex` with
SEARCH_BACKEND=opensearch SEARCH_INDEX_PREFIX=…). For the 200 queries of bench/queries.txt:
  api-engine    HTTP /api/v1/search on gunicorn (-w 2) with the engine backend
  bare-engine   the engine requests that search makes (same bodies), timed at the Python client
  api-embedded  HTTP /api/v1/search on gunicorn with the embedded (tantivy) index of the same instance
Per query the median of --repeat passes after a warm-up pass; p50/p95 over the 200 medians.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import ROOT, SRC, gunicorn, load_queries, query_path
from bench.search_bench import percentile, run_http

sys.path.insert(0, str(SRC))


def bare_engine(instance: Path, env: dict, queries, repeat: int, per_page: int) -> dict:
    """Time only the engine round trips of each search, in-process (same request bodies as the API)."""
    from urllib.parse import parse_qsl

    from werkzeug.datastructures import MultiDict

    os.environ.update(env, INSTANCE_PATH=str(instance.resolve()), APP_ENV="production")
    from app import create_app
    from app.services import search as search_service
    from schemas.search import SearchArgsSchema, args_from_multidict

    app = create_app()
    with app.app_context():
        client = search_service.backend().client
        spent: list[float] = []
        original = client.request

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent.append((time.perf_counter() - start) * 1000)

        client.request = timed
        samples = [[] for _ in queries]
        for attempt in range(repeat + 1):  # the first pass warms up
            for i, (text, extra) in enumerate(queries):
                path = query_path(text, extra, per_page)
                args = SearchArgsSchema().load(args_from_multidict(MultiDict(parse_qsl(path.split("?", 1)[1]))))
                spent.clear()
                search_service.search(args)
                if attempt:
                    samples[i].append(sum(spent))
    medians = [statistics.median(s) for s in samples]
    return {"queries": len(medians), "p50_ms": round(percentile(medians, 50), 1),
            "p95_ms": round(percentile(medians, 95), 1), "mean_ms": round(statistics.fmean(medians), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--url", default="http://127.0.0.1:9201")
    parser.add_argument("--backend", default="opensearch", choices=["opensearch", "elasticsearch"])
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--port", type=int, default=8120)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-page", type=int, default=20)
    args = parser.parse_args()
    queries = load_queries(ROOT / "bench" / "queries.txt")
    env = {"SEARCH_BACKEND": args.backend, "SEARCH_URL": args.url, "SEARCH_INDEX_PREFIX": args.prefix,
           "SEARCH_SYNC_ON_COMMIT": "0"}
    report = {"instance": str(args.instance), "load_before": os.getloadavg()}
    with gunicorn(args.instance, args.port, env_extra=env) as base:
        report["api_engine"] = _summary(run_http(base, queries, args.repeat, args.per_page))
    report["bare_engine"] = bare_engine(args.instance, env, queries, args.repeat, args.per_page)
    with gunicorn(args.instance, args.port + 1) as base:
        report["api_embedded"] = _summary(run_http(base, queries, args.repeat, args.per_page))
    report["overhead_p50"] = round(report["api_engine"]["p50_ms"] / report["bare_engine"]["p50_ms"], 2)
    report["overhead_p95"] = round(report["api_engine"]["p95_ms"] / report["bare_engine"]["p95_ms"], 2)
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, ensure_ascii=False, indent=1))


def _summary(result: dict) -> dict:
    """The percentiles of a run_http result, without the per-query list."""
    return {k: result[k] for k in ("queries", "errors", "p50_ms", "p95_ms", "p99_ms", "mean_ms")}


if __name__ == "__main__":
    main()
