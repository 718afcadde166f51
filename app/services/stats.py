"""The assessment figures (普法责任制考核) per organisation and period: ONE function computes them
(organisation_report), and the dashboard, the printable report, the .xlsx export, the public
figures page and GET /api/v1/stats/organisations all show its result, so they cannot disagree.

Definitions (every figure has a unit and the period it covers):
- cases_published (件): public cases whose publication date lies in the period (cases without a
  publication date are in no period; the report states how many there are);
- review_days_median (天) and returned_share (%): from the audit log, for review decisions taken
  in the period: days from the first submission of a review cycle to its publication, and the
  share of decisions that returned the case;
- talks_delivered (场) and audience (人次): delivery records held in the period (次数 and 参与人数
  are kept apart);
- orders_received / accepted / declined (单): dispatches, acceptances and declines in the period;
  orders_completed (单): deliveries for an order held in the period; orders_on_time: those held by
  the end of the orderer's time window; orders_overdue: acceptance deadlines missed in the period;
- satisfaction (分, 1–5): mean of the three scores of evaluations given in the period;
- page_views / collection_views (次): anonymous reads of the body's case pages / 专题 pages;
- duty_items, duty_done, duty_overdue (项): the body's 责任清单 items of the period's years.
"""
from __future__ import annotations

import datetime as dt
import io
import statistics
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import and_, case, extract, func, select

from app.extensions import db
from app.models import (
    ISSUER_KINDS,
    AuditEvent,
    Case,
    CaseTag,
    Delivery,
    DutyItem,
    Evaluation,
    Issuer,
    Order,
    OrderEvent,
    OrganisationPageView,
    RubricCriterion,
    TaxonomyTerm,
    User,
)
from app.models.user import utcnow
from app.services.auth import audit, require

MAX_PERIOD_DAYS = 366 * 10


# ---- the period ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """A closed range of dates, both ends included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        """Length in days."""
        return (self.end - self.start).days + 1

    @property
    def is_year(self) -> bool:
        """True for a whole calendar year."""
        return self.start == dt.date(self.start.year, 1, 1) and self.end == dt.date(self.start.year, 12, 31)

    @property
    def label(self) -> str:
        """2024年, or 2024-01-01 至 2024-06-30."""
        return f"{self.start.year}年" if self.is_year else f"{self.start.isoformat()} 至 {self.end.isoformat()}"

    @property
    def starts_at(self) -> dt.datetime:
        """The first moment of the period (for DateTime columns)."""
        return dt.datetime.combine(self.start, dt.time())

    @property
    def ends_before(self) -> dt.datetime:
        """The first moment after the period."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())


def period_for(year: int | None = None, start: dt.date | None = None, end: dt.date | None = None,
               today: dt.date | None = None) -> Period:
    """A year, a from/to range (an open end is the start's year end or today), or this year."""
    today = today or dt.date.today()
    if year:
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
    if start or end:
        start = start or dt.date((end or today).year, 1, 1)
        end = end or dt.date(start.year, 12, 31)
        if end < start:
            raise ValidationError({"to": ["结束日期不能早于开始日期。"]})
        if (end - start).days > MAX_PERIOD_DAYS:
            raise ValidationError({"to": ["统计期间不能超过十年。"]})
        return Period(start, end)
    return Period(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))


# ---- the rubric ----------------------------------------------------------------------------
@dataclass
class Criterion:
    """One weighted criterion of the score: `target` earns full marks (annual for counts)."""

    metric: str
    label: str
    unit: str
    kind: str  # "count": target scaled to the period's length; "ratio": as is, skipped without data
    weight: float
    target: float


