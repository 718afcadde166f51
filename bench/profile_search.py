"""Where a search request spends its time: cProfile over the 200 queries, in-process (hand-run).

    .venv/bin/python bench/profile_search.py bench/results/instance-10000 [--top 30] [--passes 1]

Runs every query of bench/queries.txt through the Flask test client once to warm up, then
--passes times under cProfile, and prints the functions with the most cumulative and own time.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import ROOT, SRC, load_queries, query_path

sys.path.insert(0, str(SRC))  # the application code under test (BENCH_SRC, default: the working tree)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    for name in ("DATABASE_URL", "SEARCH_INDEX_PATH", "SEARCH_BACKEND"):
        os.environ.pop(name, None)
    os.environ["INSTANCE_PATH"] = str(args.instance.resolve())
    from app import create_app

    client = create_app().test_client()
    paths = [query_path(t, e) for t, e in load_queries(ROOT / "bench" / "queries.txt")]
    for path in paths:
        assert client.get(path).status_code == 200, path
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for _ in range(args.passes):
        for path in paths:
            client.get(path)
    profiler.disable()
    elapsed = time.perf_counter() - start
    print(f"{len(paths) * args.passes} requests in {elapsed:.1f} s under cProfile "
          f"({elapsed * 1000 / len(paths) / args.passes:.1f} ms/request)")
    if args.out:
        profiler.dump_stats(args.out)
    for key in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(key).print_stats(args.top)
        print(buffer.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
