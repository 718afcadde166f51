"""Absolute addresses of public pages (canonical links, share links, QR codes, feeds).

Built from the PUBLIC_BASE_URL setting, never from the request's Host header: a forged Host
must not end up in a canonical link, a printed QR code or a cached page. When PUBLIC_BASE_URL
is set, only its host (and TRUSTED_HOSTS) is accepted at all (Flask answers other Hosts with 400).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    """The absolute public address of `endpoint`, e.g. for a QR code or a share link.

    Without PUBLIC_BASE_URL (a local run, the tests) it is the address of the server that
    answered: the only address a phone scanning a local QR code could reach anyway.
    """
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base + url_for(endpoint, **values)


def canonical_url(endpoint: str, **values) -> str:
    """The canonical address of a page: absolute from PUBLIC_BASE_URL, else the path alone (never the Host)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + url_for(endpoint, **values)


def trusted_hosts(public_base_url: str, extra: list[str]) -> list[str] | None:
    """Host names the app answers for: PUBLIC_BASE_URL's and TRUSTED_HOSTS; None (any) when neither is set."""
    hosts = list(extra)
    if public_base_url:
        hosts.append(urlsplit(public_base_url).hostname or "")
    return [h for h in hosts if h] or None
