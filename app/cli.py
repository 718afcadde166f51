"""Flask CLI: cases import/export, search reindex/sync/status, taxonomy load, seed."""
from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from tqdm import tqdm

from app.extensions import db
from app.models import Case, Law
from app.services import cases as case_service
from app.services import duplicates, importer, index_sync, linking
from app.services import laws as laws_service
from app.services import search as search_service
from app.services.taxonomy import SEED_FILE, TaxonomyError, load_terms
from indexer.analysis import analysis_version
from indexer.backends.base import SearchUnavailable
from indexer.backends.engine_client import EngineError

SEED_DIR = Path(__file__).resolve().parent.parent / "seed_cases"
cases_cli = AppGroup("cases", help="导入、导出案例（交换格式 JSONL）。")
search_cli = AppGroup("search", help="搜索索引：重建、同步、状态。")
taxonomy_cli = AppGroup("taxonomy", help="分类体系（热点问题、法律部门）。")
laws_cli = AppGroup("laws", help="法律法规与司法解释。")


def _count_lines(paths: list[Path]) -> int:
    """Lines in all files, for the progress bar total."""
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            total += sum(1 for _ in handle)
    return total


def run_import(paths: list[Path], quiet: bool = False, check_personal_data: bool = False) -> importer.ImportReport:
    """Import files with a progress bar; the index catches up after every batch."""
    with tqdm(total=_count_lines(paths), unit="件", desc="导入", disable=quiet, file=sys.stderr,
              mininterval=1.0) as bar:
        report = importer.import_files(paths, on_line=bar.update, check_personal_data=check_personal_data)
    for error in report.errors:
        click.echo(f"错误 {error}", err=True)
    click.echo(
        f"新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}，失败 {report.failed_lines} 行。",
        err=True,
    )
    if report.duplicate_groups:
        click.echo(f"同一案例多次发布：{report.duplicate_groups} 组，每组只列出最权威的版本（其余见案例页“另见”）。",
                   err=True)
    if report.flagged_cases:
        click.echo(f"脱敏检查：{report.flagged_cases} 件案例共 {report.findings} 处疑似个人信息，"
                   "已作为已公开的官方案例导入，检查结果记入审计日志。", err=True)
    return report


@cases_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="不显示进度条。")
@click.option("--check-personal-data/--no-check-personal-data", default=True, show_default=True,
              help="脱敏检查：已公开的官方案例照常导入，疑似个人信息记入审计日志。")
def import_cases(files: tuple[Path, ...], quiet: bool, check_personal_data: bool) -> None:
    """Import interchange JSONL files (idempotent by source_id)."""
    report = run_import(list(files), quiet, check_personal_data)
    if not report.ok:
        sys.exit(1)


@cases_cli.command("export")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="输出文件（默认标准输出）。")
@click.option("--all-states", is_flag=True, help="包含未发布的案例。")
def export_cases(output, all_states: bool) -> None:
    """Export cases as interchange JSONL, in id order."""
    query = select(Case).order_by(Case.id)
    if not all_states:
        query = query.where(Case.is_public)
    for case in db.session.scalars(query).yield_per(500):
        output.write(json.dumps(case_service.to_record(case), ensure_ascii=False) + "\n")


@cases_cli.command("duplicates")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def duplicate_report(as_json: bool) -> None:
    """List the cases published more than once: canonical version, other publications, why."""
    groups = duplicates.link_duplicates()
    db.session.commit()
    rows: list[dict[str, Any]] = [
        {"canonical": {"id": g.canonical.id, "source_id": g.canonical.source_id, "title": g.canonical.title,
                       "document_number": g.canonical.document_number},
         "others": [{"id": o.id, "source_id": o.source_id, "title": o.title} for o in g.others],
         "reasons": g.reasons} for g in groups]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        canonical = row["canonical"]
        others = "；".join(f"{o['title']}（{o['source_id']}）" for o in row["others"])
        click.echo(f"{canonical['title']}（{canonical['document_number'] or canonical['source_id']}）← {others}"
                   f" [{'、'.join(row['reasons'])}]")
    click.echo(f"共 {len(rows)} 组。", err=True)


@search_cli.command("reindex")
def reindex() -> None:
    """Rebuild the index beside the live one and swap it in."""
    with tqdm(total=index_sync.listed_count(), unit="件", desc="重建索引", file=sys.stderr) as bar:
        try:
            count = index_sync.reindex(progress=bar.update)
        except (SearchUnavailable, EngineError) as exc:
            raise click.ClickException(f"重建索引失败，原索引继续提供服务：{exc}") from exc
    click.echo(f"已索引 {count} 件案例。", err=True)


