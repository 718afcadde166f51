"""Every setting, declared once: its environment variable, type, default and purpose.

`load_settings()` reads the environment with typed parsing (environs); `create_app(test_config)`
lays a mapping over it. Code reads settings from `current_app.config[...]` only: no
`os.environ` and no defaults anywhere else. README.md's configuration table lists the same names.
"""
from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from environs import Env, EnvError

from app.urls import trusted_hosts

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
APP_ENVS = ("production", "development", "testing")


class SettingsError(RuntimeError):
    """A setting in the environment that cannot be used (the message names it)."""


def _secret_key(instance: Path) -> str:
    """A random key persisted in the instance folder (used when SECRET_KEY is not set)."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        instance.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """All settings from the environment; paths default to the instance folder (from `overrides` first)."""
    overrides = dict(overrides or {})
    env = Env()
    try:
        return _read(env, overrides)
    except EnvError as exc:
        raise SettingsError(f"配置无效：{exc}") from exc


def _read(env: Env, overrides: dict[str, Any]) -> dict[str, Any]:
    """Read every setting; a value in `overrides` wins over the environment."""
    app_env = overrides.get("APP_ENV") or env.str("APP_ENV", "production")
    if app_env not in APP_ENVS:
        raise SettingsError(f"配置无效：APP_ENV 应为 {'、'.join(APP_ENVS)} 之一，而不是 {app_env!r}")
    instance = Path(overrides.get("INSTANCE_PATH") or env.path("INSTANCE_PATH", DEFAULT_INSTANCE))
    settings: dict[str, Any] = {
        "APP_ENV": app_env,
        "TESTING": app_env == "testing",
        "DEBUG": app_env == "development",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": env.str("SECRET_KEY", "") or _secret_key(instance),
        "LOG_LEVEL": env.log_level("LOG_LEVEL", logging.INFO),
        # Database: SQLite file by default, PostgreSQL in production (postgresql+psycopg://…).
        "SQLALCHEMY_DATABASE_URI": env.str("DATABASE_URL", f"sqlite:///{instance / 'yianshifa.sqlite3'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        # Search: embedded engine in the instance folder, or Elasticsearch / OpenSearch (docs/search-engines.md).
        "SEARCH_BACKEND": env.str("SEARCH_BACKEND", "embedded"),
        "SEARCH_INDEX_PATH": env.str("SEARCH_INDEX_PATH", str(instance / "search-index")),
        "SEARCH_URL": env.str("SEARCH_URL", "http://127.0.0.1:9200"),
        "SEARCH_USERNAME": env.str("SEARCH_USERNAME", "") or None,
        "SEARCH_PASSWORD": env.str("SEARCH_PASSWORD", "") or None,
        "SEARCH_API_KEY": env.str("SEARCH_API_KEY", "") or None,
        "SEARCH_CA_CERTS": env.str("SEARCH_CA_CERTS", "") or None,
        "SEARCH_VERIFY_CERTS": env.bool("SEARCH_VERIFY_CERTS", True),
        "SEARCH_TIMEOUT": env.float("SEARCH_TIMEOUT", 10.0),
        "SEARCH_INDEX_PREFIX": env.str("SEARCH_INDEX_PREFIX", "yianshifa"),
        "SEARCH_SHARDS": env.int("SEARCH_SHARDS", 1),
        # "0-1": one replica as soon as the cluster has a second node; or a fixed number.
        "SEARCH_REPLICAS": env.str("SEARCH_REPLICAS", "0-1"),
        "SEARCH_LOCK_PATH": env.str("SEARCH_LOCK_PATH", str(instance / "search-lock")),
        # Apply outbox rows right after each commit (never waiting: a busy index leaves them to `search sync`).
        "SEARCH_SYNC_ON_COMMIT": env.bool("SEARCH_SYNC_ON_COMMIT", True),
        # Processes that run an import's de-identification check and index analysis beside the writer (0: in the
        # importing process). One per core: the writer waits for them a third of the time, and on a quiet 2-core
        # machine 2 workers import 10,000 cases at 198-220 cases/s against 166-173 with 1 (docs/benchmarks.md).
        "IMPORT_WORKERS": env.int("IMPORT_WORKERS", os.cpu_count() or 1),
        # /healthz says "degraded" when outbox rows wait longer than this.
        "OUTBOX_MAX_AGE_SECONDS": env.int("OUTBOX_MAX_AGE_SECONDS", 60),
        # The most time one search may take in the engine before it is cut off.
        "SEARCH_TIME_BUDGET_MS": env.int("SEARCH_TIME_BUDGET_MS", 500),
        # Result pages kept per worker until the index changes (0: none, e.g. to benchmark uncached searches).
        "SEARCH_PAGE_CACHE_SIZE": env.int("SEARCH_PAGE_CACHE_SIZE", 256),
        # Lay questions (15+ characters) rank up cases citing 问法条's best articles: one article search more.
        "SEARCH_ARTICLE_EVIDENCE": env.bool("SEARCH_ARTICLE_EVIDENCE", True),
        # Web: cookies, proxies, public address.
        "SESSION_COOKIE_SECURE": env.bool("SESSION_COOKIE_SECURE", False),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted (ProxyFix).
        "PROXY_FIX": env.int("PROXY_FIX", 0),
        # The site's public address (https://pufa.example.gov.cn): canonical links, QR codes, feeds.
        "PUBLIC_BASE_URL": env.str("PUBLIC_BASE_URL", ""),
        # Further host names to answer for (besides PUBLIC_BASE_URL's), e.g. an intranet name.
        "TRUSTED_HOSTS_EXTRA": env.list("TRUSTED_HOSTS", []),
        # A touch-screen kiosk in a government hall: large targets, no external links, idle reset.
        "KIOSK_MODE": env.bool("KIOSK_MODE", False),
        "KIOSK_IDLE_SECONDS": env.int("KIOSK_IDLE_SECONDS", 120),
        # Accounts and login.
        "AUTH_IDLE_MINUTES": env.int("AUTH_IDLE_MINUTES", 60),
        "AUTH_SESSION_HOURS": env.int("AUTH_SESSION_HOURS", 12),
        "LOGIN_MAX_FAILURES": env.int("LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCKOUT_MINUTES": env.int("LOGIN_LOCKOUT_MINUTES", 15),
        "LOGIN_IP_LIMIT": env.int("LOGIN_IP_LIMIT", 30),
        "LOGIN_IP_WINDOW_MINUTES": env.int("LOGIN_IP_WINDOW_MINUTES", 15),
        "PASSWORD_MIN_LENGTH": env.int("PASSWORD_MIN_LENGTH", 10),
        # Uploaded originals (judgments), outside the web root; deleted after extraction unless kept.
        "UPLOAD_FOLDER": env.str("UPLOAD_FOLDER", str(instance / "uploads")),
        "UPLOAD_PARSE_SECONDS": env.int("UPLOAD_PARSE_SECONDS", 10),
        # 菜单式普法 (app/services/orders.py): deadlines in days, counted from the step's start.
        "ORDER_DISPATCH_DAYS": env.int("ORDER_DISPATCH_DAYS", 3),  # 已点单 → 已派单
        "ORDER_ACCEPT_DAYS": env.int("ORDER_ACCEPT_DAYS", 3),  # 已派单 → 已接单 / 已拒单
        "ORDER_EVALUATION_DAYS": env.int("ORDER_EVALUATION_DAYS", 30),  # then 归档 without an evaluation
        # The orderer's name, phone and remarks are deleted this many days after the order closes.
        "ORDER_RETENTION_DAYS": env.int("ORDER_RETENTION_DAYS", 180),
        # Public order form: at most ORDER_RATE_LIMIT submissions (mistakes too) per address per window.
        "ORDER_RATE_LIMIT": env.int("ORDER_RATE_LIMIT", 10),
        "ORDER_RATE_WINDOW_MINUTES": env.int("ORDER_RATE_WINDOW_MINUTES", 60),
        "ORDER_CHALLENGE": env.bool("ORDER_CHALLENGE", True),  # the self-hosted arithmetic question
        # Delivery photos: re-encoded without EXIF, kept outside the web root, files 0600.
        "PHOTO_FOLDER": env.str("PHOTO_FOLDER", str(instance / "photos")),
        "PHOTO_MAX_BYTES": env.int("PHOTO_MAX_BYTES", 10 * 1024 * 1024),
        # The home page shows 普法 calendar dates this many days ahead.
        "CALENDAR_LOOKAHEAD_DAYS": env.int("CALENDAR_LOOKAHEAD_DAYS", 30),
        # The OpenAPI document (flask-smorest), generated from the schemas: /api/v1/openapi.json.
        "API_TITLE": "以案释法案例库 API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
    settings.update(overrides)
    # Flask refuses requests for any other Host (400): a forged Host header cannot reach a page.
    settings["TRUSTED_HOSTS"] = trusted_hosts(settings["PUBLIC_BASE_URL"], settings["TRUSTED_HOSTS_EXTRA"])
    return settings

