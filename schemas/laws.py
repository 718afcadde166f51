"""Article search (问法条) arguments and hits."""
from __future__ import annotations

from marshmallow import fields

from schemas.fields import ChineseSchema, Int, Str, in_range, length


class ArticleSearchArgsSchema(ChineseSchema):
    """GET /api/v1/articles/search arguments."""

    q = Str(required=True, validate=length(200, 1))
    per_page = Int(load_default=10, validate=in_range(1, 50))


class ArticleHitSchema(ChineseSchema):
    """An article answering the question (app.services.laws.ArticleHit)."""

    law = fields.String(metadata={"description": "full title, e.g. 中华人民共和国民法典"})
    short_name = fields.String()
    article = fields.String(attribute="label", metadata={"description": "第一千二百五十四条"})
    number = fields.Integer()
    sub = fields.Integer(metadata={"description": "之一 → 1"})
    text = fields.String()
    case_count = fields.Integer(metadata={"description": "public cases citing the article"})


class ArticleSearchResultSchema(ChineseSchema):
    """GET /api/v1/articles/search response."""

    hits = fields.List(fields.Nested(ArticleHitSchema))