DEFAULT_RUBRIC = [
    Criterion("cases_published", "以案释法：发布典型案例", "件", "count", 25, 12),
    Criterion("talks_delivered", "社会普法宣传：开展宣讲活动", "场", "count", 20, 12),
    Criterion("audience", "社会普法宣传：受众人次", "人次", "count", 15, 1000),
    Criterion("page_views", "实效：案例页阅读量", "次", "count", 10, 5000),
    Criterion("on_time_share", "点单按时完成率", "%", "ratio", 10, 90),
    Criterion("satisfaction", "群众满意度", "分", "ratio", 10, 4.5),
    Criterion("duty_done_share", "普法责任清单完成率", "%", "ratio", 10, 100),
]


def rubric() -> list[Criterion]:
    """The criteria as the 普法办 configured them (defaults where it did not)."""
    stored = {row.metric: row for row in db.session.scalars(select(RubricCriterion))}
    return [Criterion(c.metric, c.label, c.unit, c.kind, stored[c.metric].weight if c.metric in stored else c.weight,
                      stored[c.metric].target if c.metric in stored else c.target) for c in DEFAULT_RUBRIC]


def save_rubric(actor: User, raw: dict) -> list[Criterion]:
    """Set the weights (0–100) and targets (> 0) of every criterion (the 普法办)."""
    require(actor, "rubric.edit")
    errors: dict[str, list[str]] = {}
    values: dict[str, tuple[float, float]] = {}
    for criterion in DEFAULT_RUBRIC:
        parsed = []
        for part, low, high in (("weight", 0, 100), ("target", 0.01, 1_000_000)):
            name = f"{part}_{criterion.metric}"
            try:
                number = float(str(raw.get(name, "")).strip())
                if not low <= number <= high or number != number:
                    raise ValueError
                parsed.append(number)
            except ValueError:
                errors[name] = [f"{'权重' if part == 'weight' else '目标值'}应为 {low} 到 {high} 之间的数字。"]
        if len(parsed) == 2:
            values[criterion.metric] = (parsed[0], parsed[1])
    if not errors and sum(w for w, _ in values.values()) <= 0:
        errors["weight_cases_published"] = ["权重之和必须大于 0。"]
    if errors:
        raise ValidationError(errors)
    now = utcnow()
    for metric, (weight, target) in values.items():
        row = db.session.get(RubricCriterion, metric) or RubricCriterion(metric=metric)
        row.weight, row.target, row.updated_by, row.updated_at = weight, target, actor.id, now
        db.session.add(row)
    audit(actor, "rubric.save", weights={m: w for m, (w, _) in values.items()},
          targets={m: t for m, (_, t) in values.items()})
    db.session.commit()
    return rubric()


# ---- the figures ---------------------------------------------------------------------------
@dataclass
class OrgFigures:
    """One organisation's figures for the period, its score and rank."""

    organisation_id: int | None
    organisation: str
    kind: str
    region: str = ""
    cases_published: int = 0
    cases_by_hot_issue: dict[str, int] = field(default_factory=dict)
    review_days: list[float] = field(default_factory=list)
    reviews_returned: int = 0
    reviews_published: int = 0
    talks_delivered: int = 0
    audience: int = 0
    orders_received: int = 0
    orders_accepted: int = 0
    orders_declined: int = 0
    orders_completed: int = 0
    orders_on_time: int = 0
    orders_overdue: int = 0
    satisfaction_sum: float = 0.0
    evaluations: int = 0
    page_views: int = 0
    collection_views: int = 0
    duty_items: int = 0
    duty_done: int = 0
    duty_overdue: int = 0
    score: float = 0.0
    rank: int = 0
    points: dict[str, float | None] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        """The kind's Chinese name."""
        return ISSUER_KINDS.get(self.kind, self.kind)

    @property
    def review_days_median(self) -> float | None:
        """Median days from submission to publication."""
        return round(statistics.median(self.review_days), 1) if self.review_days else None

    @property
    def returned_share(self) -> float | None:
        """Share (0–1) of review decisions that returned the case."""
        decided = self.reviews_returned + self.reviews_published
        return self.reviews_returned / decided if decided else None

    @property
    def satisfaction(self) -> float | None:
        """Mean satisfaction (1–5)."""
        return round(self.satisfaction_sum / self.evaluations, 2) if self.evaluations else None

    @property
    def on_time_share(self) -> float | None:
        """Share (0–1) of completed orders held within the orderer's time window."""
        return self.orders_on_time / self.orders_completed if self.orders_completed else None

    @property
    def duty_done_share(self) -> float | None:
        """Share (0–1) of duty items done."""
        return self.duty_done / self.duty_items if self.duty_items else None

    def value(self, metric: str) -> float | None:
        """A criterion's value in the criterion's unit (shares as percentages)."""
        raw = getattr(self, metric)
        return raw * 100 if raw is not None and metric.endswith("_share") else raw


