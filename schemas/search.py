"""Search API: query-string arguments in, results out."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from marshmallow import EXCLUDE, ValidationError, fields, post_load, validates_schema

from app.models.case import CASE_TYPES, ISSUER_KINDS
from indexer.backends.base import RESULT_WINDOW
from indexer.documents import FACETS, FILTER_ONLY, article_key
from indexer.query import MAX_EXCLUSIONS, MAX_PHRASES, syntax_counts
from legaltext.citations import normalize_law_title
from legaltext.numerals import NUMERAL, to_int
from schemas.fields import ChineseSchema, Int, List, Str, in_range, length, one_of

if TYPE_CHECKING:  # annotations only: importing the service here would load the app for schema users
    from app.services.search import Hit, SearchPage

MAX_QUERY_LENGTH = 200
MAX_PER_PAGE = 100
FILTERS = FACETS + FILTER_ONLY  # every facet is also a filter


class SearchArgsSchema(ChineseSchema):
    """GET /api/v1/search arguments; filters may repeat (values of one filter are OR-ed).

    Unknown arguments are ignored, not refused: shared links carry tracking parameters.
    """

    class Meta:
        unknown = EXCLUDE

    q = Str(load_default="", validate=length(MAX_QUERY_LENGTH))
    case_type = List(Str(validate=one_of(list(CASE_TYPES), "案件类型")), load_default=list, validate=length(20))
    issuer_kind = List(Str(validate=one_of(list(ISSUER_KINDS), "发布机关类型")), load_default=list,
                       validate=length(20))
    issuer = List(Str(validate=length(200)), load_default=list, validate=length(20))
    hot_issue = List(Str(validate=length(60)), load_default=list, validate=length(20))
    law_topic = List(Str(validate=length(60)), load_default=list, validate=length(20))
    law = List(Str(validate=length(100)), load_default=list, validate=length(20))
    article = List(Str(validate=length(200)), load_default=list, validate=length(20),
                   metadata={"description": "cited article, e.g. 民法典:1165 or 刑法:133之一"})
    year = List(Int(validate=in_range(1900, 2100), strict=False), load_default=list, validate=length(20))
    sort = Str(load_default=None, validate=one_of(["relevance", "date"], "排序方式"))
    page = Int(load_default=1, validate=in_range(1, RESULT_WINDOW))
    per_page = Int(load_default=20, validate=in_range(1, MAX_PER_PAGE))

    @post_load
    def _index_values(self, data, **kwargs):
        """Filter values as the index stores them: years as strings, articles as law:number keys."""
        data["year"] = [str(y) for y in data.get("year", [])]
        data["article"] = [article_filter_value(v) for v in data.get("article", [])]
        return data

    @validates_schema
    def _cost(self, data, **kwargs):
        """Refuse queries whose phrases or exclusions would each scan many cases (a DoS on one worker)."""
        phrases, excluded = syntax_counts(data.get("q", ""))
        if phrases > MAX_PHRASES or excluded > MAX_EXCLUSIONS:
            raise ValidationError(
                f"检索式过于复杂：引号内的短语最多 {MAX_PHRASES} 个，排除词（-）最多 {MAX_EXCLUSIONS} 个。", "q")

    @validates_schema
    def _window(self, data, **kwargs):
        """Refuse pages beyond the result window instead of scanning for them."""
        if data.get("page", 1) * data.get("per_page", 20) > RESULT_WINDOW:
            raise ValidationError(f"页码过大：最多可浏览前 {RESULT_WINDOW} 条结果。", "page")


# One instance for every request: a schema instance deep-copies its fields, ≈ 1 ms of each search
# (webargs builds a new one per request when given the class). Loading keeps no state on it.
SEARCH_ARGS = SearchArgsSchema()


def args_from_multidict(args) -> dict:
    """Query-string MultiDict → dict with lists for the repeatable filters; blanks dropped."""
    out = {}
    for key in args:
        values = [v for v in args.getlist(key) if v.strip()] if key in FILTERS else args.getlist(key)
        if key in FILTERS:
            out[key] = values
        elif values:
            out[key] = values[-1]
    return out


def article_filter_value(text: str) -> str:
    """民法典:1165 → 中华人民共和国民法典:1165; 刑法:133之一 → 中华人民共和国刑法:133-1."""
    law, _, number = text.replace("：", ":").rpartition(":")
    match = re.fullmatch(rf"第?({NUMERAL})条?(?:之({NUMERAL}))?", number.strip())
    if not law or not match:
        raise ValidationError("条文格式应为“法律:条号”，如 民法典:1165。", "article")
    sub = to_int(match.group(2)) if match.group(2) else 0
    return article_key(normalize_law_title(law), to_int(match.group(1)), sub)


class IssuerOutSchema(ChineseSchema):
    """Issuer in a hit."""

    name = fields.String()
    kind = fields.String()


class TagOutSchema(ChineseSchema):
    """A taxonomy term in a hit: stable code (what filters take) and display name."""

    code = fields.String()
    name = fields.String()


class HighlightSchema(ChineseSchema):
    """A highlighted snippet: escaped HTML whose only markup is <mark>."""

    field = fields.String(metadata={"description": "title or a section kind"})
    html = fields.String()


class HitSchema(ChineseSchema):
    """One search hit (app.services.search.Hit)."""

    id = fields.Integer()
    source_id = fields.String()
    title = fields.String()
    summary = fields.String()
    case_type = fields.String()
    issuer = fields.Nested(IssuerOutSchema)
    document_number = fields.String(allow_none=True)
    published_date = fields.Date(allow_none=True)
    judgment_date = fields.Date(allow_none=True)
    hot_issues = fields.List(fields.Nested(TagOutSchema))
    law_topics = fields.List(fields.Nested(TagOutSchema))
    highlights = fields.List(fields.Nested(HighlightSchema))


class FacetValueSchema(ChineseSchema):
    """A facet value: the key filters take, the label people read, how many results have it."""

    value = fields.String()
    label = fields.String()
    count = fields.Integer()


class ActiveFilterSchema(ChineseSchema):
    """A filter the search applied."""

    name = fields.String()
    value = fields.String()
    label = fields.String()


class NoticeSchema(ChineseSchema):
    """Why the search answered as it did (e.g. no searchable words in the query)."""

    code = fields.String()
    issue = fields.String(allow_none=True, metadata={"description": "hot issue code the notice is about"})
    query = fields.String(allow_none=True, metadata={"description": "a search the notice suggests instead"})
    message = fields.String()


class SearchResultSchema(ChineseSchema):
    """GET /api/v1/search response (app.services.search.SearchPage)."""

    query = fields.String()
    total = fields.Integer(metadata={"description": "exact number of matching cases: those with any query word "
                                                  "or synonym (ignored_terms aside), minus exclusions"})
    page = fields.Integer()
    per_page = fields.Integer()
    sort = fields.String(metadata={"description": "relevance or date, as applied"})
    last_page = fields.Integer(metadata={"description": "the last page the result window allows"})
    hits = fields.List(fields.Nested(HitSchema))
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)))
    filters = fields.List(fields.Nested(ActiveFilterSchema))
    notice = fields.Nested(NoticeSchema, allow_none=True)
    ignored_terms = fields.List(fields.String(), metadata={
        "description": "words found in most cases, left out of the count and the ranking"})


def dump_search_result(page: SearchPage) -> dict:
    """SearchResultSchema().dump(page) written out for the typed SearchPage: the schema's per-field
    machinery cost 18 % of an uncached search request at 100k cases (cProfile). The schema stays the
    API's documented contract; tests/test_search_dump.py checks that both dumps agree on real pages."""
    return {
        "query": page.query, "total": page.total, "page": page.page, "per_page": page.per_page,
        "sort": page.sort, "last_page": page.last_page,
        "hits": [_dump_hit(hit) for hit in page.hits],
        "facets": {name: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
                   for name, values in page.facets.items()},
        "filters": [{"name": f.name, "value": f.value, "label": f.label} for f in page.filters],
        "notice": None if page.notice is None else {
            "code": page.notice.code, "issue": page.notice.issue, "message": page.notice.message,
            "query": page.notice.query},
        "ignored_terms": list(page.ignored_terms),
    }


