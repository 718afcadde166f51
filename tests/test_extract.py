"""Upload extraction: real .docx / .pdf / .txt files in, editor pre-fill out; bad files refused."""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pypdf
import pytest

from legaltext import extract
from legaltext.extract import (
    ExtractError,
    extract_text,
    match_heading,
    prefill_from_upload,
    split_sections,
)

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "upload"


def seed_case(file: str, source_id: str) -> dict:
    with (ROOT / "seed_cases" / f"{file}.jsonl").open(encoding="utf-8") as lines:
        return next(c for c in map(json.loads, lines) if c["source_id"] == source_id)


def make_docx(blocks: list) -> bytes:
    """A real .docx: each block is a paragraph ("|" splits runs), a table (list of rows) or raw XML."""
    def paragraph(text: str) -> str:
        runs = "".join(f'<w:r><w:t xml:space="preserve">{escape(part)}</w:t></w:r>'
                       for part in text.split("|"))
        return f"<w:p>{runs}</w:p>"

    body = []
    for block in blocks:
        if isinstance(block, str) and block.startswith("<w:"):  # raw WordprocessingML
            body.append(block)
        elif isinstance(block, list):
            cells = ("".join(f"<w:tc>{paragraph(c)}</w:tc>" for c in row) for row in block)
            rows = "".join(f"<w:tr>{row}</w:tr>" for row in cells)
            body.append(f"<w:tbl>{rows}</w:tbl>")
        else:
            body.append(paragraph(block))
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f'<w:body>{"".join(body)}<w:sectPr/></w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"/>')
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def kinds(prefill: dict) -> list[str]:
    return [s["kind"] for s in prefill["sections"]]


# ---------------------------------------------------------------- .docx

def test_docx_of_a_guiding_case_maps_headings_to_kinds_and_keeps_text():
    case = seed_case("spc_guiding", "spc-guiding-1")
    blocks = [case["title"], case["case_number"], "关键词 " + " ".join(case["keywords"])]
    for number, section in zip("一二三四五", case["sections"]):
        blocks.append(f"{number}、{section['heading']}")
        # Word splits a paragraph into runs anywhere: "|" makes two runs of one paragraph
        blocks += [p[:5] + "|" + p[5:] for p in section["text"].split("\n")]

    prefill = prefill_from_upload("判决.docx", make_docx(blocks))

    assert prefill["title"] == case["title"]
    assert prefill["case_number"] == "（2009）沪二中民二（民）终字第1508号"
    assert prefill["keywords"] == case["keywords"]
    assert prefill["sections"] == [{"kind": s["kind"], "heading": s["heading"], "text": s["text"]}
                                   for s in case["sections"]]


def test_docx_bracketed_and_inline_headings_and_table_text():
    blocks = [
        "张某诉某物业公司物业服务合同纠纷案",
        "【基本案情】",
        "张某所住小区的电梯长期停运。",
        [["费用项目", "金额"], ["电梯维修", "3000元"]],
        "裁判结果：法院判决物业公司赔偿张某损失3000元。",
        "法官说法：物业服务企业应当依约履行维修义务。",
        "相关法条",
        "《中华人民共和国民法典》第九百四十二条",
    ]
    prefill = prefill_from_upload("case.DOCX", make_docx(blocks))
    assert kinds(prefill) == ["facts", "outcome", "explanation", "legal_basis"]
    assert prefill["sections"][0]["text"] == "张某所住小区的电梯长期停运。\n费用项目\t金额\n电梯维修\t3000元"
    assert prefill["sections"][1] == {"kind": "outcome", "heading": "裁判结果",
                                      "text": "法院判决物业公司赔偿张某损失3000元。"}
    assert prefill["sections"][2]["heading"] == "法官说法"


def test_docx_skips_tracked_deletions_and_the_second_copy_of_a_text_box():
    mc = "http://schemas.openxmlformats.org/markup-compatibility/2006"
    text_box = ('<w:p><w:r><w:t>基本案情</w:t></w:r>'
                f'<mc:AlternateContent xmlns:mc="{mc}"><mc:Choice Requires="wps"><w:txbxContent>'
                "<w:p><w:r><w:t>（文本框）</w:t></w:r></w:p></w:txbxContent></mc:Choice>"
                "<mc:Fallback><w:txbxContent><w:p><w:r><w:t>（文本框）</w:t></w:r></w:p></w:txbxContent>"
                "</mc:Fallback></mc:AlternateContent></w:p>")
    edited = ("<w:p><w:r><w:t>某甲于</w:t></w:r><w:del><w:r><w:delText>2019年</w:delText></w:r></w:del>"
              "<w:ins><w:r><w:t>2020年</w:t></w:r></w:ins><w:r><w:t>入职。</w:t></w:r></w:p>")
    assert extract_text("a.docx", make_docx([text_box, edited])) == "基本案情（文本框）\n某甲于2020年入职。"


# ---------------------------------------------------------------- .pdf

