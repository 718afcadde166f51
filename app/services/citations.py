"""Law names cited in case text (《…》), normalised, and the department each belongs to.

A first, name-level view of citations: enough for law-topic tags and the "cited law"
facet. Article-level citation parsing (法条联动) builds on it.
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path

LAW_DEPARTMENTS = Path(__file__).resolve().parent.parent / "data" / "law_departments.json"
_CITED = re.compile(r"《(?:中华人民共和国)?([^《》\n]{2,60}?)》")
_REVISION_NOTE = re.compile(r"[（(]\d{4}年?[^）)]*[）)]$")


@functools.lru_cache(maxsize=1)
def law_departments() -> dict[str, str]:
    """Law short name (without 中华人民共和国) → legal department, for the national law set."""
    return json.loads(LAW_DEPARTMENTS.read_text(encoding="utf-8"))


def base_law_name(name: str) -> str:
    """刑法修正案（九） → 刑法; 公司法（2018年修正） → 公司法."""
    name = name.strip()
    if name.startswith("刑法修正案"):
        return "刑法"
    return _REVISION_NOTE.sub("", name)


def cited_laws(text: str) -> set[str]:
    """Normalised names of every 《…》 title in `text` (laws, regulations, other documents)."""
    return {base_law_name(m) for m in _CITED.findall(text)}


def known_laws(names: set[str]) -> list[str]:
    """The names that are laws of our law set, sorted."""
    departments = law_departments()
    return sorted(n for n in names if n in departments)