def _dump_hit(hit: Hit) -> dict:
    """HitSchema().dump(hit), written out."""
    return {
        "id": hit.id, "source_id": hit.source_id, "title": hit.title, "summary": hit.summary,
        "case_type": hit.case_type, "issuer": {"name": hit.issuer.name, "kind": hit.issuer.kind},
        "document_number": hit.document_number,
        "published_date": hit.published_date.isoformat() if hit.published_date else None,
        "judgment_date": hit.judgment_date.isoformat() if hit.judgment_date else None,
        "hot_issues": [{"code": t.code, "name": t.name} for t in hit.hot_issues],
        "law_topics": [{"code": t.code, "name": t.name} for t in hit.law_topics],
        "highlights": [{"field": h.field, "html": str(h.html)} for h in hit.highlights],
    }


class SuggestArgsSchema(ChineseSchema):
    """GET /api/v1/suggest arguments."""

    q = Str(load_default="", validate=length(50))


class SuggestionSchema(ChineseSchema):
    """One suggestion while typing."""

    text = fields.String()
    kind = fields.String(metadata={"description": "热点问题、常见说法、法律、法律部门、关键词、条文 or 案例"})
    url = fields.String(allow_none=True, metadata={"description": "where choosing it leads; null: search for the text"})


class SuggestResultSchema(ChineseSchema):
    """GET /api/v1/suggest response."""

    suggestions = fields.List(fields.Nested(SuggestionSchema))
