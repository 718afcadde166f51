"""Caches kept per application instance (each gunicorn worker, each test app) — never module globals,
which would carry one database's answers into another app in the same process."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import LRUCache
from flask import current_app

T = TypeVar("T")
_LOCK = threading.Lock()


def app_lru(name: str, maxsize: int) -> LRUCache:
    """This app's LRU cache called `name` (created on first use)."""
    caches = current_app.extensions.setdefault("yianshifa.caches", {})
    with _LOCK:
        if name not in caches:
            caches[name] = LRUCache(maxsize=maxsize)
        return caches[name]


def app_memo(name: str, maxsize: int, key: Hashable, build: Callable[[], T]) -> T:
    """build()'s value for `key`, computed once in this app's LRU cache `name`: the key holds what
    invalidates the value (for derived counts, the search index generation)."""
    cache = app_lru(name, maxsize)
    if key not in cache:
        cache[key] = build()
    return cache[key]


def app_snapshot(name: str, ttl: float, build: Callable[[], T]) -> T:
    """A value rebuilt at most every `ttl` seconds per app (e.g. the taxonomy's labels)."""
    snapshots: dict[str, tuple[float, Any]] = current_app.extensions.setdefault("yianshifa.snapshots", {})
    now = time.monotonic()
    entry = snapshots.get(name)
    if entry is None or now - entry[0] > ttl:
        entry = (now, build())
        snapshots[name] = entry
    return entry[1]


def forget_snapshot(name: str) -> None:
    """Drop a snapshot in this process (after a change made here, e.g. `flask taxonomy load`)."""
    current_app.extensions.setdefault("yianshifa.snapshots", {}).pop(name, None)
