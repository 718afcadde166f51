"""Embedded engine vs a real Elasticsearch/OpenSearch on the same documents: totals and top-10 overlap.

Usage (a seeded instance, and an engine: `python tests/engine/runner.py /tmp/engine`):
    INSTANCE_PATH=instance .venv/bin/python bench/engine_parity.py --url http://127.0.0.1:9201
Indexes every published case into the engine under the prefix `parity-bench`, then runs the
queries of bench/queries.txt on both engines.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services import index_sync  # noqa: E402
from app.services import search as search_service  # noqa: E402
from indexer.backends.base import SearchRequest  # noqa: E402
from indexer.query import parse_query  # noqa: E402


def run(backend, q: str):
    return backend.search(SearchRequest(query=parse_query(q), per_page=10, with_facets=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:9201")
    parser.add_argument("--backend", default="opensearch", choices=["opensearch", "elasticsearch"])
    parser.add_argument("--queries", default=str(ROOT / "bench" / "queries.txt"))
    args = parser.parse_args()
    queries = [q for q in Path(args.queries).read_text(encoding="utf-8").splitlines() if q.strip()]
    app = create_app()
    with app.app_context():
        embedded = search_service.backend()
        engine = search_service.make_backend(app.config | {
            "SEARCH_BACKEND": args.backend, "SEARCH_URL": args.url, "SEARCH_INDEX_PREFIX": "parity-bench"})
        engine.rebuild(index_sync.listed_documents(db.session))
        overlaps, mismatched = [], []
        for q in queries:
            ours, theirs = run(embedded, q), run(engine, q)
            if ours.total != theirs.total:
                mismatched.append((q, ours.total, theirs.total))
            if ours.ids:
                overlaps.append(len(set(ours.ids) & set(theirs.ids)) / len(ours.ids))
    print(f"documents: embedded {embedded.count()}, engine {engine.count()}")
    print(f"queries: {len(queries)}; totals differ on {len(mismatched)}: {mismatched[:10]}")
    print(f"top-10 overlap over {len(overlaps)} queries with hits: mean {sum(overlaps) / len(overlaps):.3f}, "
          f"min {min(overlaps):.2f}, ≥0.8 on {sum(o >= 0.8 for o in overlaps)}")


if __name__ == "__main__":
    main()
