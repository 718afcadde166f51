"""Absolute addresses of public pages (canonical links, share links, QR codes, feeds).

Built from the PUBLIC_BASE_URL setting, never from the request's Host header: a forged Host
must not end up in a canonical link, a printed QR code or a feed. Without the setting (local
runs, tests) the address is relative to the server that answered, as url_for(_external) gives.
"""
from __future__ import annotations

from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    """The absolute public address of `endpoint` (e.g. public_url("web.case_page", case_id=1))."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base + url_for(endpoint, **values)
