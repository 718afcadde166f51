"""Text from an uploaded original document (.docx, .pdf, .txt), split into case sections.

Used to pre-fill the case editor: `prefill_from_upload(filename, data)` returns
`{"title", "case_number", "keywords", "sections": [{"kind", "heading", "text"}, ...]}`.
Nothing here touches the database or the file system; the caller stores the file.

Two kinds of document are recognised:
* a typical-case write-up, with headings such as 基本案情 / 裁判结果 / 典型意义
  (also "一、基本案情", "【基本案情】", "基本案情：text on the same line");
* a raw judgment without such headings, cut at its usual boundaries:
  parties → 诉称/辩称 → 查明 → 本院认为 → 判决如下 → 宣判后/上诉 → 审判人员.
"""
from __future__ import annotations

import io
import re
import time
import warnings
import zipfile
import zlib
from typing import Any
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

MAX_UPLOAD_BYTES = 10 * 1024 * 1024          # the upload itself
MAX_DOCX_XML_BYTES = 16 * 1024 * 1024        # word/document.xml once unzipped (zip bombs): a long judgment is ~2 MB
MAX_XML_DEPTH = 64                           # Word nests paragraphs in tables, cells, text boxes: a dozen levels
DEFAULT_DEADLINE = 10.0                      # seconds one document may take to read
MAX_PDF_PAGES = 500
ALLOWED_EXTENSIONS = (".docx", ".pdf", ".txt")

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