@dataclass
class Report:
    """Everything the dashboard, report, export, API and public page show for one period."""

    period: Period
    rows: list[OrgFigures]
    totals: OrgFigures
    library_published: int
    undated_cases: int
    rubric: list[Criterion]
    monthly: list[tuple[str, int, int]]
    generated_at: dt.datetime


# (attribute, column heading, unit): the one list the export, the API and the tables use.
COLUMNS = [
    ("cases_published", "发布典型案例", "件"),
    ("review_days_median", "审核用时中位数", "天"),
    ("returned_share", "退回修改比例", "%"),
    ("talks_delivered", "开展宣讲", "场"),
    ("audience", "受众", "人次"),
    ("orders_received", "接到派单", "单"),
    ("orders_accepted", "接单", "单"),
    ("orders_declined", "拒单", "单"),
    ("orders_completed", "完成点单", "单"),
    ("orders_on_time", "按时完成", "单"),
    ("orders_overdue", "逾期未接单", "次"),
    ("satisfaction", "群众满意度", "分，1–5"),
    ("evaluations", "评单", "份"),
    ("page_views", "案例阅读量", "次"),
    ("collection_views", "专题阅读量", "次"),
    ("duty_items", "责任清单事项", "项"),
    ("duty_done", "已完成事项", "项"),
    ("duty_overdue", "逾期事项", "项"),
    ("score", "考核得分", "分，满分100"),
    ("rank", "排名", "名"),
]
UNITS = {name: unit for name, _, unit in COLUMNS}


def _by_org(rows) -> dict:
    """Query rows (organisation id, value…) as {organisation id: value or tuple}."""
    return {row[0]: (row[1] if len(row) == 2 else tuple(row[1:])) for row in rows}


def _review_figures(period: Period, figures: dict[int, OrgFigures]) -> None:
    """Review days and returns from the audit log.

    Returns are counted in SQL. For days, only the cases published in the period are read, with
    their submissions and publications of the year before (a cycle starts at its first submission
    after the previous publication; a return does not end it).
    """
    in_period = and_(AuditEvent.at >= period.starts_at, AuditEvent.at < period.ends_before)
    for issuer_id, n in db.session.execute(
            select(Case.issuer_id, func.count()).select_from(AuditEvent).join(Case, Case.id == AuditEvent.case_id)
            .where(AuditEvent.action == "case.return", in_period).group_by(Case.issuer_id)):
        if issuer_id in figures:
            figures[issuer_id].reviews_returned = n
    published = select(AuditEvent.case_id).where(AuditEvent.action == "case.publish", in_period)
    rows = db.session.execute(
        select(AuditEvent.case_id, AuditEvent.action, AuditEvent.at, Case.issuer_id)
        .join(Case, Case.id == AuditEvent.case_id)
        .where(AuditEvent.case_id.in_(published), AuditEvent.action.in_(("case.submit", "case.publish")),
               AuditEvent.at >= period.starts_at - dt.timedelta(days=365), AuditEvent.at < period.ends_before)
        .order_by(AuditEvent.case_id, AuditEvent.at, AuditEvent.id))
    cycle_start: dict[int, dt.datetime] = {}
    for case_id, action, at, issuer_id in rows:
        if action == "case.submit":
            cycle_start.setdefault(case_id, at)
            continue
        started = cycle_start.pop(case_id, None)
        org = figures.get(issuer_id)
        if org is None or at < period.starts_at:
            continue
        org.reviews_published += 1
        if started is not None:
            org.review_days.append((at - started).total_seconds() / 86400)


