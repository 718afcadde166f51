"""Two source trees on one instance over HTTP, taking turns on every query (hand-run, never by tests).

    git archive main | tar -x -C /tmp/base-src
    .venv/bin/python bench/ab_bench.py --instance /work/bench-data/instance-100000 --base-src /tmp/base-src \
        [--new-src .] [--cache 0] [--repeat 2] [--port 8130]

Each tree is served by its own gunicorn -w 2 (its own gunicorn.conf.py; ports --port and --port+1,
within 8100-8199) with the time budget raised to 60 s and SEARCH_PAGE_CACHE_SIZE=--cache (0: every
search uncached). The 200 queries of bench/queries.txt are sent one at a time, each to both trees in
alternating order, so load from other work on a shared machine falls on both alike: one pass on the
fresh workers (reported as the first pass), then --repeat measured passes (per-query median).
Reports p50/p95/p99, the first pass, the workers' CPU milliseconds per measured request (utime +
stime from /proc: steadier than wall time under load) and each worker's memory afterwards.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import ROOT, load_queries, query_path, worker_rss
from bench.search_bench import percentile

TICK = os.sysconf("SC_CLK_TCK")
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def serve(src: Path, instance: Path, port: int, cache: str) -> subprocess.Popen:
    """gunicorn -w 2 for `src` on `instance`, once /healthz answers."""
    if not 8100 <= port <= 8199:
        raise ValueError("benchmarks use ports 8100-8199 only")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEARCH_INDEX_PATH", "SEARCH_BACKEND")}
    env.update(INSTANCE_PATH=str(instance), APP_ENV="production", PYTHONPATH=str(src),
               SEARCH_TIME_BUDGET_MS="60000", SEARCH_PAGE_CACHE_SIZE=cache)
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    log = open(ROOT / "bench" / "results" / f"ab-{port}.log", "ab")  # noqa: SIM115 (the server's log)
    proc = subprocess.Popen([str(GUNICORN), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "120", "wsgi:app"],
                            cwd=src, env=env, stdout=log, stderr=log, start_new_session=True)
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn for {src} on port {port} did not come up")


def worker_cpu_ms(master: int) -> float:
    """CPU time (user + system) of the master's workers so far, in milliseconds."""
    total = 0
    for worker in worker_rss(master):
        fields = Path(f"/proc/{worker['pid']}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total * 1000 / TICK


def timed_get(port: int, path: str) -> float:
    """Milliseconds for one request, which must answer 200."""
    start = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--base-src", type=Path, required=True)
    parser.add_argument("--new-src", type=Path, default=ROOT)
    parser.add_argument("--cache", default="0", help="SEARCH_PAGE_CACHE_SIZE for both (0: uncached)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--port", type=int, default=8130)
    args = parser.parse_args(argv)
    trees = {"base": (args.base_src.resolve(), args.port), "new": (args.new_src.resolve(), args.port + 1)}
    paths = [query_path(text, extra) for text, extra in load_queries(ROOT / "bench" / "queries.txt")]
    procs = {name: serve(src, args.instance.resolve(), port, args.cache) for name, (src, port) in trees.items()}
    try:
        load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])

        def turns(i: int) -> list[str]:
            return list(trees) if i % 2 == 0 else list(trees)[::-1]

        first: dict[str, list[float]] = {name: [] for name in trees}
        for i, path in enumerate(paths):
            for name in turns(i):
                first[name].append(timed_get(trees[name][1], path))
        cpu_before = {name: worker_cpu_ms(proc.pid) for name, proc in procs.items()}
        measured: dict[str, list[list[float]]] = {name: [[] for _ in paths] for name in trees}
        for _ in range(args.repeat):
            for i, path in enumerate(paths):
                for name in turns(i):
                    measured[name][i].append(timed_get(trees[name][1], path))
        load_after = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        for name, proc in procs.items():
            medians = [statistics.median(ms) for ms in measured[name]]
            cpu = (worker_cpu_ms(proc.pid) - cpu_before[name]) / (len(paths) * args.repeat)
            print(json.dumps({
                "tree": name, "src": str(trees[name][0]), "instance": str(args.instance), "cache": args.cache,
                "p50_ms": round(percentile(medians, 50), 1), "p95_ms": round(percentile(medians, 95), 1),
                "p99_ms": round(percentile(medians, 99), 1),
                "first_pass_p50_ms": round(percentile(first[name], 50), 1),
                "first_pass_p95_ms": round(percentile(first[name], 95), 1),
                "first_pass_s": round(sum(first[name]) / 1000, 2), "cpu_ms_per_request": round(cpu, 2),
                "load": f"{load_before} -> {load_after}", "workers_mib": worker_rss(proc.pid)}), flush=True)
    finally:
        for proc in procs.values():
            proc.terminate()  # the gunicorn masters this script started, by their pids
        for proc in procs.values():
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
