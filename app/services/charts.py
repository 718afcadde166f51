"""Charts as server-rendered SVG: no JavaScript, no chart library, nothing fetched from outside.

Only presentation attributes (fill, x, y…) are used, so the strict CSP (no inline styles) holds;
every label is escaped. Each chart carries a title and an aria-label, and its numbers as text.
"""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

RED, GRID, INK, MUTED = "#8b1a1a", "#dddddd", "#1a1a1a", "#555555"


def _number(value: float) -> str:
    """12, 3.5 — no trailing zeros."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _heading(title: str, unit: str) -> str:
    """The chart's visible title with its unit."""
    return f'<text x="0" y="16" font-size="14" font-weight="bold" fill="{INK}">{escape(title)}（{escape(unit)}）</text>'


def bar_chart(items: Sequence[tuple[str, float]], unit: str, title: str, width: int = 640) -> Markup:
    """Horizontal bars, one per (label, value), the value written at the bar's end."""
    row, label_width, top = 26, 170, 30
    height = top + row * max(1, len(items)) + 8
    peak = max((v for _, v in items), default=0) or 1
    plot = width - label_width - 70
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>",
             _heading(title, unit)]
    if not items:
        parts.append(f'<text x="0" y="{top + 16}" font-size="13" fill="{MUTED}">本期暂无数据</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * row
        name = label if len(label) <= 14 else label[:13] + "…"
        bar = max(1.0, plot * (value / peak)) if value else 0
        parts.append(f'<text x="{label_width - 6}" y="{y + 17}" font-size="13" text-anchor="end" fill="{INK}">'
                     f"{escape(name)}</text>")
        parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{bar:.1f}" height="{row - 8}" fill="{RED}"/>')
        parts.append(f'<text x="{label_width + bar + 4:.1f}" y="{y + 17}" font-size="13" fill="{INK}">'
                     f"{escape(_number(value))}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(items: Sequence[tuple[str, float]], unit: str, title: str, width: int = 640,
                 height: int = 220) -> Markup:
    """Vertical columns over time (months), value above each column, gridlines at quarters."""
    top, bottom, left = 28, 36, 36
    plot_h, plot_w = height - top - bottom, width - left - 8
    peak = max((v for _, v in items), default=0) or 1
    step = plot_w / max(1, len(items))
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>",
             _heading(title, unit)]
    for q in range(5):
        y = top + plot_h * q / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="{MUTED}">'
                     f"{escape(_number(round(peak * (4 - q) / 4, 1)))}</text>")
    for i, (label, value) in enumerate(items):
        h = plot_h * (value / peak)
        x = left + i * step + step * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="{RED}"/>')
        if value:
            parts.append(f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h - h - 3:.1f}" font-size="12" '
                         f'text-anchor="middle" fill="{INK}">{escape(_number(value))}</text>')
        if len(items) <= 12 or i % max(1, len(items) // 12) == 0:
            parts.append(f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 16}" font-size="12" '
                         f'text-anchor="middle" fill="{MUTED}">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
