"""Copy the STARD training questions into the project as lay questions for article search (dev-time only).

Run by hand when the STARD file or the law set changes; the output is committed, so the product
never reads ../shared at run time:
    .venv/bin/python scripts/build_stard_lay.py [--stard ../shared/eval/stard/train.jsonl]
Output: indexer/data/stard_lay.jsonl, one {"id", "q", "articles": [[law title, number, sub], ...]}
per question, with law titles as seed_laws/ spells them (劳动合同法第七条 → 中华人民共和国劳动合同法, 7, 0);
articles of laws we do not hold are left out. STARD: MIT licence, THUIR (indexer/data/STARD.LICENSE).
"""
import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from legaltext.citations import normalize_law_title, official_titles  # noqa: E402
from legaltext.numerals import NUMERAL, to_int  # noqa: E402

_NAME = re.compile(rf"^(.*?)第({NUMERAL})条(?:之({NUMERAL}))?$")
OUT = ROOT / "indexer" / "data" / "stard_lay.jsonl"


def resolve(name: str) -> list | None:
    """[full title, number, sub] for a STARD article name, or None for a law we do not hold."""
    match = _NAME.match(name.strip())
    if not match:
        return None
    title = match.group(1)
    if title not in official_titles():
        title = normalize_law_title(title)
    if title not in official_titles():
        return None
    return [title, to_int(match.group(2)), to_int(match.group(3)) if match.group(3) else 0]


def main() -> None:
    """Write the lay questions file and say how many questions and articles were kept."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stard", type=Path, default=ROOT.parent / "shared" / "eval" / "stard" / "train.jsonl")
    args = parser.parse_args()
    kept, pairs, dropped = [], 0, 0
    for line in args.stard.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        articles = []
        for rel in item["relevant"]:
            found = resolve(rel["name"])
            if found is None:
                dropped += 1
            elif found not in articles:
                articles.append(found)
        if articles:
            kept.append({"id": item["query_id"], "q": item["question"], "articles": articles})
            pairs += len(articles)
    OUT.write_text("".join(json.dumps(k, ensure_ascii=False) + "\n" for k in kept), encoding="utf-8")
    print(f"{len(kept)} questions, {pairs} question–article pairs kept; {dropped} articles of laws not held")


if __name__ == "__main__":
    main()
