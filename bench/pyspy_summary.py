"""Summarise a py-spy raw (collapsed stacks) profile: inclusive share of chosen functions.

    /tmp/pyspy/bin/py-spy record -r 50 --format raw -o prof.txt -- \
        .venv/bin/python .venv/bin/flask --app wsgi cases import F --quiet
    .venv/bin/python bench/pyspy_summary.py prof.txt
    .venv/bin/python bench/pyspy_summary.py --search prof.txt    # stages of a search request instead
"""
from __future__ import annotations

import re
import sys
from collections import Counter

# (label, regex on one frame "function (file:line)") — the stages of the import path
STAGES = [
    ("parse + validate line (marshmallow)", r"^(\w+\.)?parse_line "),
    ("upsert cases (ORM objects, tags, hash)", r"^(\w+\.)?upsert "),
    ("  auto-tagging rules", r"^(\w+\.)?apply_auto_tags "),
    ("  record hash (schema dump + json)", r"^(\w+\.)?record_hash "),
    ("flush + commit to the database", r"^(\w+\.)?(flush|commit) \(sqlalchemy/orm/(session|scoping)\.py"),
    ("drain outbox into the index (total)", r"^(\w+\.)?drain "),
    ("  load_documents (SELECT + lazy loads + build_document)", r"^(\w+\.)?load_documents "),
    ("  build_document (analysis)", r"^(\w+\.)?build_document "),
    ("    index_text (normalize + jieba + sub-words)", r"^(\w+\.)?index_text "),
    ("      normalize", r"^(\w+\.)?normalize "),
    ("      jieba cut", r"^(\w+\.)?cut "),
    ("    facet_values (citations, tags)", r"^(\w+\.)?facet_values "),
    ("  index write (index_many)", r"^(\w+\.)?index_many "),
    ("  sub-word expansion (_expand/_subwords)", r"^(\w+\.)?_expand "),
    ("  listed_documents (reindex: SELECT + build_document)", r"^(\w+\.)?listed_documents "),
    ("  ORM lazy loads (sections, tags, issuer)", r"^(\w+\.)?_load_for_state "),
    ("search reindex: rebuild (total)", r"^(\w+\.)?rebuild "),
]
# the stages of GET /api/v1/search (app/api → app/services/search → backend, database, highlights)
SEARCH_STAGES = [
    ("request handled by the app (Flask dispatch and everything below)", r"^(\w+\.)?wsgi_app \(flask/app\.py"),
    ("  search service (app/services/search.py search)", r"^(\w+\.)?search \(app/services/search\.py"),
    ("    query parsing (parse_query)", r"^(\w+\.)?parse_query "),
    ("    hot-issue words (topic_words: taxonomy)", r"^(\w+\.)?topic_words "),
    ("    engine (backend.search)", r"^\w+Backend\.search \(indexer/backends/"),
    ("    loading the page's cases (SELECT by id)", r"^search\.<locals>\.<dictcomp> \(app/services/search\.py"),
    ("    building hits (_hit)", r"^(\w+\.)?_hit "),
    ("      snippets (indexer/highlight.py snippets)", r"^(\w+\.)?snippets "),
    ("      title highlight", r"^(\w+\.)?highlight_title "),
    ("      tags of the hit (tag_list)", r"^(\w+\.)?tag_list "),
    ("      ORM lazy loads inside hits (sections, tags, issuer)", r"_load_for_state "),
    ("  dumping the response (marshmallow dump)", r"^(\w+\.)?dump \(marshmallow/schema\.py"),
    ("  JSON encoding (jsonify)", r"^(\w+\.)?(jsonify|dumps|response) \((flask|json)/"),
    ("  argument schema (load)", r"^(\w+\.)?load \(marshmallow/schema\.py"),
    ("SQLAlchemy (anywhere)", r"\(sqlalchemy/"),
]


def main(path: str, stages: list | None = None) -> int:
    stages = stages or STAGES
    total = 0
    hits: Counter = Counter()
    leaf: Counter = Counter()
    with open(path, encoding="utf-8") as handle:
        lines = handle.readlines()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if any(f.startswith("TMonitor.run ") for f in frames):
            continue  # tqdm's monitor thread, asleep
        total += n
        for label, pattern in stages:
            if any(re.search(pattern, f) for f in frames):
                hits[label] += n
        leaf[re.sub(r" \(.*", "", frames[-1]) + " " + (re.search(r"\(([^:)]*)", frames[-1]) or [None, ""])[1]] += n
    print(f"{total} samples")
    for label, _ in stages:
        print(f"{100 * hits[label] / total:5.1f}%  {label}")
    print("\ntop leaf frames (self time):")
    for name, n in leaf.most_common(15):
        print(f"{100 * n / total:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--search":
        sys.exit(main(sys.argv[2], SEARCH_STAGES))
    sys.exit(main(sys.argv[1]))
