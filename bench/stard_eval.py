"""Article search on the STARD lay questions: Recall@10/50/100, MRR@10, against plain BM25.

Run by hand on an instance whose laws are imported (and article index built):
    INSTANCE_PATH=… .venv/bin/python bench/stard_eval.py [--stard ../shared/eval/stard/train.jsonl]
    INSTANCE_PATH=… .venv/bin/python bench/stard_eval.py --folds 5
Only questions all of whose relevant articles exist in our law set (current versions) are kept.
Baseline: FTS5 BM25 over the same articles with Python jieba search-mode tokens, default
dictionary, no legal dictionary, no stop words, no synonyms.

The product indexes these very training questions with their articles (indexer/data/stard_lay.jsonl),
so each question is answered leave-one-out by default: its own lay question (same STARD query id)
does not vote, every other one does — the product's ranking for a question it has never seen.
--in-sample lets it vote too (leakage: the figure says nothing, shown only to compare).
--folds K is K-fold cross-validation (stricter: each fold answered by an index built the product's
way with the lay questions of the other K-1 folds only). --no-lay: an index without any lay question.
"""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Law, LawArticle  # noqa: E402
from app.services import laws as laws_service  # noqa: E402
from app.services.query_understanding import cited_article_ids  # noqa: E402
from legaltext.numerals import NUMERAL, to_int  # noqa: E402

DEFAULT_STARD = ROOT.parent / "shared" / "eval" / "stard" / "train.jsonl"
_NAME = re.compile(rf"^(.*?)第({NUMERAL})条(?:之({NUMERAL}))?$")


def article_ids() -> dict[tuple[str, int, int], int]:
    """(title, number, sub) → id for every article of a current law version."""
    rows = db.session.execute(select(Law.title, LawArticle.number, LawArticle.sub, LawArticle.id)
                              .join(LawArticle).where(Law.is_current)).all()
    return {(t, n, s): i for t, n, s, i in rows}


def usable_questions(path: Path, ids: dict) -> tuple[list[tuple[str, set[int], int]], int]:
    """Questions whose relevant articles all exist here, with their article ids and query id; and the total."""
    kept, total = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        total += 1
        wanted = set()
        for rel in item["relevant"]:
            match = _NAME.match(rel["name"].strip())
            key = match and (match.group(1), to_int(match.group(2)), to_int(match.group(3)) if match.group(3) else 0)
            if not key or key not in ids:
                break
            wanted.add(ids[key])
        else:
            kept.append((item["question"], wanted, item["query_id"]))
    return kept, total


def fts_quote(token: str) -> str:
    """One token as an FTS5 string (the baseline's own in-memory index)."""
    return '"' + token.replace('"', '""') + '"'


def baseline_index():
    """In-memory FTS5 over the same articles, plain jieba search-mode tokens, default dictionary."""
    import jieba

    jieba.setLogLevel(60)
    seg = jieba.Tokenizer()
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE fts USING fts5(body, tokenize='unicode61 remove_diacritics 0')")
    rows = db.session.execute(select(LawArticle.id, LawArticle.paragraphs).join(Law).where(Law.is_current))
    conn.executemany("INSERT INTO fts (rowid, body) VALUES (?, ?)",
                     ((i, " ".join(seg.lcut_for_search("\n".join(p)))) for i, p in rows))
    return conn, seg


def baseline_search(index, question: str, limit: int) -> list[int]:
    """Plain BM25: every jieba search-mode token of the question, OR-ed."""
    conn, seg = index
    tokens = {t for t in seg.lcut_for_search(question) if re.search(r"\w", t)}
    if not tokens:
        return []
    match = " OR ".join(fts_quote(t) for t in tokens)
    return [r[0] for r in conn.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT ?",
                                       (match, limit))]


def metrics(ranked: list[list[int]], wanted: list[set[int]]) -> dict[str, float]:
    """Mean Recall@10, @50, @100 and MRR@10."""
    def recall(k):
        return sum(len(set(r[:k]) & w) / len(w) for r, w in zip(ranked, wanted)) / len(wanted)
    mrr = sum(next((1 / (i + 1) for i, a in enumerate(r[:10]) if a in w), 0.0)
              for r, w in zip(ranked, wanted)) / len(wanted)
    return {"recall@10": round(recall(10), 3), "recall@50": round(recall(50), 3),
            "recall@100": round(recall(100), 3), "mrr@10": round(mrr, 3)}


def product_search(index, question: str, ignore: tuple[int, ...] = ()) -> list[int]:
    """The 问法条 ranking (laws.ranked_article_ids: cited articles first, then by score with the votes of
    matching cases) on `index`; the lay questions with `ignore`d ids do not vote."""
    return index.search(question, 100, promote=cited_article_ids(question), ignore=ignore,
                        extra=laws_service.case_votes(question))


def cross_validated(questions: list[tuple[str, set[int], int]], folds: int, lay: bool) -> list[list[int]]:
    """Rankings for `questions`, each from an index holding only the lay questions of the other folds."""
    from indexer.articles import ArticleIndex, lay_questions

    ranked: dict[int, list[int]] = {}
    for fold in range(folds if lay else 1):
        train = [q for q in lay_questions() if q.id % folds != fold] if lay else []
        with tempfile.TemporaryDirectory() as tmp:
            index = ArticleIndex(tmp)
            laws_service.rebuild_article_index(index, questions=train)
            for position, (question, _, query_id) in enumerate(questions):
                if not lay or query_id % folds == fold:
                    ranked[position] = product_search(index, question)
            index.close()
    return [ranked[i] for i in range(len(questions))]


def main() -> None:
    """Evaluate both rankers and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stard", type=Path, default=DEFAULT_STARD)
    parser.add_argument("--folds", type=int, default=0, help="K-fold cross-validation of the lay questions")
    parser.add_argument("--no-lay", action="store_true", help="an index without lay questions")
    parser.add_argument("--in-sample", action="store_true", help="let each question vote for itself (leakage)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    with create_app().app_context():
        questions, total = usable_questions(args.stard, article_ids())
        wanted = [w for _, w, _ in questions]
        if args.folds or args.no_lay:
            label = "ours, no lay questions" if args.no_lay else f"ours, {args.folds}-fold cross-validated"
            ours = cross_validated(questions, args.folds or 1, lay=not args.no_lay)
        elif args.in_sample:
            label = "ours, in-sample (each question votes for its own articles: leakage)"
            ours = [product_search(laws_service.article_index(), q) for q, _, _ in questions]
        else:
            label = "ours, leave-one-out (a question's own lay pair does not vote)"
            ours = [product_search(laws_service.article_index(), q, (i,)) for q, _, i in questions]
        report = {label: metrics(ours, wanted)}
        if not args.no_baseline:
            index = baseline_index()
            report["plain_bm25"] = metrics([baseline_search(index, q, 100) for q, _, _ in questions], wanted)
    print(f"questions: {len(questions)} of {total} have every relevant article in our law set")
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
