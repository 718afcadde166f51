"""The slides (.pptx), 16:9 with large type: a title slide (with the law notices), then 2–3 slides
per case — 案情 / 结果与说法 / 法条 — and the lecturer's notes and full texts in the speaker notes.

Text is set in 微软雅黑 (named for Latin and East Asian runs), which Chinese Windows and WPS have.
A slide holds what can be read from the back of a room; the whole text is in the notes.
"""
from __future__ import annotations

import io

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from app.services.exports.word import case_number
from app.services.kits import Kit, KitCase

FONT = "微软雅黑"
RED = RGBColor(0x8B, 0x1A, 0x1A)
INK = RGBColor(0x1A, 0x1A, 0x1A)
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
BODY_CHARS = 230  # what fits at 26 pt in the body box; the rest goes to the notes
QR_BODY_CHARS = 170


def _clip(text: str, limit: int) -> str:
    """Text cut at `limit` characters with an ellipsis that points to the notes."""
    return text if len(text) <= limit else text[:limit].rstrip("，。；、") + "……（全文见备注）"


def _font(run, size: int, bold: bool = False, color: RGBColor = INK) -> None:
    """Size, weight, colour and 微软雅黑 for both Latin and East Asian characters."""
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = color
    run.font.name = FONT
    r_pr = run._r.get_or_add_rPr()
    ea = r_pr.find(qn("a:ea"))
    if ea is None:
        ea = etree.SubElement(r_pr, qn("a:ea"))
    ea.set("typeface", FONT)


def _box(slide, left, top, width, height, lines: list[tuple[str, int, bool, RGBColor]]) -> None:
    """A text box with one paragraph per (text, size, bold, colour) line."""
    frame = slide.shapes.add_textbox(left, top, width, height).text_frame
    frame.word_wrap = True
    for index, (text, size, bold, color) in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.space_after = Pt(6)
        _font(_run(paragraph, text), size, bold, color)


def _run(paragraph, text: str):
    """A run of text in a paragraph."""
    run = paragraph.add_run()
    run.text = text
    return run


def _slide(deck, heading: str, notes: str = ""):
    """A blank slide with a heading bar (smaller type for a long case title) and speaker notes."""
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    size = 32 if len(heading) <= 26 else 26 if len(heading) <= 44 else 20
    _box(slide, Inches(0.6), Inches(0.3), Inches(12.1), Inches(1.15), [(heading, size, True, RED)])
    if notes:
        slide.notes_slide.notes_text_frame.text = notes
    return slide


def _title_slide(deck, kit: Kit) -> None:
    """Title, audience and date, lecturer; the repealed-law notices before anything else."""
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    lines = [(kit.title, 44, True, RED), ("以案释法", 28, False, INK)]
    if kit.meta_line:
        lines.append((kit.meta_line, 22, False, INK))
    if kit.lecturer:
        lines.append((f"主讲：{kit.lecturer}", 22, False, INK))
    _box(slide, Inches(0.8), Inches(1.6), Inches(11.7), Inches(3.6), lines)
    notes = [kit.opening] if kit.opening else []
    notes += [f"{case_number(c.number)}：{n.message} {n.mapping_text}" for c, n in kit.notices]
    slide.notes_slide.notes_text_frame.text = "\n".join(notes) or "开场"
    if not kit.notices:
        return
    _box(slide, Inches(0.8), Inches(5.6), Inches(11.7), Inches(0.8), [(
        f"⚠ 本讲稿有 {len(kit.notices)} 处法律效力提示（引用了已废止的法律），见下页，讲授前请核对。", 18, True, RED)])
    slide = _slide(deck, "法律效力提示（讲授前请核对）", "\n".join(notes))
    lines = [(f"{case_number(c.number)}：{n.message}", 18 if len(kit.notices) <= 6 else 14, False, RED)
             for c, n in kit.notices[:10]]
    if len(kit.notices) > 10:
        lines.append((f"另有 {len(kit.notices) - 10} 处，见讲稿首页。", 14, False, INK))
    _box(slide, Inches(0.6), Inches(1.5), Inches(12.1), Inches(5.7), lines)


