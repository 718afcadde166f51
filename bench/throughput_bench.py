"""Requests per second at a fixed concurrency with wrk (hand-run, never by tests).

    .venv/bin/python bench/throughput_bench.py --instance bench/results/instance-10000 \
        [--workers 2,4] [--clients 8,16] [--duration 20] [--repeat 1]

For every gunicorn worker count: start gunicorn on the instance (loopback, port 8120+workers),
warm it up with one pass over the queries, then for every client count run
`wrk -t2 -cC -dDs --latency -s bench/wrk_rotate.lua URL -- bench/results/urls.txt`, which rotates
over the 200 queries of bench/queries.txt. Reports req/s, errors (non-2xx/3xx, socket errors)
and latency percentiles; the median run by req/s when --repeat > 1. wrk runs on the same two
cores as the server, so it takes its share of the CPU.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import ROOT, gunicorn, load_queries, query_path

RESULTS = ROOT / "bench" / "results"


def wrk(base: str, clients: int, duration: int, urls: Path) -> dict:
    """One wrk run; its JSON summary."""
    proc = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{duration}s", "--timeout", "10s", "--latency",
         "-s", str(ROOT / "bench" / "wrk_rotate.lua"), base, "--", str(urls)],
        capture_output=True, text=True, check=True,
    )
    line = next(row for row in proc.stdout.splitlines() if row.startswith("WRKJSON "))
    return json.loads(line.removeprefix("WRKJSON "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--workers", default="2,4")
    parser.add_argument("--clients", default="8,16")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--queries", type=Path, default=ROOT / "bench" / "queries.txt")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    urls = RESULTS / "urls.txt"
    paths = [query_path(text, extra) for text, extra in load_queries(args.queries)]
    urls.write_text("\n".join(paths) + "\n", encoding="utf-8")
    for workers in (int(w) for w in args.workers.split(",")):
        port = 8120 + workers
        with gunicorn(args.instance.resolve(), port, workers, RESULTS / f"gunicorn-{port}.log") as base:
            for path in paths:  # warm-up: dictionaries loaded, pages cached in every worker
                urllib.request.urlopen(base + path, timeout=60).read()
            for clients in (int(c) for c in args.clients.split(",")):
                runs = []
                for _ in range(args.repeat):
                    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
                    result = wrk(base, clients, args.duration, urls)
                    result.update(workers=workers, clients=clients, load_before=load,
                                  instance=str(args.instance), started=time.strftime("%H:%M:%S"))
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
