"""flask kits export: the same Word / slides / booklet files as the workspace, from the command line."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import Collection
from app.services import kits as kit_service
from app.services.errors import Missing
from app.services.exports import FORMATS, render

kits_cli = AppGroup("kits", help="备课材料：导出讲稿、演示文稿和读本。")


@kits_cli.command("export")
@click.option("--case", "cases", multiple=True, metavar="SOURCE_ID", help="案例编号（source_id），可重复，按给出顺序。")
@click.option("--collection", "collection_id", type=int, help="备课篮编号（与 --case 二选一）。")
@click.option("--title", default="", help="讲座题目（--case 时必填）。")
@click.option("--audience", default="", help="对象：机关、乡村、社区、学校、企业、单位或自定。")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), required=True, help="docx、pptx 或 pdf。")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="输出文件。")
def export(cases: tuple[str, ...], collection_id: int | None, title: str, audience: str, fmt: str,
           output: Path) -> None:
    """Export a kit of published cases (by source_id) or of a collection as .docx, .pptx or .pdf."""
    if bool(cases) == bool(collection_id):
        raise click.UsageError("请给出 --case（可多次）或 --collection 之一。")
    if cases and not title.strip():
        raise click.UsageError("使用 --case 时须给出 --title。")
    base = current_app.config["PUBLIC_BASE_URL"] or ""
    if not base:
        click.echo("提示：未设置 PUBLIC_BASE_URL，二维码将指向 http://localhost/ ，请设置为网站的公开地址。", err=True)
    with current_app.test_request_context(base_url=base or "http://localhost/"):
        try:
            kit = _kit(cases, collection_id, title.strip(), audience.strip())
        except Missing as exc:
            raise click.ClickException(f"找不到已发布的案例或备课篮：{exc}") from None
        output.write_bytes(render(kit, fmt))
    click.echo(f"已导出 {len(kit.cases)} 件案例到 {output}（{FORMATS[fmt].label}）。", err=True)
    for case, notice in kit.notices:
        click.echo(f"法律效力提示 · 案例{case.number}：{notice.message}", err=True)


def _kit(cases: tuple[str, ...], collection_id: int | None, title: str, audience: str):
    """The kit named on the command line (a collection is exported as its owner sees it)."""
    if cases:
        return kit_service.for_cases(list(cases), title, audience)
    collection = db.session.scalar(select(Collection).where(Collection.id == collection_id))
    if collection is None:
        raise Missing(f"备课篮 {collection_id}")
    kit = kit_service.from_collection(collection)  # the operator's command: no web permission applies
    if title:
        kit.title = title
    if audience:
        kit.audience = audience
    return kit


def register(app: Flask) -> None:
    """Attach the kits command group."""
    app.cli.add_command(kits_cli)
