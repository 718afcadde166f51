"""Requests per second at a fixed concurrency with wrk (hand-run, never by tests).

    .venv/bin/python bench/throughput_bench.py --instance bench/results/instance-10000 \
        [--workers 2,4] [--clients 8,16] [--duration 20] [--repeat 1]

For every gunicorn worker count: start gunicorn on the instance (loopback, port --port+workers,
by default 8120+workers);
the first pass over the 200 queries of bench/queries.txt is sent by C concurrent clients
(the first client count) to the fresh workers and reported on its own as the cold pass (every
cache empty: facet counts, similar cases, the index's pages in the workers); then for every
client count run `wrk -t2 -cC -dDs --latency -s bench/wrk_rotate.lua URL -- bench/results/urls.txt`,
which rotates over the same 200 queries (steady state). Reports req/s, errors (non-2xx/3xx,
socket errors), latency percentiles and the resident memory of each worker afterwards; the
median run by req/s when --repeat > 1. wrk runs on the same two cores as the server, so it
takes its share of the CPU. --backend embedded|opensearch picks the engine (time budget raised
to 60 s so slow searches are measured, not cut off). CPU per request of the steady run: the
workers' CPU seconds during wrk over its requests, and the engine's (--engine-pid, e.g. the
OpenSearch JVM) beside it; both stable under load, unlike req/s.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import ROOT, cpu_seconds, gunicorn, load_queries, query_path, worker_rss
from bench.search_bench import fetch, percentile

RESULTS = ROOT / "bench" / "results"


def wrk(base: str, clients: int, duration: int, urls: Path) -> dict:
    """One wrk run; its JSON summary."""
    proc = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{duration}s", "--timeout", "10s", "--latency",
         "-s", str(ROOT / "bench" / "wrk_rotate.lua"), base, "--", str(urls)],
        capture_output=True, text=True, check=True,
    )
    line = next(out for out in proc.stdout.splitlines() if out.startswith("WRKJSON "))
    return json.loads(line.removeprefix("WRKJSON "))


def cold_pass(base: str, paths: list[str], clients: int) -> dict:
    """Every query once, from `clients` concurrent clients, on fresh workers: req/s and latency."""
    from concurrent.futures import ThreadPoolExecutor

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        answers = list(pool.map(lambda path: fetch(base, path), paths))
    elapsed = time.perf_counter() - start
    latencies = [ms for ms, _, _ in answers]
    return {"pass": "cold", "requests": len(paths), "clients": clients, "rps": round(len(paths) / elapsed, 1),
            "errors": sum(status != 200 for _, status, _ in answers), "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1), "max_ms": round(max(latencies), 1)}


def backend_env(backend: str, instance: Path) -> dict:
    """Environment selecting the engine, with the time budget raised so that slow searches are measured."""
    # slow searches measured whole; BENCH_PAGE_CACHE=0 measures every search uncached
    return {"SEARCH_BACKEND": backend, "SEARCH_TIME_BUDGET_MS": "60000",
            "SEARCH_PAGE_CACHE_SIZE": os.environ.get("BENCH_PAGE_CACHE", "256")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--workers", default="2,4")
    parser.add_argument("--clients", default="8,16")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--queries", type=Path, default=ROOT / "bench" / "queries.txt")
    parser.add_argument("--backend", default="embedded", help="embedded (tantivy), opensearch …")
    parser.add_argument("--port", type=int, default=8120, help="gunicorn listens on this plus the worker count")
    parser.add_argument("--engine-pid", type=int, help="also count this process's CPU per request (the engine)")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    urls = RESULTS / "urls.txt"
    paths = [query_path(text, extra) for text, extra in load_queries(args.queries)]
    urls.write_text("\n".join(paths) + "\n", encoding="utf-8")
    for workers in (int(w) for w in args.workers.split(",")):
        port = args.port + workers
        pids: list[int] = []
        clients_list = [int(c) for c in args.clients.split(",")]
        with gunicorn(args.instance.resolve(), port, workers, RESULTS / f"gunicorn-{port}.log",
                      env_extra=backend_env(args.backend, args.instance.resolve()), pids=pids) as base:
            cold = cold_pass(base, paths, clients_list[0])
            cold.update(workers=workers, backend=args.backend, instance=str(args.instance),
                        load_before=" ".join(Path("/proc/loadavg").read_text().split()[:3]))
            print(json.dumps(cold), flush=True)
            with open(RESULTS / "throughput.jsonl", "a") as out:
                out.write(json.dumps(cold) + "\n")
            for path in paths:  # finish warming: every query seen by every worker at least once more
                urllib.request.urlopen(base + path, timeout=60).read()
            for clients in clients_list:
                runs = []
                for _ in range(args.repeat):
                    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
                    workers_pids = [w["pid"] for w in worker_rss(pids[0])]
                    cpu0 = cpu_seconds(workers_pids), cpu_seconds([args.engine_pid] if args.engine_pid else [])
                    result = wrk(base, clients, args.duration, urls)
                    spent = (cpu_seconds(workers_pids) - cpu0[0],
                             cpu_seconds([args.engine_pid] if args.engine_pid else []) - cpu0[1])
                    result.update(worker_cpu_ms_per_request=round(spent[0] * 1000 / max(result["requests"], 1), 1),
                                  engine_cpu_ms_per_request=round(spent[1] * 1000 / max(result["requests"], 1), 1)
                                  if args.engine_pid else None)
                    result.update(workers=workers, clients=clients, load_before=load, backend=args.backend,
                                  instance=str(args.instance), started=time.strftime("%H:%M:%S"),
                                  worker_rss_mib=worker_rss(pids[0]))
                    runs.append(result)
                    print(json.dumps(result), flush=True)
                    with open(RESULTS / "throughput.jsonl", "a") as out:
                        out.write(json.dumps(result) + "\n")
                if len(runs) > 1:
                    median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
                    print("MEDIAN " + json.dumps(median), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
