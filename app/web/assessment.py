"""The 普法办's assessment: dashboard with charts, printable report, .xlsx export, the rubric."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from app.services import charts, stats
from app.services.auth import require
from app.web.auth import field_errors, login_required
from schemas.stats import StatsArgsSchema, args_from

bp = Blueprint("assessment", __name__, url_prefix="/assessment")


def _period() -> tuple[stats.Period, dict]:
    """The period of ?year= / ?from=&to= (this year on bad input, with the errors)."""
    try:
        data = StatsArgsSchema().load(args_from(request.args))
        return stats.period_for(data["year"], data["start"], data["end"]), {}
    except ValidationError as exc:
        return stats.period_for(), field_errors(exc)


def _context(report: stats.Report) -> dict:
    """What the dashboard and the report show besides the table: charts and the period form."""
    top = report.rows[:20]
    return {"report": report, "COLUMNS": stats.COLUMNS, "display": stats.display,
            "score_chart": charts.bar_chart([(r.organisation, r.score) for r in top], "分", "考核得分前 20 名"),
            "monthly_chart": charts.column_chart([(m[5:] + "月", talks) for m, talks, _ in report.monthly], "场",
                                                 "每月宣讲场次"),
            "issue_chart": charts.bar_chart(sorted(report.totals.cases_by_hot_issue.items(),
                                                   key=lambda kv: -kv[1])[:10], "件", "发布案例数前 10 的热点问题"),
            "years": range(dt.date.today().year, dt.date.today().year - 6, -1)}


@bp.get("")
@login_required
def dashboard():
    """Per organisation and period: figures, score, ranking and charts."""
    period, errors = _period()
    report = stats.dashboard(g.user, period)
    return render_template("assessment/dashboard.html", errors=errors, **_context(report)), 400 if errors else 200


@bp.get("/report")
@login_required
def report():
    """The printable report (A4 landscape) of the same figures."""
    period, errors = _period()
    return render_template("assessment/report.html", errors=errors, **_context(stats.dashboard(g.user, period)))


@bp.get("/export.xlsx")
@login_required
def export():
    """The same figures as an Excel workbook."""
    period, errors = _period()
    if errors:
        raise ValidationError(errors)
    data = stats.export_xlsx(stats.dashboard(g.user, period))
    name = f"pufa-assessment-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"
    return data, 200, {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}


@bp.route("/rubric", methods=["GET", "POST"])
@login_required
def rubric():
    """The weights and targets of the score (the 普法办 edits; admins read)."""
    require(g.user, "stats.read")
    errors: dict = {}
    if request.method == "POST":
        try:
            stats.save_rubric(g.user, request.form.to_dict())
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash("评分细则已保存，得分与排名已按新权重计算。", "info")
            return redirect(url_for("assessment.rubric"))
    return render_template("assessment/rubric.html", criteria=stats.rubric(), errors=errors,
                           form=request.form), 400 if errors else 200
