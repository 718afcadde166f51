"""Public HTML pages: home, search, browse by hot issue / law topic / law, case page; health check."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import SECTION_KINDS, Case, CaseStatus
from app.services import catalog, index_sync, law_status, reads
from app.services import laws as laws_service
from app.services import search as search_service
from app.urls import canonical_url, public_url
from legaltext.citations import law_departments
from legaltext.numerals import NUMERAL, to_int
from schemas.fields import is_web_address
from schemas.search import SEARCH_ARGS, args_from_multidict

web = Blueprint("web", __name__)
FACET_LABELS = {"case_type": "案件类型", "issuer_kind": "发布机关类型", "issuer": "发布机关", "hot_issue": "热点问题",
                "law_topic": "法律部门", "law": "引用法律", "year": "年份"}
SORTS = {"relevance": "按相关度", "date": "按日期"}


@web.before_app_request
def _kiosk_mode() -> None:
    """Kiosk mode from the config flag, or ?kiosk=1 remembered in a cookie.

    A passer-by cannot leave it: there is no ?kiosk=0 and no exit link; a signed-in staff member
    ends it with the button on their account page (POST /kiosk/exit), or the configuration does.
    """
    flag = request.args.get("kiosk")
    g.kiosk_cookie = "1" if flag == "1" else None
    g.kiosk = current_app.config["KIOSK_MODE"] or flag == "1" or request.cookies.get("kiosk") == "1"


@web.after_app_request
def _remember_kiosk(response):
    """Persist ?kiosk=… in a cookie so every page of the visit stays in the mode."""
    if getattr(g, "kiosk_cookie", None) is not None:
        response.set_cookie("kiosk", g.kiosk_cookie, samesite="Lax", httponly=True)
    return response


@web.app_template_filter("web_address")
def _web_address(url: str | None) -> str | None:
    """The address if it is a plain http(s) link, else None: stored data is checked again at render."""
    return url if url and is_web_address(url.strip()) else None


@web.app_context_processor
def _template_helpers() -> dict:
    """Helpers every template may use."""
    return {"url_with": url_with, "url_adding": url_adding, "public_url": public_url, "canonical_url": canonical_url,
            "FACET_LABELS": FACET_LABELS, "SECTION_KINDS": SECTION_KINDS,
            "issuer_kind_label": catalog.issuer_kind_label, "SORTS": SORTS, "successors_of": _successors_of}


def _successors_of(citation) -> list:
    """The current articles replacing a cited article of a repealed law (for _citation.html)."""
    if citation.article is not None or law_status.repeal_of(citation.law_title) is None:
        return []
    return law_status.successors_for(citation.law_title, citation.number)


def url_with(add: tuple | None = None, remove: tuple | None = None, drop: tuple = (), **values) -> str:
    """The current page's URL with query arguments changed (page and kiosk reset unless given).

    Built from request.path rather than url_for: a results page calls this ~150 times.
    """
    args = _changed_search_args(drop)
    if add:
        args.add(*add)
    if remove:
        args.setlist(remove[0], [v for v in args.getlist(remove[0]) if v != remove[1]])
    for key, value in values.items():
        args.setlist(key, [value] if value not in (None, "") else [])
    query = urlencode(list(args.items(multi=True)))
    return request.path + ("?" + query if query else "")


def _changed_search_args(drop: tuple = ()) -> MultiDict:
    """The current query arguments for a link that changes the search: page and kiosk reset, `drop` dropped."""
    args = MultiDict(request.args)
    for key in ("page", "kiosk", *drop):
        args.poplist(key)
    return args


def url_adding(name: str, value: str) -> str:
    """url_with(add=(name, value)) for the facet links of a results page (hundreds at 100,000 cases, ≈ 9 ms
    of an uncached page through url_with): the rest of the query is encoded once per request."""
    base = request.environ.get("yianshifa.facet_link_base")  # the request's own (g may outlive it in tests)
    if base is None:
        base = urlencode(list(_changed_search_args().items(multi=True)))
        request.environ["yianshifa.facet_link_base"] = base
    return f"{request.path}?{base}{'&' if base else ''}{urlencode([(name, value)])}"


def _search_args(fixed: dict[str, str] | None = None) -> tuple[dict | None, dict | None]:
    """Validated search arguments from the query string plus a browse page's fixed filter."""
    raw = args_from_multidict(request.args)
    for name, value in (fixed or {}).items():
        raw[name] = list(dict.fromkeys([value, *raw.get(name, [])]))
    try:
        return SEARCH_ARGS.load(raw), None
    except ValidationError as exc:
        return None, exc.messages_dict  # a schema's load errors are always a dict


