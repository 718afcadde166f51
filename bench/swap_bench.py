"""Searches through the API while `flask search reindex` rebuilds and swaps the alias: none may fail.

    .venv/bin/python bench/swap_bench.py --instance bench/results/instance-10000 \\
        --url http://127.0.0.1:9201 --prefix bench10k [--port 8130] [--clients 2]

Serves the instance with gunicorn on the engine backend, runs --clients query loops over the
queries of bench/queries.txt, runs the reindex as a separate process, and reports the number of
searches, failures (anything but HTTP 200 with a total), and latency during the rebuild.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import ROOT, SRC, app_env, gunicorn, load_queries, query_path
from bench.search_bench import fetch, percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--url", default="http://127.0.0.1:9201")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--port", type=int, default=8130)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    env = {"SEARCH_BACKEND": "opensearch", "SEARCH_URL": args.url, "SEARCH_INDEX_PREFIX": args.prefix,
           "SEARCH_SYNC_ON_COMMIT": "0"}
    paths = [query_path(text, extra) for text, extra in load_queries(ROOT / "bench" / "queries.txt")]
    results: list[tuple[float, int, int | None]] = []
    stop = threading.Event()

    def loop(offset: int) -> None:
        i = offset
        while not stop.is_set():
            results.append(fetch(base, paths[i % len(paths)]))
            i += 1

    with gunicorn(args.instance, args.port, env_extra=env) as base:
        threads = [threading.Thread(target=loop, args=(n * 37,)) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        reindex = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "search", "reindex"],
                                 cwd=SRC, env=app_env(args.instance) | env, capture_output=True, text=True)
        elapsed = time.monotonic() - started
        time.sleep(2)  # a few searches after the swap too
        stop.set()
        for thread in threads:
            thread.join()
    failures = [r for r in results if r[1] != 200 or r[2] is None]
    latencies = [r[0] for r in results]
    print(json.dumps({
        "instance": str(args.instance), "reindex_exit": reindex.returncode, "reindex_s": round(elapsed, 1),
        "reindex_output": reindex.stderr.strip().splitlines()[-1:], "searches": len(results),
        "failures": len(failures), "failure_examples": failures[:5],
        "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies), 1), "load": os.getloadavg(),
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
