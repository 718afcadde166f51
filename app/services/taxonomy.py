"""Taxonomies as data: load (seed or admin extension), list, look up."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.caches import app_snapshot, forget_snapshot
from app.extensions import db
from app.models import SCHEMES, TaxonomyTerm
from indexer.analysis import normalize_query, query_tokens

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
    forget_snapshot(SNAPSHOT)
    return created, updated


def all_terms() -> list[TaxonomyTerm]:
    """Every term, by scheme and position."""
    return list(db.session.scalars(select(TaxonomyTerm).order_by(TaxonomyTerm.scheme, TaxonomyTerm.position)))


def term_names(scheme: str) -> set[str]:
    """Names of one scheme's terms (valid filter values)."""
    return set(db.session.scalars(select(TaxonomyTerm.name).filter_by(scheme=scheme)))


SNAPSHOT = "taxonomy"
_DESCRIPTION_SPLIT = re.compile(r"[、，,；;。]")
SNAPSHOT_SECONDS = 10  # another worker shows a renamed term within this long


@dataclass(frozen=True)
class TaxonomySnapshot:
    """What every search needs of the taxonomy, read once per SNAPSHOT_SECONDS per worker."""

    stamp: int  # changes whenever a code, name or keyword does (part of cached answers' keys)
    names: dict[tuple[str, str], str]  # (scheme, code) → name
    codes: dict[tuple[str, str], str]  # (scheme, name) → code
    topic_words: dict[str, tuple[str, ...]]  # a hot issue's normalised name → the tokens of its keywords
    # A keyword or description phrase of a hot issue (normalised) → the issues' normalised names:
    # the words a reader may type for an issue (医疗纠纷 → 医疗卫生) even where no case uses them.
    issue_phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)


def snapshot() -> TaxonomySnapshot:
    """The taxonomy as search reads it (cached per app for a few seconds)."""
    return app_snapshot(SNAPSHOT, SNAPSHOT_SECONDS, _build_snapshot)


def _build_snapshot() -> TaxonomySnapshot:
    terms = all_terms()
    topic_words = {}
    issue_phrases: dict[str, list[str]] = {}
    for term in terms:
        if term.scheme == "hot_issue":
            name = normalize_query(term.name)
            keywords = (term.rules or {}).get("keywords", [])
            words = [w for keyword in keywords for w in query_tokens(normalize_query(keyword))]
            topic_words[name] = tuple(dict.fromkeys(words))
            for phrase in [*keywords, *_DESCRIPTION_SPLIT.split(term.description or "")]:
                phrase = normalize_query(phrase.strip())
                if len(phrase) >= 2 and name not in issue_phrases.setdefault(phrase, []):
                    issue_phrases[phrase].append(name)
    stamp = hash(tuple((t.scheme, t.code, t.name, t.description, tuple((t.rules or {}).get("keywords", [])))
                       for t in terms))
    return TaxonomySnapshot(stamp=stamp, names={(t.scheme, t.code): t.name for t in terms},
                            codes={(t.scheme, t.name): t.code for t in terms}, topic_words=topic_words,
                            issue_phrases={p: tuple(names) for p, names in issue_phrases.items()})
