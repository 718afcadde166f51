"""Precision of the automatic tag suggestions against hand judgments.

Reads the tags the pipeline actually stored (table case_tags, auto = 1, joined to
taxonomy_terms and cases) and the hand-judged (case, tag) pairs in
tests/fixtures/tag_judgments.jsonl, then reports:

  * precision over the judged pairs that are still suggested — overall, per scheme
    and per tag (tags with fewer than --min-n judged pairs are listed but marked);
  * judged-wrong pairs that are still suggested (with the stored evidence);
  * judged pairs that are no longer suggested (a rule change removed them: good if
    they were wrong, a coverage loss if they were right);
  * coverage: cases with at least one hot-issue tag, and tag counts per term.

Pairs suggested now but never judged are not counted: after a rule change that
adds many new pairs, judge a fresh sample before trusting the figure.

Build the database with the real pipeline first (about 10 s), from the repo root:

  export INSTANCE_PATH=/tmp/tagwork SEARCH_SYNC_ON_COMMIT=0
  rm -rf /tmp/tagwork && .venv/bin/flask --app wsgi db upgrade
  .venv/bin/flask --app wsgi taxonomy load
  .venv/bin/flask --app wsgi cases import seed_cases/*.jsonl --quiet

then run (stdlib + sqlite3 only):

  .venv/bin/python bench/tag_precision.py
  .venv/bin/python bench/tag_precision.py --db /tmp/tagwork/yianshifa.sqlite3 --json
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = Path("/tmp/tagwork/yianshifa.sqlite3")
DEFAULT_JUDGMENTS = REPO_ROOT / "tests" / "fixtures" / "tag_judgments.jsonl"
SCHEMES = ("hot_issue", "law_topic")


def load_judgments(path: Path) -> list[dict]:
    """The judged pairs, one JSON object per line (blank lines skipped)."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            missing = {"source_id", "scheme", "tag", "correct"} - row.keys()
            if missing:
                raise ValueError(f"{path}:{number}: missing {sorted(missing)}")
            rows.append(row)
    return rows


def load_suggestions(db: Path) -> dict[tuple[str, str, str], str]:
    """(source_id, scheme, tag name) → evidence, for every automatic tag in the DB."""
    if not db.exists():
        raise FileNotFoundError(f"no database at {db} (build it first, see --help)")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            """SELECT c.source_id, t.scheme, t.name, ct.evidence
                 FROM case_tags ct
                 JOIN taxonomy_terms t ON t.id = ct.term_id
                 JOIN cases c ON c.id = ct.case_id
                WHERE ct.auto = 1"""
        ).fetchall()
        total_cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        con.close()
    suggestions = {(sid, scheme, name): evidence for sid, scheme, name, evidence in rows}
    suggestions[("__total_cases__", "", "")] = str(total_cases)
    return suggestions


def ratio(good: int, n: int) -> float | None:
    """good / n, or None when nothing was judged."""
    return round(good / n, 3) if n else None


def evaluate(judgments: list[dict], suggestions: dict) -> dict:
    """All figures as one JSON-able dict."""
    total_cases = int(suggestions.pop(("__total_cases__", "", "")))
    still, gone = [], []
    for row in judgments:
        key = (row["source_id"], row["scheme"], row["tag"])
        if key in suggestions:
            still.append(dict(row, evidence=suggestions[key]))
        else:
            gone.append(row)

    def summary(rows: list[dict]) -> dict:
        good = sum(1 for r in rows if r["correct"])
        return {"n": len(rows), "correct": good, "precision": ratio(good, len(rows))}

    per_tag = defaultdict(list)
    for row in still:
        per_tag[(row["scheme"], row["tag"])].append(row)

    tag_counts = Counter((scheme, name) for (_, scheme, name) in suggestions)
    hot_cases = {sid for (sid, scheme, _) in suggestions if scheme == "hot_issue"}
    return {
        "judged_pairs": len(judgments),
        "still_suggested": len(still),
        "overall": summary(still),
        "per_scheme": {s: summary([r for r in still if r["scheme"] == s]) for s in SCHEMES},
        "per_tag": {f"{scheme}/{tag}": summary(rows) for (scheme, tag), rows in sorted(per_tag.items())},
        "wrong_still_suggested": [
            {k: r[k] for k in ("source_id", "scheme", "tag", "evidence", "note")}
            for r in still if not r["correct"]
        ],
        "no_longer_suggested": [
            {k: r.get(k) for k in ("source_id", "scheme", "tag", "correct", "note")} for r in gone
        ],
        "coverage": {
            "cases": total_cases,
            "cases_with_hot_issue": len(hot_cases),
            "share_with_hot_issue": ratio(len(hot_cases), total_cases),
            "tag_counts": {
                f"{scheme}/{name}": count
                for (scheme, name), count in sorted(tag_counts.items(), key=lambda kv: (kv[0][0], -kv[1]))
            },
        },
    }


def fmt(summary: dict) -> str:
    """'0.912 (n=91)' style."""
    p = summary["precision"]
    return f"{p:.3f} (n={summary['n']})" if p is not None else f"- (n={summary['n']})"


def print_report(result: dict, min_n: int) -> None:
    """Human-readable report on stdout."""
    print(f"judged pairs: {result['judged_pairs']}, still suggested: {result['still_suggested']}")
    print(f"precision overall: {fmt(result['overall'])}")
    for scheme, summary in result["per_scheme"].items():
        print(f"  {scheme}: {fmt(summary)}")
    print("per tag:")
    for tag, summary in result["per_tag"].items():
        mark = "" if summary["n"] >= min_n else f"  (n<{min_n})"
        print(f"  {tag}: {fmt(summary)}{mark}")
    print(f"judged wrong, still suggested ({len(result['wrong_still_suggested'])}):")
    for r in result["wrong_still_suggested"]:
        print(f"  {r['source_id']} {r['scheme']}/{r['tag']}  [{r['evidence']}]  {r['note']}")
    print(f"judged, no longer suggested ({len(result['no_longer_suggested'])}):")
    for r in result["no_longer_suggested"]:
        verdict = "was right" if r["correct"] else "was wrong"
        print(f"  {r['source_id']} {r['scheme']}/{r['tag']}  ({verdict})  {r['note']}")
    cov = result["coverage"]
    print(f"coverage: {cov['cases_with_hot_issue']}/{cov['cases']} cases have a hot-issue tag "
          f"({cov['share_with_hot_issue']:.1%})")
    for tag, count in cov["tag_counts"].items():
        print(f"  {tag}: {count}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"SQLite file (default {DEFAULT_DB})")
    parser.add_argument("--judgments", type=Path, default=DEFAULT_JUDGMENTS,
                        help="judged pairs, JSON Lines (default tests/fixtures/tag_judgments.jsonl)")
    parser.add_argument("--min-n", type=int, default=5, help="mark per-tag figures with fewer pairs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        result = evaluate(load_judgments(args.judgments), load_suggestions(args.db))
    except (OSError, ValueError, sqlite3.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print_report(result, args.min_n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
