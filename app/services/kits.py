"""The kit: one data structure for a talk built from a collection (or a list of cases), from which
the Word 讲稿, the slides, the printed booklet and the projection mode are all rendered, so they
can never disagree about which cases, which texts, which articles or which notices a talk has.

A case's parts come from its 普法版 when it has one; otherwise from the case's own sections
(裁判要点, 典型意义, 裁判结果 …), marked as a fallback so every output can say so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.models import PARTS, Case, Collection, User
from app.services import collections as collection_service
from app.services import law_status, qr
from app.services.errors import Missing
from app.services.law_status import CitedArticle, LawNotice
from app.urls import public_url

# Where a part comes from when the case has no 普法版 text for it: section kinds, first found wins.
FALLBACK_SECTIONS = {
    "story": ("facts",),
    "result": ("outcome",),
    "explanation": ("explanation", "holding", "reasoning"),
    "significance": ("significance",),
    "remedy": ("remedy",),
}
SECTION_LABELS = {"facts": "基本案情", "outcome": "裁判结果", "explanation": "以案释法", "holding": "裁判要点",
                  "reasoning": "裁判理由", "significance": "典型意义", "remedy": "权利救济途径"}


@dataclass
class KitPart:
    """One part of a case in the talk (案情简介, 处理结果, 说法 …) with its paragraphs."""

    code: str
    label: str
    paragraphs: list[str]
    fallback_from: str | None = None  # the case section used because the 普法版 lacks this part

    @property
    def fallback_note(self) -> str:
        """"（本案暂无普法版，取自原文“裁判要点”）" for a fallback part, else ""."""
        return f"（本案暂无普法版，取自原文“{self.fallback_from}”）" if self.fallback_from else ""


@dataclass
class KitCase:
    """A case as the talk uses it."""

    number: int
    case_id: int
    source_id: str
    title: str
    issuer: str
    case_type: str
    date: dt.date | None
    document_number: str | None
    url: str
    qr_png: bytes
    has_plain: bool
    speaker: str
    parts: list[KitPart]
    articles: list[CitedArticle]  # empty when the lecturer left out 法条
    notices: list[LawNotice]
    note: str
    source: str

    def part(self, code: str) -> KitPart | None:
        """The part with this code, if the talk uses it and the case has it."""
        return next((p for p in self.parts if p.code == code), None)


@dataclass
class Kit:
    """Everything a talk needs, in order."""

    title: str
    audience: str
    planned_date: dt.date | None
    place: str
    duration_minutes: int | None
    opening: str
    questions: str
    notes: str
    lecturer: str
    cases: list[KitCase]
    generated: dt.date
    topic_url: str | None = None
    topic_qr_png: bytes | None = None
    left_out: list[str] = field(default_factory=list)  # titles of cases no longer public

    @property
    def notices(self) -> list[tuple[KitCase, LawNotice]]:
        """Every repealed-law notice of the talk, for its first page."""
        return [(case, notice) for case in self.cases for notice in case.notices]

    @property
    def cited_laws(self) -> list[tuple[str, str]]:
        """(law, version text) of every cited law, in first-cited order: the booklet's 法律版本 list."""
        seen: dict[str, str] = {}
        for case in self.cases:
            for article in case.articles:
                seen.setdefault(article.law, article.version_text)
        return list(seen.items())

    @property
    def meta_line(self) -> str:
        """对象：乡村 · 时间：2026-12-04 · 地点：… · 时长：45 分钟."""
        bits = [("对象", self.audience), ("时间", self.planned_date.isoformat() if self.planned_date else ""),
                ("地点", self.place), ("时长", f"{self.duration_minutes} 分钟" if self.duration_minutes else "")]
        return " · ".join(f"{label}：{value}" for label, value in bits if value)


def _paragraphs(text: str | None) -> list[str]:
    """Non-blank lines of a text."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def case_parts(case: Case, wanted: list[str]) -> list[KitPart]:
    """The wanted text parts of a case: 普法版 first, the case's own sections as the marked fallback."""
    plain = case.plain or {}
    parts = []
    for code in wanted:
        if code == "law":
            continue
        if plain.get(code):
            parts.append(KitPart(code, PARTS[code], _paragraphs(plain[code])))
            continue
        for kind in FALLBACK_SECTIONS.get(code, ()):
            section = next((s for s in case.sections if s.kind == kind and s.text.strip()), None)
            if section is not None:
                parts.append(KitPart(code, PARTS[code], _paragraphs(section.text),
                                     section.heading or SECTION_LABELS[kind]))
                break
    return parts


def kit_case(case: Case, number: int, parts: list[str], note: str = "") -> KitCase:
    """One case of a kit (needs an app context for its public address)."""
    url = public_url("web.case_page", case_id=case.id)
    articles = law_status.cited_articles(case)
    return KitCase(
        number=number, case_id=case.id, source_id=case.source_id, title=case.title, issuer=case.issuer.name,
        case_type=case.case_type, date=case.published_date or case.judgment_date,
        document_number=case.document_number, url=url, qr_png=qr.png(url), has_plain=bool(case.plain),
        speaker=(case.plain or {}).get("speaker", ""), parts=case_parts(case, parts),
        articles=articles if "law" in parts else [], notices=law_status.notices_for(case, articles),
        note=note, source=case.source_name or case.issuer.name)


def for_collection(actor: User | None, collection_id: int) -> Kit:
    """The kit of one of the actor's collections (cases withdrawn since are left out and listed)."""
    return from_collection(collection_service.get(actor, collection_id))


def from_collection(collection: Collection) -> Kit:
    """The kit of a collection already checked or public (a 专题 page, the operator's CLI)."""
    cases: list[KitCase] = []
    left_out: list[str] = []
    for item in collection.items:
        if not item.case.is_public:
            left_out.append(item.case.title)
            continue
        cases.append(kit_case(item.case, len(cases) + 1, item.parts or list(PARTS), item.note))
    topic_url = public_url("kits.topic", token=collection.share_token) if collection.published else None
    return Kit(title=collection.title, audience=collection.audience, planned_date=collection.planned_date,
               place=collection.place, duration_minutes=collection.duration_minutes, opening=collection.opening,
               questions=collection.questions, notes=collection.notes, lecturer=collection.owner.name, cases=cases,
               generated=dt.date.today(), topic_url=topic_url, topic_qr_png=qr.png(topic_url) if topic_url else None,
               left_out=left_out)


def for_cases(source_ids: list[str], title: str, audience: str = "", lecturer: str = "") -> Kit:
    """A kit of published cases named by their interchange ids, in the given order (the CLI)."""
    cases = []
    for number, source_id in enumerate(dict.fromkeys(source_ids), 1):
        case = db.session.scalar(select(Case).where(Case.source_id == source_id, Case.is_public))
        if case is None:
            raise Missing(source_id)
        cases.append(kit_case(case, number, list(PARTS)))
    return Kit(title=title, audience=audience, planned_date=None, place="", duration_minutes=None, opening="",
               questions="", notes="", lecturer=lecturer, cases=cases, generated=dt.date.today())
