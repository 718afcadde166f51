"""One case, one hit: find the same case published more than once and choose its canonical version.

The same judgment reaches the library several times — a guiding case (指导案例23号) that was first a
公报 case, a court's typical case reprinting a guiding case, a case both the SPC and the SPP issued.
Two publications are the same case when they carry the same case number (案号), or when their
titles name the same case (the same title, or the same parties at the same court) and their texts
overlap (shared 8-character shingles cover ≥ 25 % of the shorter text; unrelated cases in the seed
library share at most 7 %). The most authoritative version is canonical: a guiding case of the SPC,
then of the SPP, then a 公报 case, then any other; the others point at it (`canonical_id`), are left
out of search, facets, topic pages and citing lists, and are linked from its page (另见).
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import or_, select, update
from sqlalchemy.orm import lazyload

from app.extensions import db
from app.models import Case

SHINGLE = 8
MIN_OVERLAP = 0.25
_TEXT_KINDS = ("facts", "holding", "outcome", "reasoning")
_TITLE_NOISE = re.compile(r"[\s“”\"《》（）()、，,·：:；;]")
_CASE_SUFFIX = re.compile(r"(?:一案|案)$")
_COMPANY_FORM = re.compile(r"有限责任公司|股份有限公司|有限公司")
_PARTIES = re.compile(r"^(.+?)诉(.+?)(?:等)?(?:[^诉]{2,12}纠纷|[^诉]{2,12}案)")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_GUIDING_SPC = re.compile(r"^指导案例\s*\d+\s*号$")
_GUIDING_SPP = re.compile(r"^检例第\s*\d+\s*号$")


@dataclass
class DuplicateGroup:
    """Publications of one case: the canonical one first, then the others."""

    canonical: Case
    others: list[Case] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def case_number_key(number: str | None) -> str | None:
    """（2012）江宁开民初字第646号 and (2012)江宁开民初字第646号 are the same number."""
    if not number:
        return None
    text = number.replace("（", "(").replace("）", ")").translate(_FULL_WIDTH_DIGITS)
    text = re.sub(r"\s+", "", text)
    return text if re.search(r"\d", text) else None


def title_key(title: str) -> str:
    """A title without spacing, punctuation, the 案 suffix or the company form."""
    return _COMPANY_FORM.sub("公司", _CASE_SUFFIX.sub("", _TITLE_NOISE.sub("", title)))


def parties_key(case: Case) -> str | None:
    """The parties a 某诉某… title names, with the court: the same dispute under two titles."""
    match = _PARTIES.match(title_key(case.title))
    if not match or not case.court:
        return None
    return f"{match.group(1)}|{match.group(2)}|{case.court}"


def authority(case: Case) -> tuple:
    """Sort key: the most authoritative publication first (then the earliest, then the first stored)."""
    number = (case.document_number or "").strip()
    source = case.source_name or ""
    if case.issuer.kind == "court" and _GUIDING_SPC.match(number):
        rank = 0
    elif case.issuer.kind == "procuratorate" and _GUIDING_SPP.match(number):
        rank = 1
    elif "公报" in source or case.source_id.startswith("spc-gazette-"):
        rank = 2
    else:
        rank = 3
    return (rank, case.published_date or case.judgment_date or dt.date.max, case.id)  # undated last


def _shingles(case: Case) -> set[str]:
    text = re.sub(r"\s+", "", "".join(s.text for s in case.sections if s.kind in _TEXT_KINDS))
    return {text[i:i + SHINGLE] for i in range(max(0, len(text) - SHINGLE + 1))}


def overlap(a: Case, b: Case) -> float:
    """Share of the shorter text's shingles that the other text has too."""
    first, second = _shingles(a), _shingles(b)
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def find_groups(cases: Iterable[Case]) -> list[DuplicateGroup]:
    """Groups of publications of the same case among `cases` (each group has two or more).

    Keys come from the case row alone; the texts (sections) are read only for candidate pairs.
    """
    cases = list(cases)
    parent = {c.id: c.id for c in cases}
    reasons: dict[int, set[str]] = defaultdict(set)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for key_of, needs_text, label in _RULES:
        buckets: dict[str, list[Case]] = defaultdict(list)
        for case in cases:
            if (key := key_of(case)):
                buckets[key].append(case)
        for first, *rest in (b for b in buckets.values() if len(b) > 1):
            for other in rest:
                if root(other.id) == root(first.id):
                    continue
                if needs_text and overlap(first, other) < MIN_OVERLAP:
                    continue
                parent[root(other.id)] = root(first.id)
                reasons[first.id].add(label)
    members: dict[int, list[Case]] = defaultdict(list)
    for case in cases:
        members[root(case.id)].append(case)
    groups = []
    for group in members.values():
        if len(group) > 1:
            ordered = sorted(group, key=authority)
            groups.append(DuplicateGroup(ordered[0], ordered[1:], sorted({r for c in group for r in reasons[c.id]})))
    return sorted(groups, key=lambda g: g.canonical.id)


_RULES = ((lambda c: case_number_key(c.case_number), False, "案号相同"),
          (lambda c: title_key(c.title), True, "标题相同且正文重合"),
          (parties_key, True, "当事人与审理法院相同且正文重合"))


def link_duplicates(cases: list[Case] | None = None) -> list[DuplicateGroup]:
    """Recompute the canonical version of every public case (or of `cases` and their look-alikes)
    and store it; the caller commits. The index follows by itself (a change to the case)."""
    if cases is None:
        # Sections and tags load only for the few candidates whose texts are compared.
        pool = list(db.session.scalars(select(Case).where(Case.is_public)
                                       .options(lazyload(Case.sections), lazyload(Case.tags))))
    else:
        pool = _look_alikes(cases)
    groups = find_groups(pool)
    wanted = {other.id: group.canonical.id for group in groups for other in group.others}
    for case in pool:
        target = wanted.get(case.id)
        if case.canonical_id != target:
            case.canonical_id = target
    # A version withdrawn since cannot stay anybody's canonical one.
    db.session.execute(update(Case).where(Case.canonical_id.is_not(None), Case.canonical_id.not_in(
        select(Case.id).where(Case.is_public))).values(canonical_id=None))
    return groups


def _look_alikes(cases: list[Case]) -> list[Case]:
    """`cases` (the public ones) and every public case that shares a title, case number or court with one."""
    titles = {c.title for c in cases}
    numbers = {c.case_number for c in cases if c.case_number}
    courts = {c.court for c in cases if c.court}
    found = db.session.scalars(select(Case).where(Case.is_public, or_(
        Case.title.in_(titles), Case.case_number.in_(numbers), Case.court.in_(courts))))
    return list({c.id: c for c in [*found, *(c for c in cases if c.is_public)]}.values())