class ExtractError(ValueError):
    """An upload we refuse or cannot read: `code` for machines, `message` (Chinese) for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------- extraction

def extract_text(filename: str, data: bytes, seconds: float = DEFAULT_DEADLINE) -> str:
    """The document's text, one paragraph per line, whitespace normalised; gives up after `seconds`."""
    ext = _extension(filename)
    if not data:
        raise ExtractError("file_empty", "文件为空。")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ExtractError("file_too_large", f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB 的大小限制。")
    reader = {".docx": _docx_text, ".pdf": _pdf_text, ".txt": _txt_text}[ext]
    text = normalize_text(reader(data, time.monotonic() + seconds))
    if not text:
        raise ExtractError("file_empty", "未能从文件中提取到文字（扫描版 PDF 需先进行文字识别）。")
    return text


def _extension(filename: str) -> str:
    name = (filename or "").strip().lower()
    ext = name[name.rfind("."):] if "." in name else ""
    if ext not in ALLOWED_EXTENSIONS:
        hint = "旧版 .doc 文件请另存为 .docx 后上传；" if ext == ".doc" else ""
        raise ExtractError("file_type", f"{hint}只支持上传 .docx、.pdf、.txt 文件。")
    return ext


def _docx_text(data: bytes, deadline: float) -> str:
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE file: Word 97-2003, or an encrypted .docx
        raise ExtractError("file_type", "这是旧版 .doc 或已加密的 Word 文档，请解除密码并另存为 .docx 后上传。")
    if not data.startswith(b"PK\x03\x04"):
        raise ExtractError("file_type", "文件内容不是 Word（.docx）文档，与扩展名不符。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            try:
                info = archive.getinfo("word/document.xml")
            except KeyError:
                raise ExtractError("file_type", "该压缩文件不是 Word（.docx）文档。") from None
            xml = _read_capped(archive, info)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, zlib.error):
        raise ExtractError("file_unreadable", "Word 文档已损坏或已加密，无法读取。") from None
    body = _parse_docx_body(xml, deadline)
    return "\n".join(_docx_blocks(body, deadline)) if body is not None else ""


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, refused as soon as they inflate past MAX_DOCX_XML_BYTES (the size the
    zip header declares may lie, so the cap is enforced while reading)."""
    if info.file_size > MAX_DOCX_XML_BYTES:
        raise ExtractError("file_too_large", "Word 文档内容过大，无法处理。")
    chunks, size = [], 0
    with archive.open(info) as member:
        while chunk := member.read(1 << 16):
            size += len(chunk)
            if size > MAX_DOCX_XML_BYTES:
                raise ExtractError("file_too_large", "Word 文档内容过大，无法处理。")
            chunks.append(chunk)
    return b"".join(chunks)


def _parse_docx_body(xml: bytes, deadline: float):
    """The w:body element, parsed by defusedxml (no DTD, no entities), no deeper than MAX_XML_DEPTH."""
    depth = 0
    root = None
    try:
        for number, (event, element) in enumerate(
                SafeElementTree.iterparse(io.BytesIO(xml), events=("start", "end"), forbid_dtd=True)):
            if event == "start":
                depth += 1
                root = element if root is None else root
                if depth > MAX_XML_DEPTH:
                    raise ExtractError("file_unreadable", "Word 文档结构异常（嵌套过深），无法读取。")
            else:
                depth -= 1
            if number % 4096 == 0:
                _check_deadline(deadline)
    except (ElementTree.ParseError, DefusedXmlException):
        raise ExtractError("file_unreadable", "Word 文档已损坏或格式异常，无法读取。") from None
    return root.find(f"{_W}body") if root is not None else None


def _check_deadline(deadline: float) -> None:
    """Stop reading a document that takes longer than the caller allows."""
    if time.monotonic() > deadline:
        raise ExtractError("file_too_complex", "文件过于复杂，未能在限定时间内读取，请精简后重试。")


def _docx_blocks(parent, deadline: float):
    """Paragraph texts in document order; a table row becomes one line of its cells' texts."""
    for child in parent:
        _check_deadline(deadline)
        if child.tag == f"{_W}p":
            yield _docx_paragraph(child)
        elif child.tag == f"{_W}tbl":
            for row in child.findall(f"{_W}tr"):
                cells = (" ".join(_docx_paragraph(p) for p in cell.iter(f"{_W}p"))
                         for cell in row.findall(f"{_W}tc"))
                yield "\t".join(cells)
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _docx_blocks(content, deadline)


def _docx_paragraph(paragraph) -> str:
    """Run texts in order, walked with a stack (no recursion: nesting depth is bounded anyway).

    w:delText (tracked deletions) is a different tag and so left out; a text box is stored
    twice, and its old-Word copy (mc:Fallback) is skipped.
    """
    out: list[str] = []
    stack = [iter(paragraph)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif child.tag == f"{_W}t":
            out.append(child.text or "")
        elif child.tag == f"{_W}tab":
            out.append("\t")
        elif child.tag in (f"{_W}br", f"{_W}cr"):
            out.append("\n")
        elif child.tag != _MC_FALLBACK:
            stack.append(iter(child))
    return "".join(out)


def _pdf_text(data: bytes, deadline: float) -> str:
    if not data.startswith(b"%PDF-"):
        raise ExtractError("file_type", "文件内容不是 PDF 文档，与扩展名不符。")
    import pypdf  # imported here: only uploads need it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pypdf warns on every small defect of real-world PDFs
        try:
            reader = pypdf.PdfReader(io.BytesIO(data))
            encrypted = reader.is_encrypted and not _pdf_decrypt(reader)
            pages = 0 if encrypted else len(reader.pages)
            if pages and pages <= MAX_PDF_PAGES:
                texts = []
                for page in reader.pages:
                    _check_deadline(deadline)
                    texts.append(page.extract_text() or "")
        except ExtractError:
            raise
        except Exception:  # pypdf raises many kinds of errors on broken files
            raise ExtractError("file_unreadable", "PDF 文档已损坏，无法读取。") from None
    if encrypted:
        raise ExtractError("file_unreadable", "PDF 文档已加密，请解除密码后上传。")
    if pages > MAX_PDF_PAGES:
        raise ExtractError("file_too_large", f"PDF 超过 {MAX_PDF_PAGES} 页，无法处理。")
    return _CJK_GAP.sub("", _join_pdf_lines(texts)) if pages else ""


def _pdf_decrypt(reader) -> bool:
    """Open a PDF that is encrypted with an empty user password (only printing is restricted)."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # e.g. AES without the optional `cryptography` package
        return False


# Lines that are only a page number: "3", "- 3 -", "第 3 页", "第3页 共9页", "3 / 9".
_PAGE_NUMBER = re.compile(
    r"^[-—–－\s]*(第\s*\d+\s*页(\s*[/，,]?\s*共\s*\d+\s*页)?|\d+(\s*/\s*\d+)?)[-—–－\s]*$")
_SENTENCE_END = tuple("。！？；：:;!?」』”）)】")
# pypdf sometimes puts a space between two Chinese characters that the layout spaced out
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff，。；：、“”（）《》]) (?=[\u4e00-\u9fff，。；：、“”（）《》])")


def _join_pdf_lines(pages: list[str]) -> str:
    """Drop page-number lines and re-join lines the page layout broke mid-sentence."""
    lines = []
    for page in pages:
        page_lines = [line.strip() for line in page.replace("\r", "\n").split("\n")]
        page_lines = [line for line in page_lines if line]
        while page_lines and _PAGE_NUMBER.match(page_lines[-1]):
            page_lines.pop()
        while page_lines and _PAGE_NUMBER.match(page_lines[0]):
            page_lines.pop(0)
        lines.extend(page_lines)
    if not lines:
        return ""
    full = sorted(len(line) for line in lines)[int(len(lines) * 0.9)]  # a full line's length
    paragraphs = [lines[0]]
    for prev, line in zip(lines, lines[1:]):
        broken = (len(prev) >= max(full * 0.85, 10) and not prev.endswith(_SENTENCE_END)
                  and not match_heading(line))
        if broken:
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
    return "\n".join(paragraphs)


def _txt_text(data: bytes, deadline: float) -> str:
    if data.startswith((b"PK\x03\x04", b"%PDF-")):
        raise ExtractError("file_type", "文件内容不是纯文本，与扩展名 .txt 不符。")
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractError("file_type", "文件内容不是纯文本，与扩展名 .txt 不符。")
    text = _decode(data)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(3, len(text) // 100):
        raise ExtractError("file_type", "文件内容不是纯文本，与扩展名 .txt 不符。")
    return text


def _decode(data: bytes) -> str:
    encodings: tuple[str, ...]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExtractError("file_unreadable", "无法识别文本文件的编码，请另存为 UTF-8 后上传。")


_SPACES = re.compile(r"[ \u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TABS = re.compile(r" ?\t[\t ]*")  # tabs separate table cells: keep one
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")


def normalize_text(text: str) -> str:
    """Unify line ends and spaces (full-width too), drop blank lines; one paragraph per line."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n"))
    lines = (_TABS.sub("\t", _SPACES.sub(" ", line)).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- headings

# Heading labels of judgments and typical-case write-ups, by section kind (see SECTION_KINDS).
HEADINGS = {
    "facts": "基本案情 简要案情 案情简介 案情回顾 案情概要 案情介绍 案件事实 基本事实 案件基本情况 案情",
    "claims": "诉讼请求 原告诉讼请求 申请人请求 当事人诉讼请求 诉讼请求及理由",
    "procedure": "诉讼过程 审理过程 办理过程 检察机关履职过程 检察机关履职情况 检察履职情况 检察机关监督情况 "
                 "检察工作情况 检察听证过程 检察听证情况 指控与证明犯罪 诉前程序 调查核实和督促履职 "
                 "发现线索和调查核实 核准追诉案件办理过程 提出检察建议",
    "outcome": "裁判结果 判决结果 处理结果 案件结果 审理结果 办理结果 处理情况 调解结果 诉讼过程和结果 "
               "法院裁判 终审判决 终审结果 裁判情况",
    "reasoning": "裁判理由 判决理由",
    "holding": "裁判要点 裁判要旨 裁判摘要 案例要旨 要旨 要点 核心提示",
    "explanation": "以案释法 以案说法 法官说法 法官释法 法官解读 法官点评 检察官说法 释法说理 适用解析 "
                   "案例分析 案例评析 案例解读 专家点评 法律解读 法官提醒 法官寄语 评析",
    "significance": "典型意义 指导意义 示范意义 案例意义",
    "legal_basis": "相关法条 相关规定 相关法律规定 相关法律条文 相关立法 相关法律 法律依据 法律规定 "
                   "法条链接 法律链接 适用法条 司法解释相关法条 司法解释相关条文",
    "remedy": "权利救济途径 救济途径",
    "other": "编者按 审判人员 抗诉理由 建议再审理由 不批准逮捕理由 不批准逮捕的理由 不起诉的理由 "
             "不起诉理由 检察机关的意见和理由",
}
_LABEL_KIND = {label: kind for kind, labels in HEADINGS.items() for label in labels.split()}
_LABELS = "|".join(sorted(_LABEL_KIND, key=len, reverse=True))
# Kinds that mark a document as a write-up; without any of them the body is cut like a judgment.
_BODY_KINDS = {"facts", "claims", "procedure", "outcome", "reasoning"}

_NUMBERING = (r"(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[、.．]"
              r"|第[一二三四五六七八九十]部分[、：:]?)?")
_HEADING = re.compile(
    rf"^{_NUMBERING}\s*(?P<open>[【〔\[［「《■◆●▲]?)\s*(?P<label>{_LABELS})\s*(?P<close>[】〕\]］」》]?)"
    r"\s*(?P<colon>[:：]?)\s*(?P<rest>.*)$"
)


_BRACKETED = re.compile(r"^【(?P<label>[^】]{2,15})】$")
_SHORT_TAIL = re.compile(r"^[\u4e00-\u9fa5]{1,8}$")  # "一、基本案情和诉讼过程" → "和诉讼过程"


def match_heading(line: str):
    """(kind, label, text after the heading) if the line is a section heading, else None."""
    compact = line.replace(" ", "") if len(line) <= 30 else line  # "基 本 案 情"
    m = _HEADING.match(compact)
    if not m:
        other = _BRACKETED.match(compact)  # an unknown 【……】 heading
        return ("other", other.group("label"), "") if other else None
    label, rest = m.group("label"), m.group("rest").strip()
    if m.group("open") and m.group("open") in "【〔[［「《" and not m.group("close"):
        return None
    if rest and not (m.group("colon") or m.group("close")):
        if compact != m.group("label") + rest and _SHORT_TAIL.match(rest):  # numbered, e.g. "一、"
            return _LABEL_KIND[label], label + rest, ""
        return None  # "本院认为，……" or "要点在于……" is a sentence, not a heading
    return _LABEL_KIND[label], label, rest


# ---------------------------------------------------------------- raw judgments

_PARTY = re.compile(
    r"^(原告|被告|第三人|上诉人|被上诉人|原审[^：:，,]{0,8}|公诉机关|抗诉机关|被告人|申请人|被申请人|再审申请人|"
    r"申诉人|被申诉人|申请执行人|被执行人|罪犯|起诉人|自诉人|赔偿请求人|赔偿义务机关|公益诉讼起诉人|"
    r"(?:刑事)?附带民事诉讼(?:原告|被告)人?|案外人|异议人|复议申请人)"
    r"(（[^）]{0,30}）)?([:：]|[\u4e00-\u9fa5某×ＸX*]{1,8}，(男|女))"
)
_CLAIMS = re.compile(r"^[^。；]{0,60}?(诉称|辩称|述称|诉讼请求[：:]|请求判令)")
_FOUND = re.compile(r"^[^。；]{0,40}?(经审理查明|审理查明|[一二再]审查明|经审查查明|另查明|查明[：:，,])")
_OPINION = re.compile(r"^[^。；]{0,50}?(?:(?:法院|本院|该院|法庭)[^。；，：]{0,12}|经审[理查]后?，?|[一二再]审)认为")
_JUDGES_BELOW = re.compile(r"(判决|裁定|决定|判|裁|协议)(如下)?[：:]$")
_JUDGES_HERE = re.compile(r"^(据此|遂|依照|根据)[^。]{0,120}?(判决|裁定|判处)|^[^。，]{0,30}?(判决|裁定)(如下)?[：:]")
# what happens after a judgment: appeal, retrial, review of a death sentence
_AFTER_JUDGMENT = re.compile(
    r"^[^。]{0,40}?(宣判后|判决后|不服[^。]{0,60}?(上诉|申诉|再审|抗诉)|提出上诉|提起上诉|提出抗诉|申请再审)"
    r"|^在[一二再]审|^[^。，]{2,30}(人民法院|法院)(经依法|依照|根据|受理|立案|审理|重新)|报请[^。]{0,80}?核准"
)
_NO_APPEAL = re.compile(r"(未|没有|均未)(在法定期[限间]内)?(提出|提起)?(上诉|抗诉)|服判|撤回上诉|^如不服")
_SIGNATURE = re.compile(r"^(审判长|审判员|代理审判员|人民陪审员)\s*[\u4e00-\u9fa5某×]{1,5}$")


def _judgment_kind(paragraph: str, previous: str, current: str | None) -> str | None:
    """The kind a new section starting at this paragraph has, or None to stay in the current one."""
    compact = paragraph.replace(" ", "")
    if _SIGNATURE.match(compact):
        return None if current == "signature" else "signature"
    if current == "signature":
        return None
    if _PARTY.match(paragraph):
        return None if current in ("facts", "claims", "procedure") else "facts"
    if current in (None, "other", "facts") and _CLAIMS.match(paragraph):
        return "claims"
    if current in (None, "other", "claims") and _FOUND.match(paragraph):
        return "facts"
    if current != "reasoning" and _OPINION.match(paragraph):
        return "reasoning"
    if current in ("reasoning", "facts") and _JUDGES_BELOW.search(previous):
        return "outcome"
    if current == "reasoning" and _JUDGES_HERE.match(paragraph):
        return None if _JUDGES_BELOW.search(paragraph) else "outcome"
    if current == "outcome" and _AFTER_JUDGMENT.match(paragraph):
        return None if _NO_APPEAL.search(paragraph) else "procedure"
    return None


# ---------------------------------------------------------------- splitting

_CASE_NUMBER = re.compile(  # （2023）京0105民初1234号, （2009）沪二中民二（民）终字第1508号, …第2－1号
    r"[（(〔]\s*(?:19|20)\d{2}\s*[）)〕]"
    r"(?:[\u4e00-\u9fa5A-Za-z0-9]|[（(][\u4e00-\u9fa5]{1,4}[）)]){1,25}?[\d－—-]*\d\s*号")
_CASE_NAME = re.compile(r"^(?:原告|申请人|上诉人)(?P<a>[^，。、（(]{2,40}?)(?:与|诉)(?:被告|被申请人|被上诉人)?"
                        r"(?P<b>[^，。（(]{2,80}?(?:纠纷|争议))一案")
_CASE_LABEL = re.compile(r"^(?:典型)?案例[一二三四五六七八九十\d]{1,3}(?:[：:、.．]\s*|\s+|$)")
_KEYWORDS = re.compile(r"^关键词[:：\s]\s*(?P<words>.+)$")
_COURT_HEADER = re.compile(r"(人民法院|人民检察院|判决书|裁定书|调解书|决定书|起诉书)$")


def split_sections(text: str) -> dict:
    """Guess title, case number and keywords; cut the text into `{kind, heading, text}` sections."""
    paragraphs = [line for line in normalize_text(text).split("\n") if line]
    result: dict[str, Any] = {"title": "", "case_number": _find_case_number(paragraphs), "keywords": [],
                              "sections": []}
    if result["case_number"]:  # the header line is now a field, not section text
        paragraphs = [p for p in paragraphs if _bare_case_number(p) != result["case_number"]]
    if paragraphs and _CASE_LABEL.fullmatch(paragraphs[0]):  # "案例一" on a line of its own
        paragraphs.pop(0)
    if paragraphs and _looks_like_title(paragraphs[0]):
        result["title"] = _CASE_LABEL.sub("", paragraphs.pop(0), count=1)
    keywords = [i for i, p in enumerate(paragraphs[:5]) if _KEYWORDS.match(p)]
    if keywords:
        keyword_line = _KEYWORDS.match(paragraphs.pop(keywords[0]))
        assert keyword_line is not None  # keywords holds the indices of lines that match
        words = keyword_line.group("words")
        result["keywords"] = [w for w in re.split(r"[\s、，,；;]+", words) if w]
    headings = _top_level(paragraphs, [match_heading(p) for p in paragraphs])
    write_up = any(h and h[0] in _BODY_KINDS for h in headings)
    result["sections"] = _cut(paragraphs, headings, judgment=not write_up)
    if not result["title"]:
        result["title"] = _title_from_judgment(paragraphs)
    return result


_NUMBER_DEPTH = ((1, r"[一二三四五六七八九十]{1,3}[、.．]"), (2, r"[（(][一二三四五六七八九十\d]{1,3}[）)]"),
                 (3, r"\d{1,2}[、.．]"))


def heading_depth(line: str) -> int:
    """0 for a plain or 【bracketed】 heading, 1 for "一、", 2 for "（一）", 3 for "1."."""
    return next((depth for depth, pattern in _NUMBER_DEPTH if re.match(pattern, line)), 0)


def _top_level(paragraphs: list[str], headings: list) -> list:
    """Drop headings numbered deeper than the first one: "（五）处理结果" inside 履职过程 is a sub-heading."""
    depths = [heading_depth(p) if h else None for p, h in zip(paragraphs, headings)]
    top = next((d for d in depths if d is not None), 0)
    return [h if d is not None and d <= top else None for h, d in zip(headings, depths)]


def _cut(paragraphs: list[str], headings: list, judgment: bool) -> list[dict]:
    sections: list[dict] = []
    current: dict[str, Any] = {"kind": "other", "heading": "", "lines": [], "state": None}
    for index, (paragraph, heading) in enumerate(zip(paragraphs, headings)):
        new: dict[str, Any] | None = None
        if heading:
            kind, label, rest = heading
            new = {"kind": kind, "heading": label, "lines": [rest] if rest else [], "state": kind}
        elif judgment or current["state"] == "signature":
            previous = paragraphs[index - 1] if index else ""
            kind = _judgment_kind(paragraph, previous, current["state"])
            if kind:
                new = {"kind": "other" if kind == "signature" else kind, "heading": "",
                       "lines": [paragraph], "state": kind}
        elif _SIGNATURE.match(paragraph.replace(" ", "")):
            new = {"kind": "other", "heading": "", "lines": [paragraph], "state": "signature"}
        if new:
            sections.append(current)
            current = new
        else:
            current["lines"].append(paragraph)
    sections.append(current)
    return [{"kind": s["kind"], "heading": s["heading"], "text": "\n".join(s["lines"])}
            for s in sections if s["lines"]]


def _bare_case_number(paragraph: str) -> str:
    """The case number if the paragraph is nothing else ("（2023）京0105民初1234号", "案号：…")."""
    line = re.sub(r"^案号[:：]", "", paragraph.replace(" ", ""))
    m = _CASE_NUMBER.fullmatch(line)
    return m.group(0) if m else ""


def _find_case_number(paragraphs: list[str]) -> str:
    """A case number on a line of its own near the top, else "" (numbers cited later are others)."""
    return next((n for n in map(_bare_case_number, paragraphs[:15]) if n), "")


def _looks_like_title(line: str) -> bool:
    return (len(line) <= 80 and not line.endswith(("。", "：", ":", "；"))
            and not match_heading(line) and not _PARTY.match(line)
            and not _CASE_NUMBER.fullmatch(line.replace(" ", "")) and not _COURT_HEADER.search(line)
            and not _KEYWORDS.match(line))


def _title_from_judgment(paragraphs: list[str]) -> str:
    """From "原告甲与被告乙买卖合同纠纷一案" make "甲诉乙买卖合同纠纷案"."""
    for paragraph in paragraphs[:30]:
        m = _CASE_NAME.match(paragraph)
        if m:
            return f"{m.group('a')}诉{m.group('b')}案"
    return ""


def prefill_from_upload(filename: str, data: bytes, seconds: float = DEFAULT_DEADLINE) -> dict:
    """What the case editor shows after an upload: extract the text (within `seconds`), then split it."""
    return split_sections(extract_text(filename, data, seconds))
