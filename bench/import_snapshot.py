"""What an import stored, in a form two instances can be compared by (hand-run, never by tests).

    .venv/bin/python bench/import_snapshot.py INSTANCE_DIR OUT.json.gz
    .venv/bin/python bench/import_snapshot.py --compare A.json.gz B.json.gz

Reads the instance's SQLite database and its tantivy index (stdlib sqlite3 + tantivy only) and
writes, keyed by source_id (row ids may differ between two imports): every case column but the
timestamps, its issuer, canonical case, sections, tags (term code, auto, evidence), citations
(with the article they link to), the import's audit events (actor, action, detail), the outbox
backlog, and from the index per case its date key, stored similar-case terms and the facet
values. --compare prints the first differences and exits 1 if there are any. Used to check that
a faster import stores exactly what the old one did (docs/benchmarks.md, import section).
"""
from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rows(con: sqlite3.Connection, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur]


def database(path: Path) -> dict:
    """The import's results in the database, keyed by source_id."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    cases = {r["id"]: r for r in _rows(con, "SELECT * FROM cases")}
    source = {i: r["source_id"] for i, r in cases.items()}
    issuers = {r["id"]: [r["name"], r["kind"]] for r in _rows(con, "SELECT * FROM issuers")}
    terms = {r["id"]: f"{r['scheme']}/{r['code']}" for r in _rows(con, "SELECT * FROM taxonomy_terms")}
    articles = {r["id"]: [r["law_title"], r["number"], r["sub"], r["version_date"]] for r in _rows(con, (
        "SELECT a.id, l.title AS law_title, a.number, a.sub, l.version_date "
        "FROM law_articles a JOIN laws l ON l.id = a.law_id"))}
    out: dict = {}
    for row in cases.values():
        item = {k: v for k, v in row.items() if k not in ("id", "created_at", "updated_at", "issuer_id", "canonical_id")}
        item["issuer"] = issuers[row["issuer_id"]]
        item["canonical"] = source.get(row["canonical_id"])
        item.update(sections=[], tags=[], citations=[], audit=[])
        out[row["source_id"]] = item
    for r in _rows(con, "SELECT * FROM case_sections ORDER BY case_id, position"):
        out[source[r["case_id"]]]["sections"].append([r["position"], r["kind"], r["heading"], r["text"]])
    for r in _rows(con, "SELECT * FROM case_tags"):
        out[source[r["case_id"]]]["tags"].append([terms[r["term_id"]], bool(r["auto"]), r["evidence"]])
    for r in _rows(con, "SELECT * FROM case_citations ORDER BY case_id, position"):
        out[source[r["case_id"]]]["citations"].append(
            [r["position"], r["raw"], r["law_title"], r["number"], r["sub"], r["paragraph"], r["item"], r["version"],
             articles.get(r["article_id"])])
    for item in out.values():
        item["tags"].sort()
    for r in _rows(con, "SELECT * FROM audit_events WHERE case_id IS NOT NULL ORDER BY id"):
        if r["case_id"] in source:
            out[source[r["case_id"]]]["audit"].append([r["actor_name"], r["action"], json.loads(r["detail"])])
    backlog = con.execute("SELECT count(*) FROM index_queue").fetchone()[0]
    return {"cases": out, "outbox_backlog": backlog, "source": source}


def index(directory: Path, source: dict[int, str]) -> dict:
    """Per case in the live index: date key, similar-case terms, facet values."""
    import tantivy

    from indexer.backends.tantivy import _DAY_SHIFT, FACETS, FILTER_ONLY, _register, facet_field

    name = (directory / "CURRENT").read_text().strip()
    idx = _register(tantivy.Index.open(str(directory / name)))
    idx.reload()
    searcher = idx.searcher()
    hits = searcher.search(tantivy.Query.all_query(), max(1, searcher.num_docs), count=False).hits
    addresses = [address for _, address in hits]
    keys = searcher.fast_field_values("date_key", addresses)
    docs: dict[str, dict] = {}
    by_address = {(a.segment_ord, a.doc): source.get(k % _DAY_SHIFT, f"#{k % _DAY_SHIFT}") for a, k in zip(addresses, keys)}
    for address, date_key in zip(addresses, keys):
        stored = searcher.doc(address)
        similar = stored.get_first("similar")
        docs[source.get(date_key % _DAY_SHIFT, f"#{date_key % _DAY_SHIFT}")] = {
            "day": date_key // _DAY_SHIFT, "similar": bytes(similar).decode() if similar else ""}
    for facet in FACETS + FILTER_ONLY:  # values per document, through term queries on each value
        values: dict[str, set] = defaultdict(set)
        field = facet_field(facet)
        if facet in FACETS:
            answer = searcher.aggregate(tantivy.Query.all_query(),
                                        {"v": {"terms": {"field": field, "size": 100000, "segment_size": 100000}}})
            for bucket in answer["v"]["buckets"]:
                query = tantivy.Query.term_query(idx.schema, field, bucket["key"])
                for _, address in searcher.search(query, max(1, bucket["doc_count"]), count=False).hits:
                    values[by_address[(address.segment_ord, address.doc)]].add(bucket["key"])
        for doc_key, found in values.items():
            docs.setdefault(doc_key, {})[facet] = sorted(found)
    return {"documents": searcher.num_docs, "docs": docs}


def snapshot(instance: Path) -> dict:
    """Database and index of one instance."""
    data = database(instance / "yianshifa.sqlite3")
    source = data.pop("source")
    data["index"] = index(instance / "search-index", source)
    return data


def compare(a: dict, b: dict, limit: int = 20) -> list[str]:
    """Human-readable differences between two snapshots (at most `limit`)."""
    found: list[str] = []

    def walk(x, y, path: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y), key=str):
                if k not in x or k not in y:
                    found.append(f"{path}/{k}: only in {'B' if k not in x else 'A'}")
                else:
                    walk(x[k], y[k], f"{path}/{k}")
        elif x != y:
            found.append(f"{path}: {json.dumps(x, ensure_ascii=False)[:300]} != {json.dumps(y, ensure_ascii=False)[:300]}")

    walk(a, b, "")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs=2, type=Path)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args(argv)
    if args.compare:
        a, b = (json.loads(gzip.decompress(p.read_bytes())) for p in args.paths)
        differences = compare(a, b)
        for line in differences:
            print(line)
        print(f"{len(a['cases'])} / {len(b['cases'])} cases, {a['index']['documents']} / {b['index']['documents']} "
              f"documents: {'identical' if not differences else 'DIFFERENT'}")
        return 1 if differences else 0
    data = snapshot(args.paths[0])
    args.paths[1].write_bytes(gzip.compress(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()))
    print(f"{len(data['cases'])} cases, {data['index']['documents']} documents → {args.paths[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