def _results(template: str, fixed: dict | None = None, **context):
    """Render a results page (search or browse) for the current arguments."""
    args, errors = _search_args(fixed)
    if args and (canonical := _canonical_filters(args, fixed or {})):
        return redirect(canonical, 301)
    page = search_service.search(args) if args else None
    active = [f for f in page.filters if (fixed or {}).get(f.name) != f.value] if page else []
    popular = catalog.overview()["hot_issues"] if page is not None and page.total == 0 else []
    status = 400 if errors else 200
    return render_template(template, args=args or {"q": request.args.get("q", "")}, page=page, errors=errors,
                           active=active, fixed=fixed or {}, popular=popular, **context), status


def _canonical_filters(args: dict, fixed: dict) -> str | None:
    """The same page's address with filters by code or id, when a link named a term or issuer."""
    keys = search_service.filter_keys(args)
    changed = {name: [v for v in values if v != fixed.get(name)] for name, values in keys.items()
               if values != args.get(name)}
    if not changed:
        return None
    query = MultiDict(request.args)
    for name, values in changed.items():
        query.setlist(name, values)
    return request.path + "?" + urlencode(list(query.items(multi=True)))


@web.get("/")
def home():
    """Search box, hot-issue tiles, law-topic tree, newest cases, issuer kinds (browse-first on a kiosk)."""
    if g.kiosk:
        from app.services.collections import published_topics

        return render_template("kiosk_home.html", topics=rotation(published_topics()), **catalog.overview())
    return render_template("home.html", **catalog.overview())


def rotation(items: list, size: int = 6) -> list:
    """A window of `size` items that moves on every hour, so a kiosk's 专题 change through the day."""
    import datetime as dt

    if len(items) <= size:
        return items
    start = (dt.datetime.now().hour * size) % len(items)
    return (items[start:] + items[:start])[:size]


@web.post("/kiosk/exit")
def kiosk_exit():
    """End kiosk mode in this browser: a staff action (signed in), never a passer-by's."""
    from app.services.auth import PermissionDenied

    if g.get("user") is None or not g.user.active:
        raise PermissionDenied("只有工作人员登录后才能退出触摸屏模式。")
    if current_app.config["KIOSK_MODE"]:
        flash("本机由配置设为触摸屏模式（KIOSK_MODE），须修改配置后才能退出。", "warning")
        return redirect(url_for("auth.account"))
    response = redirect(url_for("web.home"))
    response.delete_cookie("kiosk")
    g.kiosk_cookie = None
    return response


@web.get("/search")
def search_page():
    """Search results with facets; the URL holds the whole state."""
    return _results("search.html", crumbs=[("首页", url_for("web.home")), ("搜索", None)])


@web.get("/topics")
def topics():
    """All hot issues and law topics."""
    return render_template("topics.html", **catalog.overview())


@web.get("/topics/<code>")
def hot_issue(code: str):
    """Cases of one hot issue."""
    term = catalog.term_by_code("hot_issue", code) or abort(404)
    crumbs = [("首页", url_for("web.home")), ("热点问题", url_for("web.topics")), (term.name, None)]
    return _results("search.html", fixed={"hot_issue": term.code}, crumbs=crumbs, heading=term.name, term=term)


@web.get("/law-topics/<code>")
def law_topic(code: str):
    """Cases of one legal department, with its cited laws."""
    term = catalog.term_by_code("law_topic", code) or abort(404)
    crumbs = [("首页", url_for("web.home")), ("法律部门", url_for("web.topics")), (term.name, None)]
    return _results("search.html", fixed={"law_topic": term.code}, crumbs=crumbs, heading=term.name, term=term,
                    department_laws=True)