@search_cli.command("sync")
@click.option("--follow", is_flag=True, help="持续运行：队列有新行即同步，搜索引擎故障时退避重试。")
@click.option("--interval", default=1.0, show_default=True, help="空闲时轮询间隔（秒）。")
@click.option("--max-backoff", default=60.0, show_default=True, help="故障重试的最长等待（秒）。")
def sync(follow: bool, interval: float, max_backoff: float) -> None:
    """Apply waiting outbox rows to the index (safe to run in several processes at once)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a service manager's stop ends the loop cleanly
    delay = interval
    while True:
        report = index_sync.sync()
        if report.rows or report.error or not follow:
            click.echo(f"索引 {report.indexed}，删除 {report.deleted}，处理队列 {report.rows} 行。", err=True)
        if report.error:
            click.echo(f"同步失败，队列保留待重试：{report.error}", err=True)
            if not follow:
                sys.exit(1)
            delay = min(delay * 2, max_backoff)  # exponential backoff while the engine is down
        else:
            delay = interval
        if not follow:
            return
        db.session.remove()  # no transaction held open while waiting
        time.sleep(delay)


@search_cli.command("status")
def status() -> None:
    """Backend, index, documents vs listed cases, outbox backlog; deletes orphans of killed rebuilds."""
    removed = index_sync.cleanup()
    state = index_sync.status()
    click.echo(json.dumps({"backend": current_app.config["SEARCH_BACKEND"], **state, "removed_orphans": removed},
                          ensure_ascii=False, indent=1))
    if not state["engine"].get("ok"):
        sys.exit(1)


@search_cli.command("zero-results")
@click.option("--limit", default=50, show_default=True, help="最多列出多少条。")
def zero_result_report(limit: int) -> None:
    """Queries that found nothing, most frequent first: candidates for the dictionary and synonyms."""
    for row in search_service.zero_results(limit):
        click.echo(f"{row.count}\t{row.last_seen:%Y-%m-%d}\t{row.query}")


@taxonomy_cli.command("load")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_taxonomy(file: Path | None) -> None:
    """Create or update taxonomy terms from a JSON file (default: the built-in seed)."""
    try:
        created, updated = load_terms(file or SEED_FILE)
    except (TaxonomyError, KeyError, ValueError) as exc:
        raise click.ClickException(f"分类文件无效：{exc}") from exc
    click.echo(f"新增 {created} 项，更新 {updated} 项。", err=True)


@laws_cli.command("import")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_laws(directory: Path | None) -> None:
    """Import every law file (Markdown) under DIRECTORY (default: seed_laws/); idempotent."""
    root = directory or laws_service.SEED_DIR
    total = sum(1 for p in root.rglob("*.md") if p.name != "README.md")
    with tqdm(total=total, unit="部", desc="导入法律", file=sys.stderr, mininterval=1.0) as bar:
        counts = laws_service.import_dir(root, on_file=bar.update)
    click.echo(f"新增 {counts['created']} 部，更新 {counts['updated']} 部，未变 {counts['unchanged']} 部，"
               f"条文 {counts['articles']} 条。", err=True)
    click.echo(f"案例引用已关联到条文 {linking.relink_all()} 处。", err=True)
    click.echo(f"法条检索索引：{laws_service.rebuild_article_index()} 条。", err=True)


@click.command("seed")
@with_appcontext
def seed() -> None:
    """Load the taxonomies and every real case in seed_cases/, then make sure the index is complete."""
    load_terms(SEED_FILE)
    from app.services.duties import load_national_dates

    load_national_dates()  # the 普法 calendar's national key dates (国家宪法日 …)
    if not db.session.scalar(select(Law.id).limit(1)):  # laws first, so case citations resolve
        click.echo("导入法律法规与司法解释（首次约一分钟）……", err=True)
        laws_service.import_dir()
    if laws_service.article_index().analysis_version() != analysis_version():
        click.echo("建立法条检索索引……", err=True)
        laws_service.rebuild_article_index()
    report = run_import(sorted(SEED_DIR.glob("*.jsonl")))  # official publications: no per-case 脱敏 scan on seed (80 s)
    index_sync.sync()
    engine = search_service.backend()
    if engine.count() != index_sync.listed_count() or engine.analysis_version() != analysis_version():
        click.echo("索引与数据库或分词词典不一致，重建索引。", err=True)  # index deleted, or dictionary changed
        index_sync.reindex()
    if not report.ok:
        sys.exit(1)


def register(app: Flask) -> None:
    """Attach the command groups."""
    for command in (cases_cli, search_cli, taxonomy_cli, laws_cli, seed):
        app.cli.add_command(command)
