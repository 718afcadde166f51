"""Build app/data/repealed_laws.json: the repeals our law data records, plus the reviewed extras below.

Run by hand after seed_laws/ changes (`python scripts/build_repeals.py`), then read the diff: the
file is reviewed data, not a build artefact. A law's closing article says which laws it repealed
("本法自2021年1月1日起施行。《中华人民共和国合同法》……同时废止"); we keep national laws and State
Council regulations (中华人民共和国…) and skip a repealed title that a current law still carries
(工会法 1950 → 工会法 1992; the 1993 国家安全法 became 反间谍法 and a new 国家安全法 exists), because
a citation of that title means the current law (SAME_NAME).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed_laws"
OUT = ROOT / "app" / "data" / "repealed_laws.json"
PREFIX = "中华人民共和国"
_CLOSING = re.compile(r"^(第[^ ]+条) 本法(?:（[^）]*）)?自(\d{4})年(\d{1,2})月(\d{1,2})日起施行"
                      r"|^(第[^ ]+条) 本法自公布之日起施行")
_REPEALED = re.compile(r"《(中华人民共和国[^》]+)》")
_VERSION = re.compile(r"\((\d{4}-\d{2}-\d{2})\)$")
# Facts our law data does not record (the repealing law is itself repealed, or only its newer text is held).
EXTRA = [
    {"law": "中华人民共和国经济合同法", "successor": "中华人民共和国合同法",
     "provision": "《中华人民共和国合同法》第四百二十八条", "date": "1999-10-01",
     "then": "中华人民共和国民法典"},
    {"law": "中华人民共和国涉外经济合同法", "successor": "中华人民共和国合同法",
     "provision": "《中华人民共和国合同法》第四百二十八条", "date": "1999-10-01",
     "then": "中华人民共和国民法典"},
    {"law": "中华人民共和国技术合同法", "successor": "中华人民共和国合同法",
     "provision": "《中华人民共和国合同法》第四百二十八条", "date": "1999-10-01",
     "then": "中华人民共和国民法典"},
]
# 公布之日 in a newer version's text means the first promulgation, which we do not hold.
DATE_FIXES = {"中华人民共和国民事诉讼法（试行）": ("1991-04-09", "《中华人民共和国民事诉讼法》（1991年）第二百七十条"),
              "中华人民共和国人民警察条例": ("1995-02-28", "《中华人民共和国人民警察法》第五十二条")}
SAME_NAME = {"中华人民共和国国家安全法", "中华人民共和国工会法"}


def closing_repeals(path: Path) -> list[dict]:
    """Repeal facts stated in one law file's closing article."""
    lines = path.read_text(encoding="utf-8").splitlines()
    title = lines[0].lstrip("# ").strip()
    version = _VERSION.search(path.stem)
    out = []
    for line in lines:
        match = _CLOSING.match(line.strip())
        if not match or "同时废止" not in line:
            continue
        label = match.group(1) or match.group(5)
        if match.group(2):
            date = f"{match.group(2)}-{int(match.group(3)):02d}-{int(match.group(4)):02d}"
        else:
            date = version.group(1) if version else None
        for name in _REPEALED.findall(line.split("施行", 1)[1]):
            out.append({"law": name, "successor": title, "provision": f"《{title}》{label}", "date": date})
    return out


def build() -> list[dict]:
    """Every repeal, one entry per repealed title (the earliest statement of it wins)."""
    files = sorted(p for p in SEED.rglob("*.md") if p.name != "README.md")
    found: dict[str, dict] = {}
    for path in sorted(files, key=lambda p: (_VERSION.search(p.stem) or re.match("", "")).group(0)):
        for fact in closing_repeals(path):
            if fact["law"] in SAME_NAME or fact["law"] in found:
                continue
            if fact["law"] in DATE_FIXES:
                fact["date"], fact["provision"] = DATE_FIXES[fact["law"]]
            found[fact["law"]] = fact
    for fact in EXTRA:
        found.setdefault(fact["law"], fact)
    return sorted(found.values(), key=lambda f: (f["date"] or "", f["law"]))


if __name__ == "__main__":
    facts = build()
    OUT.write_text(json.dumps({"_about": __doc__.strip().splitlines()[0], "repeals": facts},
                              ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(facts)} repeals → {OUT.relative_to(ROOT)}")
