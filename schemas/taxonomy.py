"""Taxonomies as the API lists them."""
from __future__ import annotations

from marshmallow import fields

from schemas.fields import ChineseSchema


class TermSchema(ChineseSchema):
    """One taxonomy term with the rules that suggest it."""

    code = fields.String()
    name = fields.String()
    description = fields.String()
    rules = fields.Dict()


class TaxonomiesSchema(ChineseSchema):
    """GET /api/v1/taxonomies response: terms by scheme, in taxonomy order."""

    hot_issue = fields.List(fields.Nested(TermSchema))
    law_topic = fields.List(fields.Nested(TermSchema))
