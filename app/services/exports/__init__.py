"""Kit exports: Word 讲稿 (.docx), slides (.pptx) and an A5 booklet (.pdf), all rendered from one Kit."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.services.exports import booklet, slides, word
from app.services.kits import Kit


@dataclass(frozen=True)
class ExportFormat:
    """One output format: how to render it and how to serve it."""

    render: Callable[[Kit], bytes]
    mimetype: str
    label: str


FORMATS = {
    "docx": ExportFormat(word.render, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                         "Word 讲稿"),
    "pptx": ExportFormat(slides.render, "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                         "演示文稿"),
    "pdf": ExportFormat(booklet.render, "application/pdf", "A5 读本（PDF）"),
}


def render(kit: Kit, fmt: str) -> bytes:
    """The kit in format `fmt` (docx, pptx or pdf)."""
    return FORMATS[fmt].render(kit)


def filename(kit: Kit, fmt: str) -> str:
    """A download name: the title without characters file systems refuse."""
    safe = "".join(ch for ch in kit.title if ch not in '\\/:*?"<>|\r\n\t').strip()[:60] or "备课"
    return f"{safe}.{fmt}"
