"""How well does the upload splitter (legaltext/extract.py) recover real seed cases?

Each sampled seed case is rendered as a judge's or editor's Word file would look (title, case
number, 关键词 line, each section's heading in one of four styles — "基本案情", "一、基本案情",
"【基本案情】", "基本案情：text on the same line" — then its paragraphs; sections without a
heading, as in the 公报 judgments, are plain paragraphs), written as a real .docx, and sent
through `prefill_from_upload`. We count:

* sections: an expected section is right when a predicted section has the same kind and the
  same text (whitespace ignored);
* paragraphs: share of paragraphs that land in a section of the right kind;
* title and case number found.

Run: .venv/bin/python -m bench.extract_eval [--all] [--n 30] [--seed 4] [-v]
"""
from __future__ import annotations

import argparse
import io
import json
import random
import re
import zipfile
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

from legaltext.extract import prefill_from_upload

SEED_DIR = Path(__file__).resolve().parent.parent / "seed_cases"
STYLES = ("{h}", "{n}、{h}", "【{h}】", "{h}：")
NUMERALS = "一二三四五六七八九十"
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def render_paragraphs(case: dict, style: str) -> list[str]:
    """The case as the paragraphs of a document."""
    lines = [case["title"]]
    if case.get("case_number"):
        lines.append(case["case_number"])
    if case.get("keywords"):
        lines.append("关键词 " + " ".join(case["keywords"]))
    number = 0
    for section in case["sections"]:
        paragraphs = section["text"].split("\n")
        if not section["heading"]:
            lines.extend(paragraphs)
            continue
        heading = style.format(h=section["heading"], n=NUMERALS[number % 10])
        number += 1
        if style.endswith("："):
            lines.append(heading + paragraphs[0])
            lines.extend(paragraphs[1:])
        else:
            lines.append(heading)
            lines.extend(paragraphs)
    return lines


def docx_bytes(paragraphs: list[str]) -> bytes:
    """A minimal but valid .docx with one w:p per paragraph."""
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(_XML_INVALID.sub("", p))}</w:t></w:r></w:p>'
                   for p in paragraphs)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body>{body}</w:body></w:document>")
    content_types = ('<?xml version="1.0" encoding="UTF-8"?>'
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     '<Default Extension="xml" ContentType="application/xml"/>'
                     '<Override PartName="/word/document.xml" ContentType="application/'
                     'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def score(case: dict, prefill: dict) -> dict:
    predicted = [(s["kind"], _squash(s["text"])) for s in prefill["sections"]]
    expected = [(s["kind"], _squash(s["text"])) for s in case["sections"]]
    right_sections = sum(1 for e in expected if e in predicted)
    merged = _claims_as_facts(prefill["sections"])
    loose_sections = sum(1 for e in expected if e in merged)
    # paragraph → predicted kind, paragraphs taken in document order
    kind_of = {}
    for section in prefill["sections"]:
        for p in section["text"].split("\n"):
            kind_of.setdefault(_squash(p), section["kind"])
    paragraphs = [(s["kind"], _squash(p)) for s in case["sections"] for p in s["text"].split("\n") if p.strip()]
    right_paragraphs = sum(1 for kind, p in paragraphs if kind_of.get(p) == kind)
    # the same, counting the 诉称/辩称 (claims) paragraphs as facts, the 公报 convention
    loose = sum(1 for kind, p in paragraphs if kind_of.get(p) == kind
                or (kind == "facts" and kind_of.get(p) == "claims"))
    return {
        "sections": len(expected), "right_sections": right_sections, "loose_sections": loose_sections,
        "paragraphs": len(paragraphs), "right_paragraphs": right_paragraphs, "loose_paragraphs": loose,
        "title": prefill["title"] == case["title"],
        "case_number": (prefill["case_number"] == case.get("case_number", "")),
        "errors": [e[0] for e in expected if e not in predicted],
    }


def _claims_as_facts(sections: list[dict]) -> list[tuple[str, str]]:
    """The 公报 convention: 诉称/辩称 stay inside the facts; merge facts+claims runs."""
    merged: list[tuple[str, str]] = []
    for section in sections:
        kind = "facts" if section["kind"] == "claims" and not section["heading"] else section["kind"]
        if merged and kind == "facts" and merged[-1][0] == "facts" and not section["heading"]:
            merged[-1] = ("facts", merged[-1][1] + _squash(section["text"]))
        else:
            merged.append((kind, _squash(section["text"])))
    return merged


def load_cases() -> dict[str, list[dict]]:
    return {path.stem: [json.loads(line) for line in path.open(encoding="utf-8")]
            for path in sorted(SEED_DIR.glob("*.jsonl"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=32, help="cases to sample (spread over the files)")
    parser.add_argument("--all", action="store_true", help="every seed case")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("-v", action="store_true", help="list the cases with wrong sections")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    by_file = load_cases()
    totals: dict[str, Counter] = {}
    wrong_kinds = Counter()
    for name, cases in by_file.items():
        sample = cases if args.all else rng.sample(cases, min(len(cases), max(1, args.n // len(by_file))))
        total = totals.setdefault(name, Counter())
        for index, case in enumerate(sample):
            style = STYLES[index % len(STYLES)]
            data = docx_bytes(render_paragraphs(case, style))
            result = score(case, prefill_from_upload("case.docx", data))
            total.update({k: int(v) for k, v in result.items() if k != "errors"})
            total["cases"] += 1
            wrong_kinds.update(result["errors"])
            if args.v and result["errors"]:
                print(f"  {name} {case['source_id']} style={style!r}: wrong {result['errors']}")
    grand = sum(totals.values(), Counter())
    print("right = same kind and same text; (c=f) = counting 诉称/辩称 (claims) as facts, as the 公报 does")
    print(f"{'file':<14}{'cases':>6}{'sections right':>17}{'(c=f)':>7}{'paragraphs':>12}{'(c=f)':>7}"
          f"{'title':>7}{'case no.':>9}")
    for name, t in list(totals.items()) + [("all", grand)]:
        print(f"{name:<14}{t['cases']:>6}"
              f"{t['right_sections']:>8}/{t['sections']:<4}{_pct(t['right_sections'], t['sections']):>5}"
              f"{_pct(t['loose_sections'], t['sections']):>7}"
              f"{_pct(t['right_paragraphs'], t['paragraphs']):>12}{_pct(t['loose_paragraphs'], t['paragraphs']):>7}"
              f"{_pct(t['title'], t['cases']):>7}{_pct(t['case_number'], t['cases']):>9}")
    print("wrong sections by expected kind:", dict(wrong_kinds.most_common()))


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


if __name__ == "__main__":
    main()
