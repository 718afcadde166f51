"""JSON API v1: thin routes — load arguments, call one service, dump."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from app.api.openapi import openapi_document
from app.extensions import db
from app.models import Case, CaseStatus
from app.services import cases as case_service
from app.services import search as search_service
from app.services.taxonomy import all_terms
from schemas.case import CaseOutSchema
from schemas.fields import ChineseSchema, Int, Str, in_range, length
from schemas.search import SearchArgsSchema, SearchResultSchema, args_from_multidict

api = Blueprint("api", __name__)


class LookupArgsSchema(ChineseSchema):
    """GET /api/v1/cases arguments."""

    source_id = Str(required=True, validate=length(200, 1))


def case_json(case) -> dict:
    """A case as the API shows it."""
    data = CaseOutSchema().dump(case)
    data["hot_issues"] = case_service.tag_list(case, "hot_issue")
    data["law_topics"] = case_service.tag_list(case, "law_topic")
    return data


@api.get("/search")
def search():
    """Full-text search with filters, facets, sort and pages."""
    args = SearchArgsSchema().load(args_from_multidict(request.args))
    page = search_service.search(args)
    return jsonify(SearchResultSchema().dump(page))


@api.get("/cases/<int:case_id>")
def get_case(case_id: int):
    """One published case with every interchange field; 410 once withdrawn."""
    case = case_service.get_published(case_id) or _gone_or_missing(case_id)
    return jsonify(case_json(case))


def _gone_or_missing(case_id: int):
    """410 for a withdrawn case (it was public and is not any more), else 404."""
    case = db.session.get(Case, case_id)
    abort(410 if case is not None and case.status == CaseStatus.WITHDRAWN else 404)


@api.get("/cases")
def find_case():
    """Look a case up by its interchange id."""
    args = LookupArgsSchema().load(request.args.to_dict())
    case = case_service.find_by_source_id(args["source_id"]) or abort(404)
    return jsonify(case_json(case))


@api.get("/taxonomies")
def taxonomies():
    """Every taxonomy term, grouped by scheme."""
    out: dict[str, list] = {"hot_issue": [], "law_topic": []}
    for term in all_terms():
        out.setdefault(term.scheme, []).append(
            {"code": term.code, "name": term.name, "description": term.description, "rules": term.rules}
        )
    return jsonify(out)


@api.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(openapi_document())


@api.get("/cases/<int:case_id>/similar")
def similar_cases(case_id: int):
    """The five published cases most similar in content."""
    case = case_service.get_published(case_id) or abort(404)
    return jsonify({"hits": [
        {"id": c.id, "source_id": c.source_id, "title": c.title, "case_type": c.case_type,
         "issuer": {"name": c.issuer.name, "kind": c.issuer.kind}}
        for c in search_service.similar_cases(case)
    ]})


class SuggestArgsSchema(ChineseSchema):
    """GET /api/v1/suggest arguments."""

    q = Str(load_default="", validate=length(50))


@api.get("/suggest")
def suggest():
    """Suggestions for a partly typed query."""
    from app.services.suggest import suggest as suggestions

    args = SuggestArgsSchema().load(request.args.to_dict())
    return jsonify({"suggestions": suggestions(args["q"])})


class ArticleSearchArgsSchema(ChineseSchema):
    """GET /api/v1/articles/search arguments."""

    q = Str(required=True, validate=length(200, 1))
    per_page = Int(load_default=10, validate=in_range(1, 50))


@api.get("/articles/search")
def search_articles():
    """Articles answering a question in plain words, each with how many cases apply it."""
    from app.services import laws as laws_service

    args = ArticleSearchArgsSchema().load(request.args.to_dict())
    return jsonify({"hits": [
        {"law": a.law.title, "short_name": a.law.short_name, "article": a.label, "number": a.number,
         "sub": a.sub, "text": a.text, "case_count": count}
        for a, count in laws_service.search_articles(args["q"], args["per_page"])
    ]})