def test_pdf_fixture_text_joined_across_lines_and_pages():
    case = seed_case("typical_misc", "lawrefbook-065007a13f08")
    data = (FIXTURES / "judgment.pdf").read_bytes()

    text = extract_text("judgment.pdf", data)
    assert "- 1 -" not in text and "- 2 -" not in text  # page numbers dropped
    prefill = split_sections(text)

    assert prefill["title"] == case["title"]  # the centred title wrapped onto two lines
    assert kinds(prefill) == ["facts", "outcome", "significance"]
    assert [s["heading"] for s in prefill["sections"]] == ["基本案情", "裁判结果", "典型意义"]
    # facts and significance come back paragraph for paragraph; significance spans the page break
    assert prefill["sections"][0]["text"] == case["sections"][0]["text"]
    assert prefill["sections"][2]["text"] == case["sections"][2]["text"]
    squash = re.compile(r"\s+")
    assert squash.sub("", prefill["sections"][1]["text"]) == squash.sub("", case["sections"][1]["text"])


def test_pdf_encrypted_with_a_user_password_is_refused_but_owner_only_is_read():
    original = pypdf.PdfReader(FIXTURES / "judgment.pdf")

    def encrypted(user_password: str) -> bytes:
        writer = pypdf.PdfWriter(clone_from=original)
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    assert refusal("a.pdf", encrypted("secret")).code == "file_unreadable"
    assert prefill_from_upload("a.pdf", encrypted(""))["title"].startswith("王某某、陈某某诉")


def test_pdf_without_text_layer_is_empty():
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ExtractError) as caught:
        extract_text("scan.pdf", out.getvalue())
    assert caught.value.code == "file_empty"


# ---------------------------------------------------------------- .txt and raw judgments

def test_gb18030_txt_of_a_raw_judgment_is_cut_at_its_boundaries():
    case = seed_case("spc_gazette", "spc-gazette-000554962b62")
    paragraphs = [p for s in case["sections"] for p in s["text"].split("\n")]
    data = ("\r\n".join("\u3000\u3000" + p for p in paragraphs) + "\r\n").encode("gb18030")

    prefill = prefill_from_upload("判决书.txt", data)

    # parties → 诉称/辩称 (claims) → 查明 (facts) → 法院认为 → 判决如下
    assert kinds(prefill) == ["facts", "claims", "facts", "reasoning", "outcome"]
    assert prefill["sections"][-2]["text"] == case["sections"][1]["text"]
    assert prefill["sections"][-1]["text"] == case["sections"][2]["text"]
    facts = "\n".join(s["text"] for s in prefill["sections"][:3])
    assert facts == case["sections"][0]["text"]
    assert prefill["title"] == ""  # first line is a party line, not a title


def test_judgment_header_case_number_title_and_signature():
    text = "\n".join([
        "北京市朝阳区人民法院",
        "民 事 判 决 书",
        "（2023）京0105民初1234号",
        "原告：张某，男，1980年1月1日出生。",
        "被告：北京某某物业管理有限公司。",
        "原告张某与被告北京某某物业管理有限公司物业服务合同纠纷一案，本院立案后依法适用简易程序公开开庭进行了审理。",
        "张某向本院提出诉讼请求：判令被告赔偿损失3000元。",
        "被告辩称：不同意原告的诉讼请求。",
        "本院经审理查明：2022年5月，涉案电梯停运。",
        "本院认为，被告未履行维修义务，应当赔偿原告损失。依照《中华人民共和国民法典》第九百四十二条规定，判决如下：",
        "被告于本判决生效之日起十日内赔偿原告张某损失3000元。",
        "如不服本判决，可以在判决书送达之日起十五日内向本院递交上诉状。",
        "审　判　员　　李某",
        "二〇二三年六月一日",
        "书　记　员　　王某",
    ])
    prefill = split_sections(text)
    assert prefill["case_number"] == "（2023）京0105民初1234号"
    assert prefill["title"] == "张某诉北京某某物业管理有限公司物业服务合同纠纷案"
    assert kinds(prefill) == ["other", "facts", "claims", "facts", "reasoning", "outcome", "other"]
    assert prefill["sections"][5]["text"].endswith("递交上诉状。")
    assert prefill["sections"][6]["text"] == "审 判 员 李某\n二〇二三年六月一日\n书 记 员 王某"


def test_utf8_bom_and_utf16_text():
    text = "案情简介\n张某在超市购买过期食品。\n典型意义\n经营者应当保证食品安全。"
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("utf-16")):
        assert kinds(prefill_from_upload("a.txt", data)) == ["facts", "significance"]


def test_sub_headings_of_another_style_stay_inside_their_section():
    text = "基本案情\n某甲盗窃。\n检察机关履职过程\n（一）审查逮捕\n批准逮捕。\n（二）处理结果\n判处有期徒刑。\n指导意义\n要点。"
    prefill = split_sections(text)
    assert kinds(prefill) == ["facts", "procedure", "significance"]
    assert prefill["sections"][1]["text"] == "（一）审查逮捕\n批准逮捕。\n（二）处理结果\n判处有期徒刑。"


