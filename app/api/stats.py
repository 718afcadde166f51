"""GET /api/v1/stats/organisations: the public figures per organisation (政务公开) as JSON."""
from __future__ import annotations

from app.api import blp
from app.services import stats
from schemas.stats import OrganisationStatsSchema, StatsArgsSchema

API_UNITS = ("cases_published", "page_views", "collection_views", "talks_delivered", "audience", "orders_received",
             "orders_completed", "orders_on_time", "satisfaction", "duty_items", "duty_done", "score", "rank")


@blp.get("/stats/organisations")
@blp.arguments(StatsArgsSchema, location="query", as_kwargs=False)
@blp.response(200, OrganisationStatsSchema)
def organisation_stats(args):
    """各机构普法工作统计（政务公开）：发布案例、阅读量、宣讲场次与受众等，附单位与统计期间。

    ?year= 或 ?from=&to=，缺省为本年。
    """
    report = stats.organisation_report(stats.period_for(args["year"], args["start"], args["end"]))
    return {"period": report.period, "units": {name: stats.UNITS[name] for name in API_UNITS},
            "library_cases_published": report.library_published, "undated_cases": report.undated_cases,
            "organisations": stats.api_rows(report)}
