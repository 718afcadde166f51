"""Anonymous read counts: one counter per public page per day, nothing about the reader.

No IP, no cookie, no user agent is stored; obvious robots (by user-agent pattern), HEAD requests
and browser prefetches are not counted. The count is one upsert
(INSERT … ON CONFLICT DO UPDATE SET n = n + 1) on its own short connection, so concurrent readers
on SQLite and PostgreSQL never lose an increment. It runs when the response closes, after the
page has been sent, so it cannot slow the page; a lock wait is still bounded (LOCK_WAIT_MS) so a
stuck database cannot tie up a worker. Every failure is logged and ignored: it never breaks the page.
"""
from __future__ import annotations

import datetime as dt
import logging
import re

from flask import current_app, request
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import OrganisationPageView, PageView

log = logging.getLogger(__name__)
BOTS = re.compile(
    r"bot|crawl|spider|slurp|archiver|fetch|scan|monitor|preview|curl|wget|python|java/|go-http|okhttp|"
    r"httpclient|libwww|headless|phantomjs|lighthouse|pingdom|feedparser|yandex|baidu|bytespider|sogou|"
    r"bingpreview|facebookexternalhit|wechat.*preview", re.IGNORECASE)
LOCK_WAIT_MS = 2000


def is_robot(user_agent: str | None) -> bool:
    """True for a missing user agent or one that names a robot, crawler, script or headless browser."""
    return not user_agent or bool(BOTS.search(user_agent))


def should_count(method: str, headers) -> bool:
    """A real page view: GET, not a prefetch, not a robot."""
    purpose = (headers.get("Sec-Purpose") or headers.get("Purpose") or "").lower()
    return method == "GET" and "prefetch" not in purpose and not is_robot(headers.get("User-Agent"))


def count_view(kind: str, object_id: int, organisation_id: int | None, day: dt.date | None = None) -> bool:
    """Add one read of a page (kind "case" or "collection") for today; False if it failed."""
    values = {"kind": kind, "object_id": object_id, "day": day or dt.date.today(),
              "organisation_id": organisation_id, "n": 1}
    try:
        with db.engine.connect() as conn:
            dialect = conn.dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            per_page = insert(PageView).values(**values).on_conflict_do_update(
                index_elements=["kind", "object_id", "day"], set_={"n": PageView.n + 1})
            per_body = insert(OrganisationPageView).values(
                organisation_id=organisation_id, kind=kind, day=values["day"], n=1).on_conflict_do_update(
                index_elements=["organisation_id", "kind", "day"], set_={"n": OrganisationPageView.n + 1})
            if dialect == "sqlite":
                conn.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
            elif dialect == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'")
            try:
                conn.execute(per_page)
                if organisation_id is not None:
                    conn.execute(per_body)
                conn.commit()
            finally:
                if dialect == "sqlite":
                    conn.exec_driver_sql("PRAGMA busy_timeout=30000")  # the pool's usual wait
        return True
    except Exception:  # a read counter must never take the page down
        log.warning("read count failed for %s %s", kind, object_id, exc_info=True)
        return False


def count_after_response(response, kind: str, object_id: int, organisation_id: int | None) -> bool:
    """Count the current request as a read (when it is one) once `response` has been sent."""
    if not should_count(request.method, request.headers):
        return False
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the real app, for after the request
    day = dt.date.today()

    def count() -> None:
        with app.app_context():
            count_view(kind, object_id, organisation_id, day)

    response.call_on_close(count)
    return True
