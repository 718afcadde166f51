"""Flask CLI for 菜单式普法 and the assessment:
`flask orders sweep|purge`, `flask stats export`, `flask calendar load`."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from marshmallow import ValidationError

from app.services import duties, stats
from app.services import orders as order_service
from schemas.errors import flatten

orders_cli = AppGroup("orders", help="群众点单：逾期标记、自动归档、个人信息清除。")
stats_cli = AppGroup("stats", help="普法责任制考核统计。")
calendar_cli = AppGroup("calendar", help="普法日历（国家宪法日等重要节点）。")


def _moment(text: str | None) -> dt.datetime | None:
    """--now 2025-06-01T08:00 (UTC, naive) for runs that act as of another time."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise click.BadParameter("应为 ISO 时间，如 2025-06-01T08:00。", param_hint="--now") from None


@orders_cli.command("sweep")
@click.option("--now", "now_text", help="按此时刻（UTC）计算期限，默认当前时间。")
def sweep(now_text: str | None) -> None:
    """Mark overdue orders, archive those past the evaluation window, purge expired personal data."""
    report = order_service.sweep(_moment(now_text))
    click.echo(f"逾期未派单 {report.overdue_dispatch}，逾期未接单 {report.overdue_accept}，"
               f"自动归档 {report.archived}，清除个人信息 {report.purged} 单。")


@orders_cli.command("purge")
@click.option("--now", "now_text", help="按此时刻（UTC）计算保存期限，默认当前时间。")
def purge(now_text: str | None) -> None:
    """Delete orderers' names, phones and remarks once ORDER_RETENTION_DAYS have passed since closing."""
    count = order_service.purge(_moment(now_text))
    click.echo(f"已清除 {count} 单的点单人姓名、电话与备注。")


def _date(text: str | None, name: str) -> dt.date | None:
    """A YYYY-MM-DD option."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("应为日期 YYYY-MM-DD。", param_hint=name) from None


@stats_cli.command("export")
@click.option("--year", type=click.IntRange(2000, 2100), help="统计年份。")
@click.option("--from", "start", help="起始日期 YYYY-MM-DD（含）。")
@click.option("--to", "end", help="截止日期 YYYY-MM-DD（含）。")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出 .xlsx 文件。")
def export(year: int | None, start: str | None, end: str | None, output: Path) -> None:
    """Write the per-organisation figures (the dashboard's table) to an .xlsx workbook."""
    if year and (start or end):
        raise click.UsageError("--year 与 --from/--to 不能同时使用。")
    try:
        period = stats.period_for(year, _date(start, "--from"), _date(end, "--to"))
    except ValidationError as exc:
        for item in flatten(exc.messages):
            click.echo(f"错误 [{item['field']}] {'；'.join(item['messages'])}", err=True)
        sys.exit(1)
    report = stats.organisation_report(period)
    output.write_bytes(stats.export_xlsx(report))
    click.echo(f"已写入 {output}：{len(report.rows)} 个机构，统计期间 {period.label}，"
               f"全库本期发布案例 {report.library_published} 件。")


@calendar_cli.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(path: Path | None) -> None:
    """Create or update the national key dates (default: app/data/pufa_dates.json)."""
    created, updated = duties.load_national_dates(path or duties.CALENDAR_FILE)
    click.echo(f"普法日历：新增 {created}，更新 {updated}。")


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    for group in (orders_cli, stats_cli, calendar_cli):
        app.cli.add_command(group)
