"""The case interchange format (FORMAT.md): one schema for the importer, the API and export.

A dump is valid input to a load, and load(dump(case)) reproduces the case.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, post_dump, validates_schema

from app.models.case import CASE_TYPES, ISSUER_KINDS, SECTION_KINDS
from schemas.fields import MAX_ID, ChineseSchema, Date, Int, List, Nested, Str, in_range, length, one_of, web_address


class IssuerSchema(ChineseSchema):
    """The publishing body."""

    name = Str(required=True, validate=length(200, 1))
    kind = Str(required=True, validate=one_of(list(ISSUER_KINDS), "发布机关类型"))


class SectionSchema(ChineseSchema):
    """One section of the case body."""

    kind = Str(required=True, validate=one_of(list(SECTION_KINDS), "段落类型"))
    heading = Str(load_default="", validate=length(200))
    text = Str(required=True, validate=length(500_000, 1))


class SourceSchema(ChineseSchema):
    """Attribution of the original publication."""

    name = Str(required=True, validate=length(500, 1))
    url = Str(validate=[length(2000), web_address])


PLAIN_LABELS = {"story": "案情简介", "result": "处理结果", "explanation": "说法", "speaker": "说法人",
                "significance": "典型意义", "tips": "温馨提示", "remedy": "维权途径"}


class PlainSchema(ChineseSchema):
    """普法版: the case retold for lay readers (法条 come from the case's citations, with current text)."""

    story = Str(validate=length(5000))  # 案情简介
    result = Str(validate=length(3000))  # 处理结果
    explanation = Str(validate=length(5000))  # 说法
    speaker = Str(validate=length(100))  # who gives the 说法: 某法院法官、检察官、执法人员
    significance = Str(validate=length(3000))  # 典型意义
    tips = Str(validate=length(3000))  # 温馨提示
    remedy = Str(validate=length(3000))  # 维权途径

    @validates_schema
    def _has_story(self, data, **kwargs):
        """A 普法版 without its 案情简介 is not one: the rest explains a story the reader never heard."""
        if any(data.values()) and not data.get("story"):
            raise ValidationError("普法版须填写“案情简介”。", "story")

    @post_dump
    def _drop_empty(self, data, **kwargs):
        """Blank texts stay absent."""
        return {key: value for key, value in data.items() if value}


class CaseRecordSchema(ChineseSchema):
    """One line of the interchange format."""

    source_id = Str(required=True, validate=length(200, 1))
    title = Str(required=True, validate=length(500, 1))
    summary = Str(validate=length(5000))
    case_type = Str(required=True, validate=one_of(list(CASE_TYPES), "案件类型"))
    issuer = Nested(IssuerSchema, required=True)
    document_number = Str(validate=length(200))
    case_number = Str(validate=length(200))
    court = Str(validate=length(200))
    region = Str(validate=length(200))
    judgment_date = Date()
    published_date = Date()
    keywords = List(Str(validate=length(100, 1)), validate=length(50))
    sections = List(Nested(SectionSchema), required=True, validate=length(500, 1))
    source = Nested(SourceSchema)
    plain = Nested(PlainSchema)

    @validates_schema
    def _dates_in_order(self, data, **kwargs):
        """A case cannot be published as typical before it was decided."""
        judged, published = data.get("judgment_date"), data.get("published_date")
        if judged and published and published < judged:
            raise ValidationError("发布日期不能早于裁判日期。", "published_date")

    @post_dump
    def _drop_empty(self, data, **kwargs):
        """Optional fields that are absent stay absent in exports (round trip is exact)."""
        return {key: value for key, value in data.items() if value is not None and value != {}}


class TagSchema(ChineseSchema):
    """A taxonomy tag on a case; `auto` tags were suggested by the rules, with evidence."""

    code = fields.String()
    name = fields.String()
    auto = fields.Boolean()
    evidence = fields.String()


class CaseOutSchema(CaseRecordSchema):
    """A case as the API shows it: every interchange field plus id, state and derived tags."""

    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)
    hot_issues = fields.Method("_hot_issues", dump_only=True,
                               metadata={"type": "array", "items": {"$ref": "#/components/schemas/Tag"}})
    law_topics = fields.Method("_law_topics", dump_only=True,
                               metadata={"type": "array", "items": {"$ref": "#/components/schemas/Tag"}})
    citations = fields.List(fields.Nested(lambda: CitationSchema()), dump_only=True)
    canonical_id = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "set when another publication of this case is the listed one"})
    also_published_as = fields.Method("_also", dump_only=True, metadata={
        "type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "source_id": {"type": "string"}, "title": {"type": "string"},
            "document_number": {"type": "string", "nullable": True}}}})

    def _also(self, case) -> list[dict]:
        return [{"id": c.id, "source_id": c.source_id, "title": c.title, "document_number": c.document_number}
                for c in case.also_published]

    def _hot_issues(self, case) -> list[dict]:
        return _tags(case, "hot_issue")

    def _law_topics(self, case) -> list[dict]:
        return _tags(case, "law_topic")


def _tags(case, scheme: str) -> list[dict]:
    """A case's tags of one scheme, in taxonomy order, as TagSchema dumps them."""
    tags = sorted((t for t in case.tags if t.term.scheme == scheme), key=lambda t: t.term.position)
    return TagSchema(many=True).dump(
        [{"code": t.term.code, "name": t.term.name, "auto": t.auto, "evidence": t.evidence} for t in tags])


class CaseIdSchema(ChineseSchema):
    """A case id in a path (bounded: larger numbers are not ids of ours)."""

    case_id = Int(required=True, validate=in_range(1, MAX_ID))


class LookupArgsSchema(ChineseSchema):
    """GET /api/v1/cases arguments."""

    source_id = Str(required=True, validate=length(200, 1))


class SimilarCaseSchema(ChineseSchema):
    """A case in the "similar cases" list."""

    id = fields.Integer()
    source_id = fields.String()
    title = fields.String()
    case_type = fields.String()
    issuer = fields.Function(lambda case: {"name": case.issuer.name, "kind": case.issuer.kind})


class SimilarResultSchema(ChineseSchema):
    """GET /api/v1/cases/{case_id}/similar response."""

    hits = fields.List(fields.Nested(SimilarCaseSchema))


class CitationSchema(ChineseSchema):
    """A cited article: the full normalised law title, the article as written, and whether we hold it."""

    law = fields.String(attribute="law_title", allow_none=True)
    article = fields.String(attribute="label")
    number = fields.Integer()
    sub = fields.Integer()
    paragraph = fields.Integer(allow_none=True)
    item = fields.Integer(allow_none=True)
    version = fields.Integer(allow_none=True)
    raw = fields.String()
    resolved = fields.Function(lambda citation: citation.article_id is not None)