@web.get("/laws/<name>")
def law(name: str):
    """A law: its structure, its most-cited articles, and the cases citing it."""
    record = laws_service.get_current_law(name)
    department = law_departments().get(name) or (record.department if record else None)
    if record is None and department is None:
        abort(404)
    term = catalog.term_by_name("law_topic", department) if department else None
    crumbs: list[tuple[str, str | None]] = [("首页", url_for("web.home")), ("法律部门", url_for("web.topics"))]
    if term and department:
        crumbs.append((department, url_for("web.law_topic", code=term.code)))
    crumbs.append((name, None))
    articles = laws_service.current_articles(record.title) if record else []
    counts = laws_service.citing_counts(record.title) if record else {}
    by_key = {(a.number, a.sub): a for a in articles}
    most_cited = sorted(((by_key[k], n) for k, n in counts.items() if k in by_key), key=lambda x: -x[1])[:10]
    return _results("search.html", fixed={"law": name}, crumbs=crumbs, heading=f"《{name}》相关案例",
                    law_record=record, law_name=name, law_structure=laws_service.structure(articles),
                    most_cited=most_cited)


@web.get("/laws/<name>/articles/<label>")
def article(name: str, label: str):
    """One article: its text, its place in the law, and every published case citing it."""
    record = laws_service.get_current_law(name) or abort(404)
    number, sub = _article_number(label)
    found = laws_service.find_article(record.title, number, sub, request.args.get("version", type=int))
    if found is None:
        abort(404)
    cases = laws_service.citing_cases(record.title, number, sub)
    return render_template("article.html", law=found.law, article=found, name=name, cases=cases,
                           versions=laws_service.versions_of(record.title, number, sub))


def _article_number(label: str) -> tuple[int, int]:
    """1165, 133-1, 第一百三十三条之一 → (number, sub); 404 for anything else."""
    match = re.fullmatch(rf"第?({NUMERAL})条?(?:(?:之|-)({NUMERAL}))?", label)
    if not match:
        abort(404)
    return to_int(match.group(1)), to_int(match.group(2)) if match.group(2) else 0


@web.get("/articles")
def article_search():
    """问法条: a question in plain words → the most relevant articles, each with cases applying it."""
    q = request.args.get("q", "").strip()[:200]
    results = []
    for hit in laws_service.search_articles(q, 10) if q else []:
        cases = laws_service.citing_cases(hit.law, hit.number, hit.sub, limit=3)
        results.append((hit.article, hit.case_count, cases))
    return render_template("articles.html", q=q, results=results)


@web.get("/cases/<int:case_id>")
def case_page(case_id: int):
    """One case: metadata, sections with a table of contents, cited articles, source, similar cases."""
    case = db.session.get(Case, case_id) or abort(404)
    if case.status == CaseStatus.WITHDRAWN:
        return withdrawn_notice(case)
    if not case.is_public:
        abort(404)
    response = make_response(render_template(
        "case.html", case=case, similar=search_service.similar_cases(case),
        laws=case.cited_law_names(), notices=law_status.notices_for(case), also=case.also_published,
        hot_issues=[t for t in case.tags if t.term.scheme == "hot_issue"],
        law_topics=[t for t in case.tags if t.term.scheme == "law_topic"],
        description=(case.summary or next((s.text for s in case.sections if s.kind == "holding"), "")
                     or case.sections[0].text)[:120],
    ))
    reads.count_after_response(response, "case", case.id, case.issuer_id)  # once sent: never slows the page
    return response


def withdrawn_notice(case: Case):
    """410 Gone with a notice: the title, when it was withdrawn and the stated reason."""
    from app.services.revisions import withdrawal_notice

    event = withdrawal_notice(case)
    return render_template("publish/withdrawn.html", case=case, event=event), 410


@web.get("/healthz")
def healthz():
    """Database and search state: "ok"; "degraded" (200) when the index lags the database; 503 when down."""
    try:
        db.session.execute(text("SELECT 1"))
        database: dict[str, Any] = {"ok": True}
    except Exception as exc:  # any driver error means "down" here
        db.session.rollback()
        database = {"ok": False, "error": type(exc).__name__}
    if not database["ok"]:
        return jsonify({"status": "down", "database": database}), 503
    try:
        state = index_sync.status()
    except SQLAlchemyError as exc:  # e.g. tables missing before `flask db upgrade`
        db.session.rollback()
        return jsonify({"status": "down", "database": {"ok": False, "error": type(exc).__name__}}), 503
    if not state["engine"]["ok"]:
        return jsonify({"status": "down", "database": database, "search": state["engine"]}), 503
    body = {"status": "ok" if state["in_step"] else "degraded", "database": database, "search": state["engine"],
            "outbox_backlog": state["outbox_backlog"], "outbox_oldest_seconds": state["outbox_oldest_seconds"],
            "cases": state["listed_cases"], "problems": state["problems"]}
    return jsonify(body), 200