def _fill(period: Period, figures: dict[int, OrgFigures], today: dt.date) -> None:
    """Every figure of every organisation, one grouped query per figure."""
    public_in_period = and_(Case.is_public, Case.published_date.between(period.start, period.end))
    for org_id, n in db.session.execute(select(Case.issuer_id, func.count()).where(public_in_period)
                                        .group_by(Case.issuer_id)):
        figures[org_id].cases_published = n
    for org_id, name, n in db.session.execute(
            select(Case.issuer_id, TaxonomyTerm.name, func.count()).join(CaseTag, CaseTag.case_id == Case.id)
            .join(TaxonomyTerm, TaxonomyTerm.id == CaseTag.term_id)
            .where(public_in_period, TaxonomyTerm.scheme == "hot_issue").group_by(Case.issuer_id, TaxonomyTerm.name)):
        figures[org_id].cases_by_hot_issue[name] = n
    _review_figures(period, figures)
    held = Delivery.held_on.between(period.start, period.end)
    for org_id, (n, people) in _by_org(db.session.execute(
            select(Delivery.organisation_id, func.count(), func.sum(Delivery.attendance)).where(held)
            .group_by(Delivery.organisation_id))).items():
        figures[org_id].talks_delivered, figures[org_id].audience = n, int(people or 0)
    in_period = and_(OrderEvent.at >= period.starts_at, OrderEvent.at < period.ends_before)
    for state, attr in (("dispatched", "orders_received"), ("accepted", "orders_accepted"),
                        ("declined", "orders_declined"), ("overdue", "orders_overdue")):
        for org_id, n in db.session.execute(
                select(OrderEvent.organisation_id, func.count(func.distinct(OrderEvent.order_id)))
                .where(in_period, OrderEvent.state == state, OrderEvent.organisation_id.is_not(None))
                .group_by(OrderEvent.organisation_id)):
            setattr(figures[org_id], attr, n)
    for org_id, (n, on_time) in _by_org(db.session.execute(
            select(Delivery.organisation_id, func.count(), func.sum(case((Delivery.held_on <= Order.window_end, 1),
                                                                         else_=0)))
            .join(Order, Order.id == Delivery.order_id).where(held).group_by(Delivery.organisation_id))).items():
        figures[org_id].orders_completed, figures[org_id].orders_on_time = n, int(on_time or 0)
    for org_id, (total, n) in _by_org(db.session.execute(
            select(Delivery.organisation_id,
                   func.sum(Evaluation.content + Evaluation.delivery + Evaluation.usefulness), func.count())
            .join(Delivery, Delivery.order_id == Evaluation.order_id)
            .where(Evaluation.created_at >= period.starts_at, Evaluation.created_at < period.ends_before)
            .group_by(Delivery.organisation_id))).items():
        figures[org_id].satisfaction_sum, figures[org_id].evaluations = float(total or 0) / 3, n
    for org_id, kind, n in db.session.execute(
            select(OrganisationPageView.organisation_id, OrganisationPageView.kind, func.sum(OrganisationPageView.n))
            .where(OrganisationPageView.day.between(period.start, period.end))
            .group_by(OrganisationPageView.organisation_id, OrganisationPageView.kind)):
        if org_id in figures:
            setattr(figures[org_id], "page_views" if kind == "case" else "collection_views", int(n or 0))
    for org_id, status, due in db.session.execute(
            select(DutyItem.organisation_id, DutyItem.status, DutyItem.due_date)
            .where(DutyItem.year.between(period.start.year, period.end.year))):
        org = figures[org_id]
        org.duty_items += 1
        org.duty_done += status == "done"
        org.duty_overdue += status != "done" and due < today


