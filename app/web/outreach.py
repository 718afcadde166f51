"""Public pages of 菜单式普法 and 政务公开: the menu, the order form, order tracking and evaluation,
the public figures with every body's 责任清单, the 普法 calendar, and feeds of new cases."""
from __future__ import annotations

import datetime as dt
import logging

from feedgen.feed import FeedGenerator
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from app.extensions import db
from app.models import FORMS, ORDER_STATES, Case, CaseTag, Issuer, MenuItem
from app.models.outreach import AUDIENCES
from app.services import duties, stats
from app.services import menu as menu_service
from app.services import orders as order_service
from app.services.auth import Missing
from app.services.errors import WorkflowError
from app.services.taxonomy import all_terms
from app.urls import public_url
from app.web.auth import field_errors
from schemas.stats import StatsArgsSchema, args_from

bp = Blueprint("outreach", __name__)
log = logging.getLogger(__name__)
FEED_SIZE = 30
ORDER_FIELDS = ("unit", "contact_name", "contact_phone", "district", "town", "community", "audience_type",
                "audience_size", "window_start", "window_end", "menu_item_id", "topic", "hot_issue", "remarks")


@bp.app_context_processor
def _outreach_helpers() -> dict:
    """Labels and the calendar helper for templates (the home page includes the upcoming dates)."""
    return {"PUFA_AUDIENCES": AUDIENCES, "FORMS": FORMS, "ORDER_STATES": ORDER_STATES,
            "pufa_upcoming": _upcoming_for_home}


def _upcoming_for_home() -> list:
    """Key dates coming up, for the home page; a failure shows nothing rather than breaking it."""
    try:
        return duties.upcoming(days=int(current_app.config["CALENDAR_LOOKAHEAD_DAYS"]))
    except Exception:  # the home page must not depend on the calendar
        log.warning("upcoming key dates failed", exc_info=True)
        db.session.rollback()
        return []


def _private(response):
    """Pages behind a tracking code: never cached, never indexed, the code never sent as Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# ---- the menu ------------------------------------------------------------------------------
@bp.get("/menu")
def menu():
    """The 普法菜单 by audience, topic and area."""
    page = menu_service.public_menu(request.args.get("audience", "")[:20], request.args.get("topic", "")[:60],
                                    request.args.get("area", "")[:200])
    return render_template("outreach/menu.html", page=page)


@bp.get("/menu/<int:item_id>")
def menu_item(item_id: int):
    """One menu item with its provider, lecturers and linked cases."""
    item = menu_service.listed_item(item_id) or abort(404)
    return render_template("outreach/menu_item.html", item=item)


# ---- ordering ------------------------------------------------------------------------------
def _order_form(form: dict, errors: dict, status: int, message: str = ""):
    """The order form with the values typed so far, its errors and a fresh challenge."""
    items = list(db.session.scalars(select(MenuItem).where(MenuItem.state == "listed").order_by(MenuItem.title)))
    hot_issues = [t for t in all_terms() if t.scheme == "hot_issue"]
    challenge = order_service.new_challenge() if current_app.config["ORDER_CHALLENGE"] else None
    return render_template("outreach/order_form.html", form=form, errors=errors, items=items, hot_issues=hot_issues,
                           challenge=challenge, message=message, today=dt.date.today()), status


@bp.route("/orders/new", methods=["GET", "POST"])
def order_new():
    """点单 without an account; success leads to the tracking page."""
    if request.method == "GET":
        return _order_form({"menu_item_id": request.args.get("item", "")}, {}, 200)
    raw = {name: request.form.get(name, "") for name in (*ORDER_FIELDS, order_service.HONEYPOT,
                                                           "challenge_token", "challenge_answer")}
    try:
        order = order_service.place_order(raw, request.remote_addr or "")
    except order_service.RateLimited as refused:
        return _order_form(raw, {}, 429, refused.message)
    except ValidationError as exc:
        return _order_form(raw, field_errors(exc), 400, "提交未成功，请按提示修改标红的内容。")
    return redirect(url_for("outreach.track", code=order.tracking_code, new=1))


@bp.get("/orders/track")
def track_lookup():
    """Type a tracking code to follow an order."""
    code = order_service.normalise_code(request.args.get("code", ""))
    if len(code) == order_service.CODE_LENGTH:
        return redirect(url_for("outreach.track", code=code))
    error = "查询码应为 12 位字母和数字。" if request.args.get("code") else ""
    return render_template("outreach/track_lookup.html", error=error), 400 if error else 200


def _track_page(code: str, errors: dict | None = None, status: int = 200):
    """An order as its orderer sees it: state, timeline, and the cancel or evaluate form."""
    try:
        order = order_service.by_code(code)
    except Missing:
        missing = render_template("outreach/track_lookup.html", error="没有找到该查询码对应的点单，请核对后重新输入。")
        return _private(current_app.make_response((missing, 404)))
    response = current_app.make_response((render_template(
        "outreach/track.html", order=order, code=order_service.display_code(order.tracking_code),
        link=public_url("outreach.track", code=order.tracking_code),
        phone=order_service.masked_phone(order.contact_phone),
        errors=errors or {}, new=request.args.get("new") == "1", form=request.form), status))
    return _private(response)


@bp.get("/orders/track/<code>")
def track(code: str):
    """Follow an order by its tracking code."""
    return _track_page(code)


@bp.post("/orders/track/<code>/evaluate")
def evaluate(code: str):
    """评单 after the talk."""
    try:
        order_service.evaluate(code, request.form.to_dict())
    except ValidationError as exc:
        return _track_page(code, field_errors(exc), 400)
    except WorkflowError as exc:
        return _track_page(code, {"_schema": [exc.message]}, 409)
    return _private(redirect(url_for("outreach.track", code=order_service.normalise_code(code))))


@bp.post("/orders/track/<code>/cancel")
def cancel(code: str):
    """The orderer cancels an order not yet delivered."""
    try:
        order_service.cancel_by_orderer(code, request.form.get("reason", ""))
    except ValidationError as exc:
        return _track_page(code, field_errors(exc), 400)
    except WorkflowError as exc:
        return _track_page(code, {"_schema": [exc.message]}, 409)
    return _private(redirect(url_for("outreach.track", code=order_service.normalise_code(code))))


# ---- 政务公开: figures, 责任清单, calendar -----------------------------------------------------
def _period():
    """The period of ?year= / ?from=&to=, or (None, errors)."""
    try:
        data = StatsArgsSchema().load(args_from(request.args))
        return stats.period_for(data["year"], data["start"], data["end"]), {}
    except ValidationError as exc:
        return stats.period_for(), field_errors(exc)


@bp.get("/figures")
def figures():
    """Each body's figures and 普法责任清单 for a period (the same figures as the dashboard)."""
    period, errors = _period()
    report = stats.organisation_report(period)
    organisations = {org.id: org for org in db.session.scalars(select(Issuer))}
    return render_template("outreach/figures.html", report=report, errors=errors, today=dt.date.today(),
                           duty_lists=duties.public_duties(period.end.year), organisations=organisations,
                           years=range(dt.date.today().year, dt.date.today().year - 6, -1)), 400 if errors else 200