@pytest.mark.parametrize("line, expected", [
    ("基本案情", ("facts", "基本案情", "")),
    ("一、基本案情", ("facts", "基本案情", "")),
    ("（二）裁判理由", ("reasoning", "裁判理由", "")),
    ("【典型意义】", ("significance", "典型意义", "")),
    ("基 本 案 情", ("facts", "基本案情", "")),
    ("裁判要旨：合同无效。", ("holding", "裁判要旨", "合同无效。")),
    ("【法官说法】物业应当维修。", ("explanation", "法官说法", "物业应当维修。")),
    ("三、法律依据", ("legal_basis", "法律依据", "")),
    ("权利救济途径", ("remedy", "权利救济途径", "")),
    ("一、基本案情和诉讼过程", ("facts", "基本案情和诉讼过程", "")),
    ("【编后语】", ("other", "编后语", "")),
    ("本院认为，被告应当赔偿。", None),
    ("基本案情清楚，证据充分。", None),
    ("要旨在于保护消费者。", None),
])
def test_heading_forms(line, expected):
    assert match_heading(line) == expected


# ---------------------------------------------------------------- refusals

def refusal(filename: str, data: bytes) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        prefill_from_upload(filename, data)
    assert isinstance(caught.value, ValueError)
    assert re.search(r"[\u4e00-\u9fa5]", caught.value.message)  # a Chinese message for the publisher
    return caught.value


def test_refuses_wrong_magic_bytes():
    pdf = (FIXTURES / "judgment.pdf").read_bytes()
    docx = make_docx(["基本案情", "某甲盗窃。"])
    assert refusal("a.docx", pdf).code == "file_type"
    assert refusal("a.pdf", docx).code == "file_type"
    assert refusal("a.txt", pdf).code == "file_type"
    assert refusal("a.txt", b"MZ\x90\x00\x03\x00\x00\x00binary").code == "file_type"
    assert refusal("a.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500).code == "file_type"  # .doc


def test_refuses_too_large_and_empty(monkeypatch):
    assert refusal("a.txt", b"").code == "file_empty"
    assert refusal("a.txt", "\u3000\r\n  \r\n".encode("utf-8")).code == "file_empty"
    big = "基本案情\n".encode() * (extract.MAX_UPLOAD_BYTES // 12 + 1)
    assert len(big) > extract.MAX_UPLOAD_BYTES
    assert refusal("a.txt", big).code == "file_too_large"


@pytest.mark.parametrize("filename", ["a.doc", "a.exe", "judgment", "a.docx.zip", ""])
def test_refuses_unknown_extension(filename):
    assert refusal(filename, b"hello").code == "file_type"


def test_refuses_zip_that_is_not_docx_and_broken_files():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert refusal("a.docx", out.getvalue()).code == "file_type"
    assert refusal("a.docx", b"PK\x03\x04" + b"\x00" * 200).code == "file_unreadable"
    pdf = (FIXTURES / "judgment.pdf").read_bytes()
    assert refusal("a.pdf", pdf[:3000]).code == "file_unreadable"
    assert refusal("a.pdf", b"%PDF-1.7\n" + b"garbage " * 100).code == "file_unreadable"
    assert refusal("a.txt", b"\x80\x81abc\xff").code == "file_unreadable"


# ---------------------------------------------------------------- hostile documents
def _docx_with(document_xml: bytes) -> bytes:
    """A .docx whose word/document.xml is exactly these bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", document_xml)
    return out.getvalue()


_W_NS = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'


def test_a_small_docx_that_inflates_past_the_cap_is_refused_while_reading():
    """175 KB that inflates to ~49 MB of XML held a worker 25 s; now it stops at the cap."""
    bomb = _docx_with(_W_NS + b"<w:p><w:r><w:t>" + b"a" * (49 * 1024 * 1024) + b"</w:t></w:r></w:p></w:body></w:document>")
    assert len(bomb) < 200 * 1024
    assert refusal("bomb.docx", bomb).code == "file_too_large"


def test_a_zip_header_that_understates_the_size_does_not_lift_the_cap():
    data = bytearray(_docx_with(_W_NS + b"<w:p><w:r><w:t>" + b"b" * (extract.MAX_DOCX_XML_BYTES + 10)
                                + b"</w:t></w:r></w:p></w:body></w:document>"))
    # Rewrite the declared uncompressed size in the central directory to 1 KB.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (1024).to_bytes(4, "little")
    assert refusal("liar.docx", bytes(data)).code in {"file_too_large", "file_unreadable"}


def test_deeply_nested_xml_is_refused_not_a_recursion_error():
    deep = _W_NS + b"<w:p>" + b"<w:r>" * 100_000 + b"</w:r>" * 100_000 + b"</w:p></w:body></w:document>"
    assert refusal("deep.docx", _docx_with(deep)).code == "file_unreadable"


def test_entities_and_doctypes_are_refused():
    billion = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
               + _W_NS + b"<w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>")
    assert refusal("lol.docx", _docx_with(billion)).code == "file_unreadable"


def test_a_document_that_takes_too_long_is_given_up():
    many = _W_NS + b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 200_000 + b"</w:body></w:document>"
    with pytest.raises(extract.ExtractError) as caught:
        extract.extract_text("slow.docx", _docx_with(many), seconds=0.0)
    assert caught.value.code == "file_too_complex" and "限定时间" in caught.value.message