def _full_text(case: KitCase) -> str:
    """Everything about the case for the speaker notes."""
    lines = [case.title] + ([f"讲解要点：{case.note}"] if case.note else [])
    lines += [n.message for n in case.notices]
    for part in case.parts:
        lines.append(f"【{part.label}】{part.fallback_note}")
        lines += part.paragraphs
    lines.append(f"案例全文：{case.url}")
    return "\n".join(lines)


def _article_note(article) -> str:
    """An article's whole text (and its current counterparts) for the speaker notes."""
    lines = [f"{article.heading}（{article.version_text}）", *article.paragraphs]
    for counterpart in article.counterparts:
        lines += [f"现行对应条文：《{counterpart.law}》{counterpart.label}", *counterpart.paragraphs]
    return "\n".join(lines)


def _case_slides(deck, case: KitCase) -> None:
    """案情 (with the QR code) / 结果与说法 / 法条."""
    heading = f"{case_number(case.number)}　{case.title}"
    notes = _full_text(case)
    story = case.part("story")
    slide = _slide(deck, heading, notes)
    body = [("案情简介" + (story.fallback_note if story else ""), 20, True, RED)]
    body.append((_clip("".join(story.paragraphs), QR_BODY_CHARS) if story else "（见案例全文）", 26, False, INK))
    body += [(f"⚠ {n.message}", 16, True, RED) for n in case.notices[:1]]
    _box(slide, Inches(0.6), Inches(1.5), Inches(9.0), Inches(5.6), body)
    slide.shapes.add_picture(io.BytesIO(case.qr_png), Inches(10.0), Inches(1.8), Inches(2.8), Inches(2.8))
    _box(slide, Inches(9.8), Inches(4.7), Inches(3.2), Inches(0.8), [("扫码阅读全文", 16, False, INK)])

    shown = [p for p in (case.part("result"), case.part("explanation") or case.part("significance")) if p]
    if shown:
        slide = _slide(deck, f"{case_number(case.number)}　结果与说法", notes)
        budget = BODY_CHARS // len(shown)
        lines = []
        for part in shown:
            label = part.label + (f"（{case.speaker}）" if part.code == "explanation" and case.speaker else "")
            lines += [(label + part.fallback_note, 20, True, RED), (_clip("".join(part.paragraphs), budget), 24,
                                                                    False, INK)]
        _box(slide, Inches(0.6), Inches(1.5), Inches(12.1), Inches(5.7), lines)
    if case.articles:
        slide = _slide(deck, f"{case_number(case.number)}　法条", notes + "\n" + "\n".join(
            _article_note(a) for a in case.articles))
        lines = []
        for article in case.articles[:3]:
            lines.append((f"{article.heading}（{article.version_text}）", 20, True, RED))
            text = "".join(article.paragraphs) or "".join(
                f"现行《{c.law}》{c.label}：{''.join(c.paragraphs)}" for c in article.counterparts)
            lines.append((_clip(text or "本库未收录该条文原文。", 70 if len(case.articles) > 1 else 200), 20,
                          False, INK))
        if len(case.articles) > 3:
            lines.append((f"另引 {len(case.articles) - 3} 条，见备注与讲稿。", 16, False, INK))
        _box(slide, Inches(0.6), Inches(1.5), Inches(12.1), Inches(5.7), lines)


def render(kit: Kit) -> bytes:
    """The slides as .pptx bytes."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    deck.core_properties.title = kit.title
    _title_slide(deck, kit)
    for case in kit.cases:
        _case_slides(deck, case)
    closing = [(kit.questions, 26, False, INK)] if kit.questions else [("谢谢！", 40, True, RED)]
    slide = _slide(deck, "互动问答" if kit.questions else "结束", kit.notes)
    _box(slide, Inches(0.6), Inches(1.5), Inches(8.8), Inches(5.6), closing)
    if kit.topic_qr_png:
        slide.shapes.add_picture(io.BytesIO(kit.topic_qr_png), Inches(10.0), Inches(1.8), Inches(2.8), Inches(2.8))
        _box(slide, Inches(9.8), Inches(4.7), Inches(3.2), Inches(0.8), [("扫码查看本专题", 16, False, INK)])
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()
