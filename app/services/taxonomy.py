"""Taxonomies as data: load (seed or admin extension), list, look up."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import SCHEMES, TaxonomyTerm

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "taxonomies.json"


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be loaded (Chinese message)."""


def load_terms(path: Path = SEED_FILE) -> tuple[int, int]:
    """Create or update terms from a JSON file; return (created, updated). Commits."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    created = updated = 0
    for scheme, items in data.items():
        if scheme.startswith("_"):
            continue
        if scheme not in SCHEMES:
            raise TaxonomyError(f"未知的分类体系：{scheme}（应为 {'、'.join(SCHEMES)}）")
        for position, item in enumerate(items):
            term = db.session.scalar(
                select(TaxonomyTerm).filter_by(scheme=scheme, code=item["code"])
            )
            if term is None:
                term = TaxonomyTerm(scheme=scheme, code=item["code"])
                db.session.add(term)
                created += 1
            else:
                updated += 1
            term.name = item["name"]
            term.description = item.get("description", "")
            term.position = item.get("position", position)
            term.rules = item.get("rules", {})
    db.session.commit()
    return created, updated


def all_terms() -> list[TaxonomyTerm]:
    """Every term, by scheme and position."""
    return list(db.session.scalars(select(TaxonomyTerm).order_by(TaxonomyTerm.scheme, TaxonomyTerm.position)))


def term_names(scheme: str) -> set[str]:
    """Names of one scheme's terms (valid filter values)."""
    return set(db.session.scalars(select(TaxonomyTerm.name).filter_by(scheme=scheme)))
