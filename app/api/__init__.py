"""JSON API v1 (flask-smorest): each route loads its arguments with a schema from schemas/, calls one
service, and dumps the typed result with a schema; the OpenAPI document at /api/v1/openapi.json
is generated from the same schemas, errors included."""
from __future__ import annotations

from flask import abort, jsonify
from flask_smorest import Api, Blueprint
from flask_smorest.spec.plugins import integerconverter2paramschema
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser

from app.extensions import db
from app.models import Case, CaseStatus
from app.routing import BoundedIntConverter
from app.services import cases as case_service
from app.services import laws as laws_service
from app.services import search as search_service
from app.services.suggest import suggest as suggestions
from app.services.taxonomy import all_terms
from schemas.case import CaseOutSchema, LookupArgsSchema, SimilarResultSchema, TagSchema
from schemas.errors import ErrorSchema
from schemas.laws import ArticleSearchArgsSchema, ArticleSearchResultSchema
from schemas.search import (
    SEARCH_ARGS,
    SearchResultSchema,
    SuggestArgsSchema,
    SuggestResultSchema,
    args_from_multidict,
    dump_search_result,
)
from schemas.taxonomy import TaxonomiesSchema


class SchemaErrorParser(FlaskParser):
    """Arguments parser whose failures reach our one ValidationError handler (400, Chinese, fields)."""

    DEFAULT_VALIDATION_STATUS = 400

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        """Raise the schema's own error, without webargs' {"query": …} wrapper: fields stay "article"."""
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in self.__location_map__:
            messages = next(iter(messages.values()))
        raise ValidationError(messages) from error

    def load_querystring(self, req, schema):
        """Query strings: repeatable filters as lists, blank values dropped (as the HTML pages read them)."""
        return args_from_multidict(req.args)


class CaseLibraryApi(Api):
    """flask-smorest's Api with our error body in the document and our handlers answering errors."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """app/errors.py answers every error (Chinese message, code, fields) for pages and API alike."""


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose argument errors become our 400 answers."""

    ARGUMENTS_PARSER = SchemaErrorParser()


api = CaseLibraryApi()
blp = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="案例检索、案例详情、法条检索与分类体系。")
SEARCH_DOWN = {"description": "搜索服务暂时不可用"}


def init_api(app) -> None:
    """Bind the API to the app and register the bounded integer converter in its document."""
    api.init_app(app)
    api.register_converter(BoundedIntConverter, integerconverter2paramschema)
    api.register_blueprint(blp)
    if "Tag" not in api.spec.components.schemas:  # referenced by CaseOut's tag lists
        api.spec.components.schema("Tag", schema=TagSchema)


@blp.get("/search")
@blp.arguments(SEARCH_ARGS, location="query", as_kwargs=False)
@blp.response(200, SearchResultSchema)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE", description=SEARCH_DOWN["description"])
def search(args):
    """全文检索案例：关键词、筛选（同一筛选项内为“或”，不同筛选项之间为“且”）、排序、分页与分面统计。"""
    # Dumped by hand (same output as SearchResultSchema, which documents it): a Response passes
    # flask-smorest's dump untouched.
    return jsonify(dump_search_result(search_service.search(args)))


@blp.get("/cases/<int:case_id>")
@blp.response(200, CaseOutSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(410, response="GONE", description="该案例已撤回")
def get_case(case_id: int):
    """案例详情：交换格式的全部字段、标签与引用条文；已撤回的案例返回 410。"""
    return case_service.get_published(case_id) or _gone_or_missing(case_id)


def _gone_or_missing(case_id: int):
    """410 for a withdrawn case (it was public and is not any more), else 404."""
    case = db.session.get(Case, case_id)
    abort(410 if case is not None and case.status == CaseStatus.WITHDRAWN else 404)


@blp.get("/cases")
@blp.arguments(LookupArgsSchema, location="query", as_kwargs=False)
@blp.response(200, CaseOutSchema)
@blp.alt_response(404, response="NOT_FOUND")
def find_case(args):
    """按交换格式编号（source_id）查找案例。"""
    return case_service.find_by_source_id(args["source_id"]) or abort(404)


@blp.get("/cases/<int:case_id>/similar")
@blp.response(200, SimilarResultSchema)
@blp.alt_response(404, response="NOT_FOUND")
def similar_cases(case_id: int):
    """内容最相近的五件已公开案例。"""
    case = case_service.get_published(case_id) or _gone_or_missing(case_id)
    return {"hits": search_service.similar_cases(case)}


@blp.get("/taxonomies")
@blp.response(200, TaxonomiesSchema)
def taxonomies():
    """热点问题与法律部门分类（含自动标注规则）。"""
    out: dict[str, list] = {"hot_issue": [], "law_topic": []}
    for term in all_terms():
        out.setdefault(term.scheme, []).append(term)
    return out


@blp.get("/suggest")
@blp.arguments(SuggestArgsSchema, location="query", as_kwargs=False)
@blp.response(200, SuggestResultSchema)
def suggest(args):
    """输入提示：法律名称、热点问题、关键词与案例标题。"""
    return {"suggestions": suggestions(args["q"])}


@blp.get("/articles/search")
@blp.arguments(ArticleSearchArgsSchema, location="query", as_kwargs=False)
@blp.response(200, ArticleSearchResultSchema)
def search_articles(args):
    """问法条：用日常语言提问，返回最相关的条文及引用它的案例数。"""
    return {"hits": laws_service.search_articles(args["q"], args["per_page"])}


from app.api import stats as _stats  # noqa: E402,F401  (registers /stats/organisations on this blueprint)
