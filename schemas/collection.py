"""备课 collections: what the workspace forms load (a collection's details, one item's note and parts)."""
from __future__ import annotations

from marshmallow import ValidationError, pre_load, validates

from app.models.collection import PARTS
from schemas.fields import ChineseSchema, Date, Int, List, Str, in_range, length, one_of


class CollectionSchema(ChineseSchema):
    """A collection's details as the lecturer edits them."""

    title = Str(required=True, validate=length(200, 1))
    audience = Str(load_default="", validate=length(100))
    planned_date = Date(allow_none=True, load_default=None)
    place = Str(load_default="", validate=length(200))
    duration_minutes = Int(allow_none=True, load_default=None, validate=in_range(1, 600))
    opening = Str(load_default="", validate=length(5000))
    questions = Str(load_default="", validate=length(5000))
    notes = Str(load_default="", validate=length(10000))
    intro = Str(load_default="", validate=length(2000))

    @pre_load
    def _blank_is_none(self, data, **kwargs):
        """An empty date or duration field in a form means "not set"."""
        data = dict(data)
        for name in ("planned_date", "duration_minutes"):
            if name in data and str(data[name]).strip() == "":
                data[name] = None
        return data


class ItemSchema(ChineseSchema):
    """One case's 讲解要点 and the parts of it the lecturer will use."""

    note = Str(load_default="", validate=length(5000))
    parts = List(Str(validate=one_of(list(PARTS), "案例部分")), load_default=list)

    @validates("parts")
    def _some_part(self, value, **kwargs):
        """A case in a talk shows at least one of its parts."""
        if not value:
            raise ValidationError("至少选择一个要使用的部分。")


class OrderSchema(ChineseSchema):
    """A new order of a collection's items (drag and drop or keyboard reordering)."""

    items = List(Int(), required=True, validate=length(500, 1))