@bp.get("/calendar")
def calendar_page():
    """The 普法 calendar: national key dates and each body's 集中宣传日, in order of their next occurrence."""
    return render_template("outreach/calendar.html", occurrences=duties.calendar(), today=dt.date.today())


# ---- feeds ---------------------------------------------------------------------------------
@bp.get("/feeds")
def feeds():
    """Every feed, for 公众号 and website editors."""
    terms = all_terms()
    issuers = list(db.session.scalars(select(Issuer).order_by(Issuer.kind, Issuer.name)))
    return render_template("outreach/feeds.html", hot_issues=[t for t in terms if t.scheme == "hot_issue"],
                           law_topics=[t for t in terms if t.scheme == "law_topic"], issuers=issuers)


def _feed(title: str, page_url: str, self_endpoint: str, cases: list[Case], fmt: str, **values):
    """An Atom or RSS document of cases, newest first; every address from public_url()."""
    if fmt not in ("atom", "rss"):
        abort(404)
    generator = FeedGenerator()
    self_url = public_url(self_endpoint, fmt=fmt, **values)
    generator.id(self_url)
    generator.title(f"{title} - 以案释法案例库")
    generator.link(href=page_url, rel="alternate")
    generator.link(href=self_url, rel="self")
    generator.description(f"以案释法案例库：{title}的最新案例")
    generator.language("zh-CN")
    newest = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    for case in reversed(cases):  # feedgen prepends: add oldest first
        when = (dt.datetime.combine(case.published_date, dt.time(), tzinfo=dt.UTC) if case.published_date
                else case.created_at.replace(tzinfo=dt.UTC))
        newest = max(newest, when)
        entry = generator.add_entry()
        url = public_url("web.case_page", case_id=case.id)
        entry.id(url)
        entry.title(case.title)
        entry.link(href=url)
        entry.author({"name": case.issuer.name})
        entry.published(when)
        entry.updated(when)
        entry.summary(case.summary or next((s.text for s in case.sections if s.kind == "holding"), "")[:300]
                      or case.title)
    generator.updated(newest)
    body = generator.atom_str(pretty=True) if fmt == "atom" else generator.rss_str(pretty=True)
    mimetype = "application/atom+xml" if fmt == "atom" else "application/rss+xml"
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=600"
    return response


def _newest(*where) -> list[Case]:
    """The newest public cases matching `where`."""
    query = (select(Case).where(Case.is_public, *where)
             .order_by(Case.published_date.desc().nulls_last(), Case.id.desc()).limit(FEED_SIZE))
    return list(db.session.scalars(query))


def _term_feed(scheme: str, code: str, endpoint: str, page_endpoint: str, fmt: str):
    """The feed of one taxonomy term."""
    term = next((t for t in all_terms() if t.scheme == scheme and t.code == code), None) or abort(404)
    tagged = Case.id.in_(select(CaseTag.case_id).where(CaseTag.term_id == term.id))
    return _feed(term.name, public_url(page_endpoint, code=code), endpoint, _newest(tagged), fmt, code=code)


@bp.get("/feeds/hot-issues/<code>.<fmt>")
def hot_issue_feed(code: str, fmt: str):
    """New cases of a hot issue (Atom or RSS)."""
    return _term_feed("hot_issue", code, "outreach.hot_issue_feed", "web.hot_issue", fmt)


@bp.get("/feeds/law-topics/<code>.<fmt>")
def law_topic_feed(code: str, fmt: str):
    """New cases of a law topic (Atom or RSS)."""
    return _term_feed("law_topic", code, "outreach.law_topic_feed", "web.law_topic", fmt)


@bp.get("/feeds/organisations/<int:organisation_id>.<fmt>")
def organisation_feed(organisation_id: int, fmt: str):
    """New cases of one publishing body (Atom or RSS)."""
    org = db.session.get(Issuer, organisation_id) or abort(404)
    page = public_url("web.search_page", issuer=org.name)
    return _feed(org.name, page, "outreach.organisation_feed", _newest(Case.issuer_id == org.id), fmt,
                 organisation_id=organisation_id)