def _score(org: OrgFigures, criteria: list[Criterion], period: Period) -> None:
    """Weighted share of each criterion's target, 0–100; ratio criteria without data do not count."""
    earned = weights = 0.0
    for criterion in criteria:
        value = org.value(criterion.metric)
        if criterion.weight <= 0 or (value is None and criterion.kind == "ratio"):
            org.points[criterion.metric] = None
            continue
        target = criterion.target * (period.days / 365 if criterion.kind == "count" else 1)
        fraction = min(1.0, (value or 0) / target) if target > 0 else 1.0
        org.points[criterion.metric] = round(fraction * criterion.weight, 2)
        earned += fraction * criterion.weight
        weights += criterion.weight
    org.score = round(100 * earned / weights, 1) if weights else 0.0


def _totals(rows: list[OrgFigures]) -> OrgFigures:
    """The sum (and pooled median and mean) over every organisation."""
    total = OrgFigures(None, "合计", "")
    for row in rows:
        for name, value in vars(row).items():
            if isinstance(value, int) and name not in ("organisation_id", "rank"):
                setattr(total, name, getattr(total, name) + value)
        total.satisfaction_sum += row.satisfaction_sum
        total.review_days += row.review_days
        for issue, n in row.cases_by_hot_issue.items():
            total.cases_by_hot_issue[issue] = total.cases_by_hot_issue.get(issue, 0) + n
    total.score = round(statistics.mean(r.score for r in rows), 1) if rows else 0.0
    return total


def _monthly(period: Period) -> list[tuple[str, int, int]]:
    """Talks and audience per month of the period (at most 36 months shown)."""
    buckets: dict[str, list[int]] = {}
    cursor = period.start.replace(day=1)
    while cursor <= period.end and len(buckets) < 36:
        buckets[f"{cursor:%Y-%m}"] = [0, 0]
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    year, month = extract("year", Delivery.held_on), extract("month", Delivery.held_on)
    for y, m, talks, people in db.session.execute(
            select(year, month, func.count(), func.sum(Delivery.attendance))
            .where(Delivery.held_on.between(period.start, period.end)).group_by(year, month)):
        bucket = buckets.get(f"{int(y):04d}-{int(m):02d}")
        if bucket is not None:
            bucket[0] += talks
            bucket[1] += int(people or 0)
    return [(month, talks, people) for month, (talks, people) in buckets.items()]


def organisation_report(period: Period, today: dt.date | None = None) -> Report:
    """THE figures of every organisation for a period, scored and ranked (see the module docstring)."""
    today = today or dt.date.today()
    figures = {org.id: OrgFigures(org.id, org.name, org.kind, org.region or "")
               for org in db.session.scalars(select(Issuer).order_by(Issuer.kind, Issuer.name))}
    _fill(period, figures, today)
    criteria = rubric()
    rows = list(figures.values())
    for row in rows:
        _score(row, criteria, period)
    rows.sort(key=lambda r: (-r.score, -r.cases_published, r.organisation))
    for position, row in enumerate(rows, 1):  # competition ranking: equal scores share a rank
        row.rank = rows[position - 2].rank if position > 1 and row.score == rows[position - 2].score else position
    library = db.session.scalar(select(func.count()).select_from(Case).where(
        Case.is_public, Case.published_date.between(period.start, period.end))) or 0
    undated = db.session.scalar(select(func.count()).select_from(Case).where(
        Case.is_public, Case.published_date.is_(None))) or 0
    return Report(period, rows, _totals(rows), library, undated, criteria, _monthly(period), utcnow())


def dashboard(actor: User, period: Period) -> Report:
    """The assessment dashboard for the 普法办 (and admins)."""
    require(actor, "stats.read")
    return organisation_report(period)


