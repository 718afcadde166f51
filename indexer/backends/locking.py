"""A writer lock shared by processes on one machine: flock() on a file, re-entrant per thread."""
from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from indexer.backends.base import IndexBusy, SearchUnavailable


class FileLock:
    """Serialises index writers (drains, rebuilds) across threads and processes."""

    def __init__(self, path: str | Path, timeout: float = 30.0):
        self.path = Path(path)
        self.timeout = timeout
        self._local = threading.local()

    @contextlib.contextmanager
    def held(self, wait: bool = True) -> Iterator[None]:
        """Hold the lock (re-entrant in one thread); waits up to `timeout`, or not at all with wait=False."""
        if getattr(self._local, "depth", 0):
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+")  # noqa: SIM115 (closed by the `with handle` below)
        except OSError as exc:
            raise SearchUnavailable(f"lock file unusable: {exc}") from exc
        with handle:
            self._acquire(handle, self.timeout if wait else 0.0)
            self._local.depth = 1
            try:
                yield
            finally:
                self._local.depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _acquire(handle, timeout: float) -> None:
        """flock() the file, polling until `timeout` seconds have passed (0: try once)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy("search index is busy (another drain or a rebuild holds the writer lock)") from None
                time.sleep(0.05)
