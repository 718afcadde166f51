"""HTML pages (minimal until the public front end lands) and the health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from marshmallow import ValidationError
from sqlalchemy import text

from app.extensions import db
from app.services import search as search_service
from schemas.search import SearchArgsSchema, args_from_multidict, filters_as_strings

web = Blueprint("web", __name__)


@web.get("/")
def home():
    """Search box and the size of the library."""
    return render_template("home.html", count=search_service.published_count())


@web.get("/search")
def search_page():
    """Server-rendered results for the same arguments as the API."""
    try:
        args = filters_as_strings(SearchArgsSchema().load(args_from_multidict(request.args)))
    except ValidationError as exc:
        return render_template("search.html", q=request.args.get("q", ""), errors=exc.messages, page=None), 400
    return render_template("search.html", q=args["q"], page=search_service.search(args), errors=None)


@web.get("/healthz")
def healthz():
    """Database and search engine state; 503 if either is down."""
    try:
        db.session.execute(text("SELECT 1"))
        database = {"ok": True}
    except Exception as exc:  # any driver error means "down" here
        db.session.rollback()
        database = {"ok": False, "error": type(exc).__name__}
    engine = search_service.backend().health()
    ok = database["ok"] and engine["ok"]
    body = {"status": "ok" if ok else "degraded", "database": database, "search": engine}
    if ok:
        body["search"]["outbox_backlog"] = search_service.queue.backlog(db.session)
        body["cases"] = search_service.published_count()
    return jsonify(body), 200 if ok else 503
