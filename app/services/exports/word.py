"""The Word 讲稿 (.docx): title page with the law notices, then per case the 普法版 (or the marked
fallback), the cited articles' text, the lecturer's 讲解要点, a QR code to the public page, the source.

Fonts are named, not embedded: 宋体 (SimSun) for text and 黑体 (SimHei) for headings, which every
Chinese Windows and WPS installation has; Word substitutes a CJK font elsewhere.
"""
from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from app.services.kits import Kit, KitCase

BODY_FONT, HEADING_FONT = ("SimSun", "宋体"), ("SimHei", "黑体")
RED = RGBColor(0x8B, 0x1A, 0x1A)
NUMERALS = "一二三四五六七八九十"


def case_number(n: int) -> str:
    """案例一 … 案例十, then 案例11."""
    return f"案例{NUMERALS[n - 1]}" if n <= 10 else f"案例{n}"


def _fonts(element, fonts: tuple[str, str]) -> None:
    """Name the Latin and East Asian fonts on a style's or run's rPr (and drop theme fonts)."""
    r_pr = element.get_or_add_rPr()
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, r_fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        r_fonts.attrib.pop(qn(attribute), None)
    r_fonts.set(qn("w:ascii"), fonts[0])
    r_fonts.set(qn("w:hAnsi"), fonts[0])
    r_fonts.set(qn("w:eastAsia"), fonts[1])


def _styles(document) -> None:
    """宋体 11 pt body, 黑体 headings in black."""
    normal = document.styles["Normal"]
    normal.font.size = Pt(11)
    _fonts(normal.element, BODY_FONT)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.35
    for name, size in (("Title", 24), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11.5)):
        style = document.styles[name]
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.bold = True
        _fonts(style.element, HEADING_FONT)


def _para(document, text: str, size: float | None = None, bold: bool = False, color: RGBColor | None = None,
          indent: bool = False, align=None):
    """A paragraph of one run."""
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if color is not None:
        run.font.color.rgb = color
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(22)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _shade(paragraph, fill: str = "FDF7EC") -> None:
    """A light background behind a paragraph (the 讲解要点 box)."""
    p_pr = paragraph._p.get_or_add_pPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    p_pr.append(shading)


def _title_page(document, kit: Kit) -> None:
    """Title, meta, lecturer, date, the law notices and the cases no longer public."""
    document.add_paragraph(kit.title, style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(document, "以案释法讲稿", 14, align=WD_ALIGN_PARAGRAPH.CENTER)
    if kit.meta_line:
        _para(document, kit.meta_line, 12, align=WD_ALIGN_PARAGRAPH.CENTER)
    byline = f"主讲：{kit.lecturer} · " if kit.lecturer else ""
    _para(document, f"{byline}共 {len(kit.cases)} 件案例 · 生成日期：{kit.generated.isoformat()}", 11,
          align=WD_ALIGN_PARAGRAPH.CENTER)
    if kit.notices:
        document.add_heading("法律效力提示（讲授前请核对）", level=2)
        for case, notice in kit.notices:
            _para(document, f"{case_number(case.number)}：{notice.message}", color=RED)
            if notice.mapping_text:
                _para(document, f"对应条文：{notice.mapping_text}", 10)
    if kit.left_out:
        _para(document, "以下案例已不再公开，未列入讲稿：" + "；".join(kit.left_out), 10, color=RED)
    document.add_heading("目录", level=2)
    for case in kit.cases:
        _para(document, f"{case_number(case.number)}　{case.title}")
    if kit.opening:
        document.add_heading("开场", level=2)
        for line in kit.opening.splitlines():
            _para(document, line, indent=True)


def _articles(document, case: KitCase) -> None:
    """Each cited article: heading, version, text; the current counterpart when it was replaced."""
    if not case.articles:
        return
    document.add_heading("法条", level=2)
    for article in case.articles:
        _para(document, f"{article.heading}（{article.version_text}）", bold=True)
        for text in article.paragraphs:
            _para(document, text.replace("\n", " "), 10.5, indent=True)
        if not article.paragraphs and not article.counterparts:
            _para(document, "本库未收录该条文原文。", 10)
        for counterpart in article.counterparts:
            _para(document, f"现行对应条文：《{counterpart.law}》{counterpart.label}", 10.5, bold=True, color=RED)
            for text in counterpart.paragraphs:
                _para(document, text.replace("\n", " "), 10.5, indent=True)


def _case(document, case: KitCase) -> None:
    """One case of the talk."""
    document.add_heading(f"{case_number(case.number)}　{case.title}", level=1)
    meta = " · ".join(x for x in (case.issuer, case.case_type, case.document_number,
                                  case.date.isoformat() if case.date else None) if x)
    _para(document, meta, 10)
    for notice in case.notices:
        _para(document, f"⚠ {notice.message}", 10.5, bold=True, color=RED)
    if not case.has_plain:
        _para(document, "本案暂无普法版，以下各部分取自案例原文，讲授时请用通俗语言转述。", 10, color=RED)
    for part in case.parts:
        document.add_heading(part.label + (f"（{case.speaker}）" if part.code == "explanation" and case.speaker
                                           else ""), level=2)
        if part.fallback_note:
            _para(document, part.fallback_note, 9.5)
        for text in part.paragraphs:
            _para(document, text, indent=True)
    _articles(document, case)
    if case.note:
        document.add_heading("讲解要点", level=2)
        for line in case.note.splitlines():
            _shade(_para(document, line))
    picture = document.add_paragraph()
    picture.add_run().add_picture(io.BytesIO(case.qr_png), width=Cm(3))
    _para(document, f"扫码阅读案例全文：{case.url}", 9)
    _para(document, f"来源：{case.source}", 9)


def render(kit: Kit) -> bytes:
    """The 讲稿 as .docx bytes."""
    document = Document()
    _styles(document)
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.5)
    document.core_properties.title = kit.title
    document.core_properties.author = kit.lecturer or "以案释法案例库"
    _title_page(document, kit)
    for case in kit.cases:
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _case(document, case)
    if kit.questions or kit.notes:
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    if kit.questions:
        document.add_heading("互动问答", level=1)
        for line in kit.questions.splitlines():
            _para(document, line)
    if kit.notes:
        document.add_heading("备注", level=1)
        for line in kit.notes.splitlines():
            _para(document, line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
