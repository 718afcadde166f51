"""Precision and recall of the citation parser on the hand-labelled gold set.

    .venv/bin/python bench/citation_eval.py [--verbose]
Gold: tests/fixtures/citations_labeled.jsonl (rules in tests/fixtures/CITATIONS_README.md).
A predicted citation matches a gold one when (law, number, sub, paragraph, item) are equal
(version is reported separately); each gold citation matches at most once per snippet.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from legaltext.citations import parse_citations  # noqa: E402

GOLD = ROOT / "tests" / "fixtures" / "citations_labeled.jsonl"


def gold_key(c: dict) -> tuple:
    """A gold citation's comparable key."""
    return (c["law"], c["number"], c["sub"] or 0, c["paragraph"], c["item"])


def evaluate(verbose: bool = False) -> dict:
    """Counts and rates over the gold set."""
    tp = fp = fn = version_ok = version_total = 0
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        snippet = json.loads(line)
        gold = Counter(gold_key(c) for c in snippet["citations"])
        predicted = parse_citations(snippet["text"])
        pred = Counter(c.key() for c in predicted)
        matched = gold & pred
        tp += sum(matched.values())
        fp += sum((pred - gold).values())
        fn += sum((gold - pred).values())
        versions = {gold_key(c): c["version"] for c in snippet["citations"]}
        for c in predicted:
            if c.key() in versions and versions[c.key()] is not None:
                version_total += 1
                version_ok += c.version == versions[c.key()]
        if verbose and (pred - gold or gold - pred):
            print(snippet["id"], snippet["text"][:120])
            for key in (pred - gold):
                print("   extra  ", key)
            for key in (gold - pred):
                print("   missing", key)
    return {"precision": tp / (tp + fp) if tp + fp else 0.0, "recall": tp / (tp + fn) if tp + fn else 0.0,
            "tp": tp, "fp": fp, "fn": fn, "version_correct": version_ok, "version_labelled": version_total}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    result = evaluate(parser.parse_args().verbose)
    print(json.dumps(result, ensure_ascii=False, indent=1))
