"""Precision and recall of the de-identification check against hand-labelled passages.

The gold set is tests/fixtures/deid_labeled.jsonl: passages of real 公报 cases (text taken
unchanged from ../shared/data/cases/spc_gazette.jsonl) and each case's title, with every
personal item labelled by reading (kind + exact text; labels are unique per passage).
Each passage has a split: "dev" (the rules were tuned on these), "test" (held out, then
looked at once and used for a few general fixes) and "final" (labelled last, measured
once, never tuned on). The passages of one case are checked together with find_in_case,
as the editor checks a whole case, so a name flagged in one passage is found in the
others too. A found item is correct when its kind and text match a label of the same
passage; for addresses, whose exact extent is a matter of taste, an overlap with an
address label of the passage counts. Counting is per distinct (kind, text) in a passage.

    .venv/bin/python bench/deid_eval.py                 # overall and per kind, all splits
    .venv/bin/python bench/deid_eval.py --split final   # one split
    .venv/bin/python bench/deid_eval.py --verbose       # plus every false positive/negative
    .venv/bin/python bench/deid_eval.py --json          # machine-readable figures
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from legaltext.deid import PRIORITY, TITLE, find_in_case  # noqa: E402

DEFAULT_FIXTURE = ROOT / "tests" / "fixtures" / "deid_labeled.jsonl"
SPLITS = ("dev", "test", "final")


def load(path: Path = DEFAULT_FIXTURE, split: str = "all") -> list[dict]:
    """The labelled passages of one split (or all), in file order."""
    with path.open(encoding="utf-8") as fh:
        passages = [json.loads(line) for line in fh if line.strip()]
    return [p for p in passages if split == "all" or p["split"] == split]


def predictions(passages: list[dict]) -> dict[str, set[tuple[str, str]]]:
    """passage id → distinct (kind, text) found, running find_in_case once per case."""
    by_case: dict[str, list[dict]] = defaultdict(list)
    for p in passages:
        by_case[p["source_id"]].append(p)
    found: dict[str, set] = {p["id"]: set() for p in passages}
    for items in by_case.values():
        title = next((p for p in items if p["section"] is None), None)
        bodies = [p for p in items if p["section"] is not None]
        sections = [{"text": p["text"], "heading": p.get("heading", "")} for p in bodies]
        for f in find_in_case(sections, title=title["text"] if title else ""):
            target = title if f.section == TITLE else bodies[f.section]
            found[target["id"]].add((f.kind, f.text))
    return found


def _shared(a: str, b: str) -> int:
    """Length of the longest common substring of two short strings."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] not in b:
                break
            best = j - i
    return best


def _overlap(label: str, found: str) -> bool:
    """One address contains the other, or they share most of the shorter one."""
    shortest = min(len(label), len(found))
    return label in found or found in label or _shared(label, found) >= max(4, 0.6 * shortest)


def _match(kind: str, text: str, gold: set, matched: set) -> tuple[str, str] | None:
    """The gold label a found item matches (exact; addresses also by overlap), or None."""
    if (kind, text) in gold:
        return kind, text
    if kind != "address":
        return None
    candidates = [(k, t) for k, t in gold if k == "address" and _overlap(t, text)]
    # prefer a label not matched yet, then the one sharing the most text
    candidates.sort(key=lambda label: (label in matched, -_shared(label[1], text)))
    return candidates[0] if candidates else None


def _scores(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 3),
            "recall": round(recall, 3), "f1": round(f1, 3)}


def _context(text: str, item: str, width: int = 12) -> str:
    i = text.find(item)
    if i < 0:
        return ""
    before, after = text[max(0, i - width):i], text[i + len(item):i + len(item) + width]
    return f"{before}【{item}】{after}".replace("\n", " ")


def evaluate(passages: list[dict]) -> dict:
    """Counts and P/R/F1 overall and per kind, plus the lists of errors."""
    found = predictions(passages)
    tp, fp, fn = defaultdict(int), defaultdict(int), defaultdict(int)
    false_positives, false_negatives = [], []
    for p in passages:
        gold = {(label["kind"], label["text"]) for label in p["labels"]}
        matched: set = set()
        for kind, text in sorted(found[p["id"]]):
            hit = _match(kind, text, gold, matched)
            if hit is None:
                fp[kind] += 1
                false_positives.append((p["id"], kind, text, _context(p["text"], text)))
            elif hit not in matched:
                tp[kind] += 1
                matched.add(hit)
        for kind, text in sorted(gold - matched):
            fn[kind] += 1
            false_negatives.append((p["id"], kind, text, _context(p["text"], text)))
    kinds = [k for k in PRIORITY if tp[k] + fp[k] + fn[k]]
    return {
        "cases": len({p["source_id"] for p in passages}),
        "passages": len(passages),
        "chars": sum(len(p["text"]) for p in passages),
        "labels": sum(len(p["labels"]) for p in passages),
        "overall": _scores(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        "per_kind": {k: _scores(tp[k], fp[k], fn[k]) for k in kinds},
        "false_positives": false_positives,
        "false_negatives": false_negatives,
    }


def _print_table(split: str, result: dict) -> None:
    print(f"split {split}: {result['cases']} cases, {result['passages']} passages, "
          f"{result['chars']} characters, {result['labels']} labels")
    print(f"{'kind':<12} {'n':>4} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}")
    rows = list(result["per_kind"].items()) + [("overall", result["overall"])]
    for kind, s in rows:
        print(f"{kind:<12} {s['tp'] + s['fn']:>4} {s['tp']:>4} {s['fp']:>4} {s['fn']:>4} "
              f"{s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f}")


def main(argv: list[str] | None = None) -> int:
    """Print the figures (with --verbose also every error)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", type=Path, default=DEFAULT_FIXTURE)
    parser.add_argument("--split", choices=("all",) + SPLITS, default="all")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every error")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    result = evaluate(load(args.fixture, args.split))
    if args.json:
        figures = {k: v for k, v in result.items() if not k.startswith("false_")}
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    _print_table(args.split, result)
    if args.verbose:
        for name in ("false_positives", "false_negatives"):
            print(f"\n{name.replace('_', ' ')} ({len(result[name])}):")
            for pid, kind, text, context in result[name]:
                print(f"  {pid} {kind:<11} {text}    …{context}…")
    return 0


if __name__ == "__main__":
    sys.exit(main())
