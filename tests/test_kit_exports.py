"""Kit exports re-opened by independent readers (python-docx, python-pptx, pypdf): every chosen case
title, the cited articles' text, the repealed-law notices, and one QR code per case that decodes
(zxing-cpp) to the case's public address. The CLI writes the same files as the workspace."""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Case, CaseCitation, CaseTag, TaxonomyTerm
from app.services import kits
from app.services.exports import render

BASE = "https://pufa.example.gov.cn"
# Fonts every PDF reader supplies: the Adobe-GB1 standard CJK font and the base-14 fonts reportlab names.
STANDARD_FONTS = {"/STSong-Light", "/Helvetica"}


def decode_qr(data: bytes) -> list[str]:
    """Texts of the QR codes in an image (an independent decoder: zxing-cpp)."""
    import zxingcpp
    from PIL import Image

    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)).convert("L"))]


def read_docx(data: bytes) -> tuple[str, list[str]]:
    """(all text, decoded QR codes) of a .docx."""
    from docx import Document

    document = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    codes = []
    for shape in document.inline_shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        codes += decode_qr(document.part.related_parts[blip.embed].blob)
    return text, codes


def read_pptx(data: bytes) -> tuple[list[str], str, list[str]]:
    """(text of each slide, all speaker notes, decoded QR codes) of a .pptx."""
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    deck = Presentation(io.BytesIO(data))
    slides, notes, codes = [], [], []
    for slide in deck.slides:
        slides.append("\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame))
        notes.append(slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else "")
        codes += [c for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE for c in decode_qr(s.image.blob)]
    return slides, "\n".join(notes), codes


def read_pdf(data: bytes) -> tuple[str, list[str], object]:
    """(all text without line breaks, decoded QR codes, the reader) of a PDF."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    codes = [c for page in reader.pages for image in page.images for c in decode_qr(image.data)]
    return flat(text), codes, reader


def flat(text: str) -> str:
    """Text without whitespace (PDF extraction breaks lines anywhere)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def source_ids(seeded_app) -> list[str]:
    """Six 食品安全 cases and one that cites the repealed 合同法 (the last)."""
    with seeded_app.app_context():
        term = db.session.scalar(select(TaxonomyTerm).filter_by(scheme="hot_issue", name="食品安全"))
        food = db.session.scalars(select(Case.source_id).join(CaseTag).where(CaseTag.term_id == term.id)
                                  .order_by(Case.id).limit(6)).all()
        contract = db.session.scalar(select(Case.source_id).join(CaseCitation, CaseCitation.case_id == Case.id)
                                     .where(CaseCitation.law_title == "中华人民共和国合同法",
                                            CaseCitation.number == 107).order_by(Case.id).limit(1))
    assert len(food) == 6 and contract
    return [*food, contract]


@pytest.fixture(scope="module")
def kit(seeded_app, source_ids):
    """The kit the exports are built from, with its public addresses under BASE."""
    seeded_app.config["PUBLIC_BASE_URL"] = BASE
    try:
        with seeded_app.test_request_context():
            built = kits.for_cases(source_ids, "食品安全进乡村", "乡村", "测试讲师")
            files = {fmt: render(built, fmt) for fmt in ("docx", "pptx", "pdf")}
            if os.environ.get("SCREENSHOT_DIR"):  # scripts/screenshots renders their first pages to PNG
                for fmt, name in (("docx", "kit-word"), ("pptx", "kit-slides"), ("pdf", "kit-booklet")):
                    (Path(os.environ["SCREENSHOT_DIR"]) / f"{name}.{fmt}").write_bytes(files[fmt])
            yield built, files
    finally:
        seeded_app.config["PUBLIC_BASE_URL"] = ""


def article_snippets(kit_obj) -> list[str]:
    """The first 24 characters of the first paragraph of every cited article we hold, and of each counterpart."""
    out = []
    for case in kit_obj.cases:
        for article in case.articles:
            out += [p.split("\n")[0][:24] for p in article.paragraphs[:1]]
            out += [c.paragraphs[0].split("\n")[0][:24] for c in article.counterparts]
    return out


pytestmark = pytest.mark.nodb  # reads the session's seeded database only


def test_the_kit_has_the_cases_parts_articles_and_notices(kit, source_ids):
    built, _ = kit
    assert [c.source_id for c in built.cases] == source_ids
    assert all(c.url == f"{BASE}/cases/{c.case_id}" for c in built.cases)
    contract = built.cases[-1]
    assert any(n.repeal.short == "合同法" and n.repeal.date.isoformat() == "2021-01-01" for n in contract.notices)
    assert "第一千二百六十条" in contract.notices[0].message
    mapped = [c for a in contract.articles if a.law == "合同法" and a.label == "第一百零七条" for c in a.counterparts]
    assert [(c.law, c.label) for c in mapped] == [("民法典", "第五百七十七条")]
    assert mapped[0].paragraphs[0].startswith("当事人一方不履行合同义务")
    assert any(a.paragraphs and a.current for c in built.cases for a in c.articles)
    assert all(p.fallback_from for c in built.cases if not c.has_plain for p in c.parts)
    assert built.notices and built.cited_laws


def test_docx_has_titles_articles_notices_and_one_qr_per_case(kit):
    built, files = kit
    text, codes = read_docx(files["docx"])
    assert all(case.title in text for case in built.cases)
    assert all(snippet in text for snippet in article_snippets(built))
    assert "法律效力提示（讲授前请核对）" in text and "第一千二百六十条" in text
    assert "本案暂无普法版" in text
    assert sorted(codes) == sorted(case.url for case in built.cases)


def test_pptx_has_a_title_slide_case_slides_notes_and_one_qr_per_case(kit):
    built, files = kit
    slides, notes, codes = read_pptx(files["pptx"])
    assert slides[0].startswith("食品安全进乡村") and "法律效力提示" in slides[1]
    for case in built.cases:
        assert any(case.title in s for s in slides), case.title
        count = sum(1 for s in slides if s.startswith(f"案例{'一二三四五六七'[case.number - 1]}"))
        assert 2 <= count <= 3, (case.title, count)
    assert all(snippet in notes for snippet in article_snippets(built))
    assert sorted(codes) == sorted(case.url for case in built.cases)


def test_pdf_is_an_a5_booklet_with_contents_page_numbers_versions_and_qr(kit):
    built, files = kit
    text, codes, reader = read_pdf(files["pdf"])
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (420, 595)  # A5 in points
    assert "目录" in text and f"—{len(reader.pages)}—" in text
    assert all(flat(case.title) in text for case in built.cases)
    assert all(flat(s) in text for s in article_snippets(built))
    assert "本读本引用的法律及版本" in text and all(flat(f"《{law}》") in text for law, _ in built.cited_laws)
    assert "法律效力提示" in text and "第一千二百六十条" in text
    assert sorted(codes) == sorted(case.url for case in built.cases)
    assert "/STSong-Light" in font_names(reader) and font_names(reader) <= STANDARD_FONTS


def font_names(reader) -> set[str]:
    """Every font the PDF's pages use."""
    return {str(font.get_object()["/BaseFont"]) for page in reader.pages
            for font in (page["/Resources"].get("/Font") or {}).values()}


def test_cli_writes_the_same_files(seeded_app, source_ids, kit, tmp_path):
    built, files = kit
    seeded_app.config["PUBLIC_BASE_URL"] = BASE
    runner = seeded_app.test_cli_runner()
    try:
        for fmt in ("docx", "pptx", "pdf"):
            out = tmp_path / f"kit.{fmt}"
            args = ["kits", "export", *[a for s in source_ids for a in ("--case", s)], "--title", "食品安全进乡村",
                    "--audience", "乡村", "--format", fmt, "-o", str(out)]
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
            assert "已导出 7 件案例" in result.output and "法律效力提示" in result.output
            if fmt == "docx":
                assert read_docx(out.read_bytes())[1] == read_docx(files["docx"])[1]
                assert read_docx(out.read_bytes())[0].replace("主讲：测试讲师 · ", "") == read_docx(files["docx"])[0] \
                    .replace("主讲：测试讲师 · ", "")
            elif fmt == "pptx":
                assert read_pptx(out.read_bytes())[2] == read_pptx(files["pptx"])[2]
            else:
                assert read_pdf(out.read_bytes())[1] == read_pdf(files["pdf"])[1]
                assert font_names(read_pdf(out.read_bytes())[2]) <= STANDARD_FONTS
    finally:
        seeded_app.config["PUBLIC_BASE_URL"] = ""


@pytest.mark.parametrize("args, message", [
    (["--format", "pdf"], "--case"),
    (["--case", "x", "--format", "pdf"], "--title"),
    (["--case", "no-such-case", "--title", "t", "--format", "pdf"], "找不到已发布的案例"),
    (["--collection", "987654", "--format", "docx"], "找不到已发布的案例或备课篮"),
    (["--case", "x", "--title", "t", "--format", "odt"], "odt"),
])
def test_cli_refuses_bad_arguments_in_chinese(seeded_app, tmp_path, args, message):
    result = seeded_app.test_cli_runner().invoke(args=["kits", "export", *args, "-o", str(tmp_path / "x")])
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "x").exists()
