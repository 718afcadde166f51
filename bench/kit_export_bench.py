"""Export time of a 10-case kit per format (target ≤ 2 s each on the project machine).

Run by hand against an instance that holds the seed cases (bash scripts/run, or `flask seed`):
    INSTANCE_PATH=instance .venv/bin/python bench/kit_export_bench.py [--repeat 5] [--cases 10]
The kit takes the most-cited 食品安全 cases plus cases citing the repealed 合同法 (so the law
notices and the 民法典 counterparts are part of the work). Prints building the kit (database,
law look-ups, QR codes) and rendering each format separately, median and max seconds.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Case, CaseCitation, CaseTag, TaxonomyTerm


def kit_source_ids(count: int) -> list[str]:
    """`count` published cases: 食品安全 first, then cases citing 合同法."""
    term = db.session.scalar(select(TaxonomyTerm).filter_by(scheme="hot_issue", code="food-safety"))
    food = db.session.scalars(select(Case.source_id).join(CaseTag).where(CaseTag.term_id == term.id, Case.is_public)
                              .order_by(Case.id).limit(count - 2)).all()
    contract = db.session.scalars(select(Case.source_id).join(CaseCitation, CaseCitation.case_id == Case.id).where(
        CaseCitation.law_title == "中华人民共和国合同法", Case.is_public).distinct().limit(2)).all()
    return [*food, *contract][:count]


def main() -> None:
    """Build and render the kit `repeat` times; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cases", type=int, default=10)
    options = parser.parse_args()
    app = create_app()
    with app.test_request_context(base_url="https://pufa.example.gov.cn/"):
        from app.services import kits
        from app.services.exports import render

        ids = kit_source_ids(options.cases)
        timings: dict[str, list[float]] = {"kit": [], "docx": [], "pptx": [], "pdf": []}
        sizes: dict[str, int] = {}
        for _ in range(options.repeat + 1):  # the first round warms caches and is not counted
            start = time.perf_counter()
            kit = kits.for_cases(ids, "食品安全进乡村", "乡村")
            timings["kit"].append(time.perf_counter() - start)
            for fmt in ("docx", "pptx", "pdf"):
                start = time.perf_counter()
                sizes[fmt] = len(render(kit, fmt))
                timings[fmt].append(time.perf_counter() - start)
        print(f"{len(kit.cases)} cases, {sum(len(c.articles) for c in kit.cases)} cited articles, "
              f"{len(kit.notices)} law notices; {options.repeat} rounds after one warm-up")
        for name, values in timings.items():
            values = values[1:]
            size = f"  {sizes[name] / 1024:.0f} KiB" if name in sizes else ""
            print(f"{name:5} median {statistics.median(values):.3f} s  max {max(values):.3f} s{size}")


if __name__ == "__main__":
    main()
