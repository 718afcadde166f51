"""The printable booklet (.pdf, A5): cover with the law notices, table of contents, per case the
普法版 (or the marked fallback), the cited articles with their version, a QR code; page numbers;
at the end the version of every cited law and the date.

Text is set in STSong-Light, one of the standard CJK fonts every PDF reader must supply (Adobe-GB1),
so the file needs no font on the printing machine and carries none. Lecturer notes stay out: the
booklet is what the audience takes home.
"""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from app.services.exports.word import case_number
from app.services.kits import Kit, KitCase

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
RED = HexColor("#8B1A1A")


def _style(name: str, size: float, leading: float | None = None, **extra) -> ParagraphStyle:
    """A CJK-wrapping paragraph style."""
    return ParagraphStyle(name, fontName=FONT, fontSize=size, leading=leading or size * 1.55, wordWrap="CJK",
                          **extra)


STYLES = {
    "cover": _style("cover", 22, alignment=1, spaceAfter=8 * mm, textColor=RED),
    "sub": _style("sub", 11, alignment=1, spaceAfter=3 * mm),
    "h1": _style("h1", 14, spaceBefore=2 * mm, spaceAfter=2 * mm, textColor=RED),
    "h2": _style("h2", 11.5, spaceBefore=2.5 * mm, spaceAfter=1 * mm),
    "body": _style("body", 10, firstLineIndent=20, spaceAfter=1.2 * mm),
    "small": _style("small", 8.5, spaceAfter=1 * mm, textColor=HexColor("#444444")),
    "warn": _style("warn", 9.5, textColor=RED, spaceAfter=1.5 * mm),
    "article": _style("article", 9.5, leftIndent=4 * mm, spaceAfter=1 * mm),
}


class _Booklet(BaseDocTemplate):
    """A5 pages with a footer; case headings feed the table of contents."""

    def __init__(self, buffer, kit: Kit):
        super().__init__(buffer, pagesize=A5, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                         bottomMargin=16 * mm, title=kit.title, author=kit.lecturer or "以案释法案例库",
                         subject="以案释法读本")
        self.kit = kit
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate("page", [frame], onPage=self._footer)])

    def _footer(self, canvas, doc) -> None:
        """Page number and the booklet's title at the foot of every page but the cover."""
        if doc.page == 1:
            return
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(A5[0] / 2, 8 * mm, f"— {doc.page} —")
        canvas.drawString(self.leftMargin, 8 * mm, self.kit.title[:24].translate(_OUTSIDE_GB1))
        canvas.restoreState()

    def afterFlowable(self, flowable) -> None:
        """Register each case heading in the table of contents."""
        if isinstance(flowable, Paragraph) and flowable.style.name == "h1":
            self.notify("TOCEntry", (0, flowable.getPlainText(), self.page))


# Characters outside Adobe-GB1 (the standard font's repertoire) and their stand-ins.
_OUTSIDE_GB1 = str.maketrans({"·": "，", "⚠": "▲", "•": "，"})


def _p(text: str, style: str) -> Paragraph:
    """A paragraph of plain text (escaped: case text is never markup)."""
    return Paragraph(escape(text.translate(_OUTSIDE_GB1)).replace("\n", "<br/>"), STYLES[style])


def _cover(kit: Kit) -> list:
    """Title, meta, the date, the law notices; the 专题 QR when published."""
    story = [Spacer(1, 12 * mm), _p(kit.title, "cover"), _p("以案释法读本", "sub")]
    if kit.meta_line:
        story.append(_p(kit.meta_line, "sub"))
    story.append(_p(f"共 {len(kit.cases)} 件案例　印制日期 {kit.generated.isoformat()}", "sub"))
    if kit.notices:
        story += [Spacer(1, 4 * mm), _p("法律效力提示", "h2")]
        story += [_p(f"{case_number(c.number)}：{n.message}", "warn") for c, n in kit.notices]
    if kit.topic_qr_png:
        story += [Spacer(1, 4 * mm), Image(io.BytesIO(kit.topic_qr_png), 26 * mm, 26 * mm),
                  _p("扫码查看本专题全部案例", "sub")]
    return story + [PageBreak()]


def _contents() -> list:
    """The table of contents page."""
    toc = TableOfContents()
    toc.levelStyles = [_style("toc", 10, leftIndent=0, firstLineIndent=0)]
    toc.dotsMinLevel = 0
    return [Paragraph("目　录", STYLES["cover"]), toc, PageBreak()]


def _articles(case: KitCase) -> list:
    """The cited articles with version and, where replaced, the current counterpart."""
    if not case.articles:
        return []
    out = [_p("法条", "h2")]
    for article in case.articles:
        out.append(_p(f"{article.heading}（{article.version_text}）", "small"))
        out += [_p(text, "article") for text in article.paragraphs]
        for counterpart in article.counterparts:
            out.append(_p(f"现行对应条文：《{counterpart.law}》{counterpart.label}"
                          f"（{counterpart.version_date or '现行'} 版）", "warn"))
            out += [_p(text, "article") for text in counterpart.paragraphs]
    return out


def _case(case: KitCase) -> list:
    """One case: heading (in the contents), meta, notices, parts, articles, QR and source."""
    meta = " · ".join(x for x in (case.issuer, case.case_type, case.document_number,
                                  case.date.isoformat() if case.date else None) if x)
    out = [_p(f"{case_number(case.number)}　{case.title}", "h1"), _p(meta, "small")]
    out += [_p(f"【法律效力提示】{notice.message}", "warn") for notice in case.notices]
    for part in case.parts:
        label = part.label + (f"（{case.speaker}）" if part.code == "explanation" and case.speaker else "")
        out.append(_p(label, "h2"))
        if part.fallback_note:
            out.append(_p(part.fallback_note, "small"))
        out += [_p(text, "body") for text in part.paragraphs]
    out += _articles(case)
    qr = Table([[Image(io.BytesIO(case.qr_png), 24 * mm, 24 * mm),
                 [_p("扫码阅读案例全文", "small"), _p(case.url, "small"), _p(f"来源：{case.source}", "small")]]],
               colWidths=[28 * mm, None])
    qr.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return out + [Spacer(1, 2 * mm), KeepTogether(qr), PageBreak()]


def _versions(kit: Kit) -> list:
    """The last page: the version of every cited law, and the date the booklet was made."""
    out = [_p("本读本引用的法律及版本", "h2")]
    out += [_p(f"《{law}》：{version}", "small") for law, version in kit.cited_laws]
    out.append(_p(f"法律文本截至 {kit.generated.isoformat()}，以国家法律法规数据库公布的文本为准。", "small"))
    return out


def render(kit: Kit) -> bytes:
    """The booklet as PDF bytes."""
    buffer = io.BytesIO()
    story = _cover(kit) + _contents()
    for case in kit.cases:
        story += _case(case)
    story += _versions(kit)
    _Booklet(buffer, kit).multiBuild(story)
    return buffer.getvalue()
