"""Start and stop a gunicorn server on an instance for the search benchmarks (loopback only)."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
# The application code the benchmarks run: the working tree by default, or a snapshot such as
# `git archive HEAD | tar -x -C /tmp/src` named by BENCH_SRC (other people edit the tree meanwhile).
SRC = Path(os.environ.get("BENCH_SRC", ROOT)).resolve()


def app_env(instance: Path) -> dict:
    """Environment for running the app on `instance` from SRC."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEARCH_INDEX_PATH", "SEARCH_BACKEND")}
    env.update(INSTANCE_PATH=str(instance.resolve()), APP_ENV="production", PYTHONPATH=str(SRC))
    return env


def load_queries(path: Path) -> list[tuple[str, str]]:
    """(query text, extra query string) per line of queries.txt; the filters follow a TAB."""
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, _, extra = line.partition("\t")
        queries.append((text, extra.strip()))
    return queries


def query_path(text: str, extra: str, per_page: int = 20) -> str:
    """The API path for one benchmark query."""
    from urllib.parse import quote

    path = f"/api/v1/search?q={quote(text)}&per_page={per_page}"
    if extra:
        path += "&" + "&".join(
            f"{quote(k)}={quote(v)}" for k, _, v in (pair.partition("=") for pair in extra.split("&"))
        )
    return path


@contextlib.contextmanager
def gunicorn(instance: Path, port: int, workers: int = 2, log: Path | None = None, env_extra: dict | None = None,
             pids: list | None = None):
    """Serve `instance` on 127.0.0.1:port with gunicorn; yield the base URL; stop it afterwards.

    The master's pid is appended to `pids` when given (worker_rss() reads its workers)."""
    if not 8100 <= port <= 8199:
        raise ValueError("benchmarks use ports 8100-8199 only")
    env = app_env(instance) | (env_extra or {})
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (outlives this block: the server's log)
    proc = subprocess.Popen(
        [str(GUNICORN), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120", "wsgi:app"],
        cwd=SRC, env=env, stdout=out, stderr=out, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    if pids is not None:
        pids.append(proc.pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn on port {port} did not come up")
            time.sleep(0.5)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)  # the gunicorn master we started, by its pid
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        if log:
            out.close()


def worker_rss(master_pid: int) -> list[dict]:
    """Resident memory of each gunicorn worker (children of the master), MiB: total, anonymous, file-backed
    (mapped index files, shared by the workers), and Pss (shared pages divided among the processes using them)."""
    workers = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master_pid):
            kib = {k: int(fields[k].split()[0]) for k in ("VmRSS", "RssAnon", "RssFile") if k in fields}
            kib["Pss"] = _pss_kib(status.parent / "smaps_rollup")
            workers.append({"pid": int(status.parent.name), **{k: round(v / 1024, 1) for k, v in kib.items()}})
    return sorted(workers, key=lambda w: w["pid"])


def _pss_kib(path: Path) -> int:
    """Proportional set size from /proc/<pid>/smaps_rollup (0 if unreadable)."""
    try:
        line = next(row for row in path.read_text().splitlines() if row.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0
    return int(line.split()[1])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the given processes so far (/proc/<pid>/stat; gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")