# ---- presentation helpers shared by the page, the export and the API ------------------------
def display(row: OrgFigures, name: str) -> str:
    """A figure as text for tables (— for no data; shares as percentages)."""
    value = getattr(row, name)
    if value is None:
        return "—"
    if name.endswith("_share"):
        return f"{value * 100:.0f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def export_value(row: OrgFigures, name: str):
    """A figure as a spreadsheet cell value (numbers stay numbers; shares as percentages)."""
    value = getattr(row, name)
    if value is not None and name.endswith("_share"):
        return round(value * 100, 1)
    return value


def export_xlsx(report: Report) -> bytes:
    """The report as an .xlsx workbook: figures per organisation, cases by hot issue, the rubric."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "机构统计"
    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="F3E6E6")
    sheet.append([f"普法责任制考核统计（统计期间：{report.period.label}）"])
    sheet.append([f"统计期间 {report.period.start.isoformat()} 至 {report.period.end.isoformat()}；"
                  f"生成时间 {report.generated_at:%Y-%m-%d %H:%M} UTC；全库本期发布案例 {report.library_published} 件"])
    headers = ["排名", "机构", "机构类型", "地区"] + [f"{label}（{unit}）" for name, label, unit in COLUMNS
                                                if name != "rank"]
    sheet.append(headers)
    for row in report.rows:
        sheet.append([row.rank, row.organisation, row.kind_label, row.region]
                     + [export_value(row, name) for name, _, _ in COLUMNS if name != "rank"])
    totals = report.totals
    sheet.append(["", "合计", "", ""] + [export_value(totals, name) if name not in ("score",) else None
                                        for name, _, _ in COLUMNS if name != "rank"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.row_dimensions[3].height = 54  # three wrapped lines: heading and unit
    for cell in sheet[3]:
        cell.font, cell.fill = bold, head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.freeze_panes = "C4"
    sheet.page_setup.orientation = "landscape"  # printed: every column on the page's width
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_title_rows = "3:3"
    for index in range(1, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = {1: 6, 2: 26, 3: 12, 4: 10}.get(index, 9)
    issues = sorted(totals.cases_by_hot_issue, key=lambda k: -totals.cases_by_hot_issue[k])
    by_issue = book.create_sheet("按热点问题")
    by_issue.append([f"发布典型案例按热点问题（件；统计期间：{report.period.label}）"])
    by_issue.append(["机构"] + issues)
    for row in report.rows:
        by_issue.append([row.organisation] + [row.cases_by_hot_issue.get(issue, 0) for issue in issues])
    for cell in by_issue[2]:
        cell.font = bold
    by_issue.column_dimensions["A"].width = 28
    rules = book.create_sheet("评分细则")
    rules.append(["考核指标", "单位", "权重", "满分目标值（计数类为全年目标，按期间长度折算）", "类型"])
    for criterion in report.rubric:
        rules.append([criterion.label, criterion.unit, criterion.weight, criterion.target,
                      "计数" if criterion.kind == "count" else "比率（无数据时不计入）"])
    for cell in rules[1]:
        cell.font = bold
    rules.column_dimensions["A"].width = 30
    rules.column_dimensions["D"].width = 44
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def api_rows(report: Report) -> list[dict]:
    """Per-organisation figures for GET /api/v1/stats/organisations (dumped by schemas/stats.py)."""
    return [{"organisation": r.organisation, "organisation_id": r.organisation_id, "kind": r.kind,
             "kind_label": r.kind_label, "region": r.region, "cases_published": r.cases_published,
             "page_views": r.page_views, "collection_views": r.collection_views,
             "talks_delivered": r.talks_delivered, "audience": r.audience, "orders_received": r.orders_received,
             "orders_completed": r.orders_completed, "orders_on_time": r.orders_on_time,
             "satisfaction": r.satisfaction, "duty_items": r.duty_items, "duty_done": r.duty_done,
             "score": r.score, "rank": r.rank} for r in report.rows]
