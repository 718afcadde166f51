"""GET /api/v1/stats/organisations (and the dashboard, figures page and CLI): period arguments in,
per-organisation figures out, each with its unit and the period it covers."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validates_schema

from schemas.fields import ChineseSchema, Date, Int, in_range


class StatsArgsSchema(ChineseSchema):
    """?year=2024, or ?from=2024-01-01&to=2024-06-30 (either end may be left out); neither: this year."""

    class Meta:
        unknown = EXCLUDE  # shared links carry tracking parameters

    year = Int(load_default=None, strict=False, validate=in_range(2000, 2100),
               metadata={"description": "统计年份（与 from/to 二选一）"})
    start = Date(load_default=None, data_key="from", metadata={"description": "起始日期 YYYY-MM-DD（含）"})
    end = Date(load_default=None, data_key="to", metadata={"description": "截止日期 YYYY-MM-DD（含）"})

    @pre_load
    def _single_values(self, data, **kwargs):
        """One value per name, blanks dropped (the API's query parser lists `year`: it is a search filter)."""
        single = {key: value[-1] if isinstance(value, list) and value else value for key, value in data.items()}
        return {key: value for key, value in single.items() if value not in ("", None, [])}

    @validates_schema
    def _one_way(self, data, **kwargs):
        """A year or a range, not both."""
        if data.get("year") and (data.get("start") or data.get("end")):
            raise ValidationError("year 与 from/to 不能同时使用。", "year")


def args_from(multidict) -> dict:
    """Query arguments with blanks dropped (a form's empty year field means "not given")."""
    return {key: value for key, value in multidict.items() if value not in ("", None)}


class PeriodSchema(Schema):
    """The period every figure covers."""

    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    label = fields.String()
    days = fields.Integer()


class OrganisationFiguresSchema(Schema):
    """One organisation's figures (units in the response's `units`)."""

    organisation = fields.String()
    organisation_id = fields.Integer()
    kind = fields.String(metadata={"description": "机构类型代码：court、procuratorate、enforcement…"})
    kind_label = fields.String()
    region = fields.String()
    cases_published = fields.Integer()
    page_views = fields.Integer()
    collection_views = fields.Integer()
    talks_delivered = fields.Integer()
    audience = fields.Integer()
    orders_received = fields.Integer()
    orders_completed = fields.Integer()
    orders_on_time = fields.Integer()
    satisfaction = fields.Float(allow_none=True)
    duty_items = fields.Integer()
    duty_done = fields.Integer()
    score = fields.Float()
    rank = fields.Integer()


class OrganisationStatsSchema(Schema):
    """The response: period, units, the library total and one row per organisation."""

    period = fields.Nested(PeriodSchema)
    units = fields.Dict(keys=fields.String(), values=fields.String())
    library_cases_published = fields.Integer(metadata={"description": "全库本期发布案例数（件），等于各机构之和"})
    undated_cases = fields.Integer(metadata={"description": "未注明发布日期、不计入任何期间的公开案例数（件）"})
    organisations = fields.List(fields.Nested(OrganisationFiguresSchema))
