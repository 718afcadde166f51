"""Import and index throughput on fresh instances (hand-run, never by tests).

    .venv/bin/python bench/import_bench.py [--sizes 1420,10000,100000] [--repeat 1] [--profile]

For every size: a fresh INSTANCE_PATH under bench/results/ (git-ignored), `db upgrade`,
`taxonomy load`, then the timed steps:
  1. `flask --app wsgi cases import FILES --quiet`  (validate + write + outbox + index, end to end)
  2. `flask --app wsgi search reindex`              (index only: rebuild from the database)
and the sizes of the database file and of the index directory. Size 1420 uses the real files in
seed_cases/; other sizes use bench/results/corpus-N.jsonl, made by make_corpus.py if missing.
The instance of the last repetition is kept (bench/results/instance-N) for search_bench.py.
Results are appended to bench/results/import.jsonl. With --profile, the import runs under
cProfile and the profile is written to bench/results/import-N.prof (timings are then inflated).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
VENV = ROOT / ".venv" / "bin"
# Application code to run: the working tree, or a snapshot named by BENCH_SRC (see _server.py).
SRC = Path(os.environ.get("BENCH_SRC", ROOT)).resolve()
SEED_FILES = sorted((ROOT / "seed_cases").glob("*.jsonl"))
REAL_SIZE = 1420


def load() -> str:
    """The 1/5/15-minute load average, for the record."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def dir_size(path: Path) -> int:
    """Bytes in a directory tree."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def corpus(size: int) -> list[Path]:
    """Input files for a size (made on first use)."""
    if size == REAL_SIZE:
        return SEED_FILES
    path = RESULTS / f"corpus-{size}.jsonl"
    if not path.exists():
        subprocess.run([VENV / "python", ROOT / "bench" / "make_corpus.py", str(size), path, "--seed", str(size)],
                       check=True)
    return [path]


def group_cpu(group: int) -> dict[int, float]:
    """CPU seconds so far of every process in a process group (from /proc), by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # fields after the name: state, ppid, pgrp, … utime (12), stime (13)
            found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def flask(env: dict, *args: str, profile: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Run one flask command; wall-clock seconds and the finished process (CPU seconds in .cpu_s)."""
    if profile:
        cmd = [str(VENV / "python"), "-m", "cProfile", "-o", str(profile), str(VENV / "flask"), "--app", "wsgi", *args]
    else:
        cmd = [str(VENV / "flask"), "--app", "wsgi", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(cmd, cwd=SRC, env=env, stdout=out, stderr=err, text=True, start_new_session=True)
        tree_cpu: dict[int, float] = {}
        while child.poll() is None:  # the pool's workers (forkserver) are not reaped by us: sample them
            tree_cpu.update(group_cpu(child.pid))
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        proc = subprocess.CompletedProcess(cmd, child.returncode, out.read(), err.read())
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tree_cpu.pop(child.pid, None)  # its final figure is cpu_s
    proc.tree_cpu_s = proc.cpu_s + sum(tree_cpu.values())
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"flask {' '.join(args[:2])} failed with exit code {proc.returncode}")
    return elapsed, proc


def run_once(size: int, instance: Path, profile: bool) -> dict:
    """One fresh instance: setup, timed import, timed reindex, sizes."""
    files = corpus(size)
    if instance.exists():
        shutil.rmtree(instance)
    instance.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEARCH_INDEX_PATH", "SEARCH_BACKEND")}
    env.update(INSTANCE_PATH=str(instance), APP_ENV="production", PYTHONHASHSEED="0", PYTHONPATH=str(SRC))
    flask(env, "db", "upgrade")
    flask(env, "taxonomy", "load")
    result = {"size": size, "src": str(SRC), "instance": str(instance.relative_to(ROOT)),
              "load_before_import": load(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    prof = RESULTS / f"import-{size}.prof" if profile else None
    seconds, proc = flask(env, "cases", "import", *map(str, files), "--quiet", profile=prof)
    result.update(import_s=round(seconds, 2), import_cases_per_s=round(size / seconds, 1),
                  import_cpu_s=round(proc.cpu_s, 2), import_cases_per_cpu_s=round(size / proc.cpu_s, 1),
                  import_all_cpu_s=round(proc.tree_cpu_s, 2),
                  import_ms_cpu_per_case=round(1000 * proc.tree_cpu_s / size, 2),
                  import_report=proc.stderr.strip().splitlines()[-1])
    _, proc = flask(env, "search", "status")
    status = json.loads(proc.stdout)
    result.update(indexed=status["engine"].get("documents"), published=status["listed_cases"],
                  backlog=status["outbox_backlog"])
    result["load_before_reindex"] = load()
    seconds, proc = flask(env, "search", "reindex")
    result.update(reindex_s=round(seconds, 2), reindex_cases_per_s=round(size / seconds, 1),
                  reindex_cpu_s=round(proc.cpu_s, 2), reindex_cases_per_cpu_s=round(size / proc.cpu_s, 1))
    result.update(db_mb=round((instance / "yianshifa.sqlite3").stat().st_size / 2**20, 1),
                  index_mb=round(dir_size(instance / "search-index") / 2**20, 1),
                  input_mb=round(sum(f.stat().st_size for f in files) / 2**20, 1), profiled=profile)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1420,10000,100000")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="import under cProfile (one run, not kept)")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        runs = []
        for rep in range(args.repeat):
            name = f"instance-{size}-profile" if args.profile else f"instance-{size}"
            result = run_once(size, RESULTS / name, args.profile)
            result["repetition"] = rep + 1
            runs.append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
            with open(RESULTS / "import.jsonl", "a", encoding="utf-8") as out:
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
        if len(runs) > 1:
            print(json.dumps({"size": size, "runs": len(runs),
                              "median_import_cases_per_s": statistics.median(r["import_cases_per_s"] for r in runs),
                              "median_reindex_cases_per_s": statistics.median(r["reindex_cases_per_s"] for r in runs)}),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
