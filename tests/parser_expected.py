"""Stored output of the citation parser and the de-identification check, for the equivalence test.

tests/fixtures/parser_expected.jsonl.gz holds, for every input below, what `parse_citations`
(each text of a case: the title, then every section) and `deid.find_in_case` (the whole case)
returned when the file was written, together with a digest of the input:

  seed       every case in seed_cases/*.jsonl
  synthetic  SYNTHETIC cases made by bench/make_corpus.py's Perturber (fixed seed)
  citations  every snippet of tests/fixtures/citations_labeled.jsonl
  deid       the labelled passages of tests/fixtures/deid_labeled.jsonl, one case at a time
             (as bench/deid_eval.py checks them), and `deid.find` on every passage alone

The file was first written by the implementation before the import speed-up of issue 11
(commit 'Equivalence fixture: …'), so tests/test_parser_equivalence.py proves the faster
scans give identical results. Regenerate it only for an intended change of results, and
say so in the commit (then bench/citation_eval.py and bench/deid_eval.py tell whether it is
better):

    .venv/bin/python -m tests.parser_expected --write
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXPECTED = FIXTURES / "parser_expected.jsonl.gz"
SYNTHETIC = 400
SYNTHETIC_SEED = 11


def digest(value) -> str:
    """Short digest of an input (a changed seed case is then reported, not compared)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _seed_records() -> list[dict]:
    records = []
    for path in sorted((ROOT / "seed_cases").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            records += [json.loads(line) for line in handle if line.strip()]
    return records


def _synthetic(seed_records: list[dict]) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from bench.make_corpus import Perturber

    rng = random.Random(SYNTHETIC_SEED)
    by_type: dict[str, list[dict]] = defaultdict(list)
    for rec in seed_records:
        by_type[rec["case_type"]].append(rec)
    perturber = Perturber(rng, by_type)
    return [perturber.make(seed_records[rng.randrange(len(seed_records))], n) for n in range(1, SYNTHETIC + 1)]


def inputs() -> Iterator[dict]:
    """Every input as {set, key, title, texts}: texts are sections (deid) and title + sections (citations)."""
    seed = _seed_records()
    for name, records in (("seed", seed), ("synthetic", _synthetic(seed))):
        for rec in records:
            yield {"set": name, "key": rec["source_id"], "title": rec["title"],
                   "sections": [s["text"] for s in rec["sections"]]}
    with (FIXTURES / "citations_labeled.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                snippet = json.loads(line)
                yield {"set": "citations", "key": snippet["id"], "title": "", "sections": [snippet["text"]],
                       "citations_only": True}
    by_case: dict[str, list[dict]] = defaultdict(list)
    with (FIXTURES / "deid_labeled.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                passage = json.loads(line)
                by_case[passage["source_id"]].append(passage)
    for source_id, passages in by_case.items():
        title = next((p["text"] for p in passages if p["section"] is None), "")
        bodies = [p["text"] for p in passages if p["section"] is not None]
        yield {"set": "deid", "key": source_id, "title": title, "sections": bodies, "single": True}


def _citation_rows(text: str) -> list[list]:
    from legaltext.citations import parse_citations

    return [[c.raw, c.law, c.number, c.sub, c.paragraph, c.item, c.version, c.start, c.end]
            for c in parse_citations(text)]


def _finding_rows(findings) -> list[list]:
    return [[f.kind, f.text, f.start, f.end, f.label, f.suggestion, f.section] for f in findings]


def results(item: dict) -> dict:
    """What the current implementation gives for one input."""
    from legaltext import deid

    out: dict = {"citations": [_citation_rows(t) for t in [item["title"], *item["sections"]]]}
    if not item.get("citations_only"):
        out["deid"] = _finding_rows(deid.find_in_case([{"text": t} for t in item["sections"]], item["title"]))
    if item.get("single"):
        out["find"] = [_finding_rows(deid.find(t)) for t in [item["title"], *item["sections"]] if t]
    return out


def key(item: dict) -> str:
    """Identifies an input across runs."""
    return f"{item['set']}/{item['key']}"


def load_expected() -> dict[str, dict]:
    """key → {digest, results} from the stored file."""
    with gzip.open(EXPECTED, "rt", encoding="utf-8") as handle:
        return {row["key"]: row for row in map(json.loads, handle)}


def write() -> int:
    """Write the stored file from the current implementation."""
    count = 0
    with gzip.open(EXPECTED, "wt", encoding="utf-8", compresslevel=9) as out:
        for item in inputs():
            row = {"key": key(item), "digest": digest([item["title"], item["sections"]]), **results(item)}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite tests/fixtures/parser_expected.jsonl.gz")
    args = parser.parse_args(argv)
    if not args.write:
        parser.print_help()
        return 2
    print(f"wrote {write()} inputs to {EXPECTED}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
