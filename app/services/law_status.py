"""Law in force: which cited laws are repealed (and by what), and each cited article's current text.

The facts are reviewed data in app/data/: repealed_laws.json (built by scripts/build_repeals.py
from the closing articles of the laws in seed_laws/, plus a few facts our law data cannot hold)
and article_successors.json (the most-cited articles of the laws the 民法典 repealed, mapped to
their 民法典 counterparts). Case pages, kits and every export read them through this module.
"""
from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Case, CaseCitation, Law, LawArticle
from legaltext.citations import PREFIX

_DIGITS = "零一二三四五六七八九"


def to_chinese(number: int) -> str:
    """1165 → 一千一百六十五, 12 → 十二, 106 → 一百零六 (the form law texts use, below 10,000)."""
    if number < 10:
        return _DIGITS[number]
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit:
            out += ("零" if zero and out else "") + _DIGITS[digit] + unit
            zero = False
        else:
            zero = True
    return out[1:] if out.startswith("一十") else out


DATA = Path(__file__).resolve().parent.parent / "data"
# An old version's article is matched to a current one only when their texts are this similar.
COUNTERPART_MIN_SIMILARITY = 0.6


@dataclass(frozen=True)
class Repeal:
    """One repealed law: its successor, the repealing provision and the date."""

    law: str
    successor: str
    provision: str
    date: dt.date
    then: str | None = None  # the successor was itself repealed later (经济合同法 → 合同法 → 民法典)

    @property
    def short(self) -> str:
        """The repealed law's name without 中华人民共和国."""
        return self.law.removeprefix(PREFIX)

    @property
    def successor_short(self) -> str:
        """The successor's name without 中华人民共和国."""
        return self.successor.removeprefix(PREFIX)

    @property
    def in_force(self) -> bool:
        """False while the repeal has been enacted but not reached its date."""
        return self.date <= dt.date.today()


@dataclass
class Counterpart:
    """The article in force today that takes the place of a cited one."""

    law: str  # short name
    label: str
    slug: str
    paragraphs: list[str]
    version_date: dt.date | None


@dataclass
class LawNotice:
    """A visible notice that a cited law is no longer in force, naming its successor."""

    repeal: Repeal
    articles: list[tuple[str, list[Counterpart]]] = field(default_factory=list)  # (cited label, counterparts)

    @property
    def message(self) -> str:
        """The notice in one Chinese sentence."""
        r = self.repeal
        when = f"{r.date.year}年{r.date.month}月{r.date.day}日"
        verb = "起废止" if not r.in_force else "被废止"
        text = f"本案引用的《{r.short}》已于{when}{verb}（{r.provision}），现行规定见《{r.successor_short}》"
        if r.then:
            text += f"；《{r.successor_short}》又已被《{r.then.removeprefix(PREFIX)}》废止"
        return text + "。"

    @property
    def mapping_text(self) -> str:
        """"第一百零七条 → 《民法典》第五百七十七条；…" for the articles we could map."""
        pairs = []
        for old, new in self.articles:
            if new:  # the law named once: 第五十二条 → 《民法典》第一百四十四条、第一百四十六条
                pairs.append(f"{old} → 《{new[0].law}》" + "、".join(c.label for c in new))
        return "；".join(pairs)


@dataclass
class CitedArticle:
    """A cited article as a kit or page shows it: its text, its version, and what replaces it."""

    law: str  # short name as cited
    label: str
    extra: str  # 第二款第（三）项
    paragraphs: list[str]  # the cited text we hold (empty when we do not hold it)
    version_date: dt.date | None
    current: bool  # the text shown is the version in force today
    counterparts: list[Counterpart]  # the current article(s), when the cited one is old or repealed
    repealed: Repeal | None

    @property
    def heading(self) -> str:
        """《民法典》第一千一百六十五条第二款."""
        return f"《{self.law}》{self.label}{self.extra}"

    @property
    def version_text(self) -> str:
        """Which version the text is (现行有效 / 2015年版 / 已废止)."""
        if self.repealed is not None:
            return "已废止"
        if self.version_date is None:
            return "现行有效" if self.current else "历史版本"
        return f"{'现行有效，' if self.current else ''}{self.version_date.isoformat()} 版"


@functools.lru_cache(maxsize=1)
def repeals() -> dict[str, Repeal]:
    """Repealed law title → Repeal (from app/data/repealed_laws.json)."""
    raw = json.loads((DATA / "repealed_laws.json").read_text(encoding="utf-8"))["repeals"]
    return {r["law"]: Repeal(r["law"], r["successor"], r["provision"], dt.date.fromisoformat(r["date"]),
                             r.get("then")) for r in raw}


@functools.lru_cache(maxsize=1)
def _successor_table() -> dict:
    """The reviewed article correspondence table."""
    data = json.loads((DATA / "article_successors.json").read_text(encoding="utf-8"))
    return {law: table for law, table in data.items() if not law.startswith("_")}


def mapped_articles_count() -> int:
    """How many repealed articles the correspondence table maps (民法总则's same-number range counted)."""
    count = 0
    for table in _successor_table().values():
        low, high = table.get("same_numbers", (1, 0))
        count += (high - low + 1) + len([k for k in table if k != "same_numbers"])
    return count


def repeal_of(title: str | None) -> Repeal | None:
    """The repeal of a law by full title, or None if it is in force (as far as our data says)."""
    return repeals().get(title) if title else None


def successor_numbers(title: str, number: int) -> list[int]:
    """The 民法典 article numbers that replace article `number` of a repealed law (reviewed table)."""
    table = _successor_table().get(title) or {}
    if "same_numbers" in table:
        low, high = table["same_numbers"]
        return [number] if low <= number <= high else []
    return list(table.get(str(number), []))


def _counterpart(article: LawArticle) -> Counterpart:
    """A held article as a Counterpart."""
    return Counterpart(article.law.short_name, article.label, article.slug, list(article.paragraphs),
                       article.law.version_date)


def _current_article(title: str, number: int) -> LawArticle | None:
    """Article `number` of the current version of `title`."""
    return db.session.scalar(select(LawArticle).join(Law).where(
        Law.title == title, Law.is_current, LawArticle.number == number, LawArticle.sub == 0).limit(1))


def successors_for(title: str, number: int) -> list[Counterpart]:
    """The current articles that replace article `number` of a repealed law, where we know them."""
    repeal = repeal_of(title)
    if repeal is None:
        return []
    target = repeal.then or repeal.successor
    out = []
    for new in successor_numbers(title, number) if target == repeal.successor else []:
        article = _current_article(target, new)
        if article is not None:
            out.append(_counterpart(article))
    return out


@functools.lru_cache(maxsize=4096)
def _counterpart_id(article_id: int) -> int | None:
    """The current version's article most like an old version's article (by text), or None."""
    article = db.session.get(LawArticle, article_id)
    if article is None or article.law.is_current:
        return None
    candidates = db.session.scalars(select(LawArticle).join(Law).where(
        Law.title == article.law.title, Law.is_current)).all()
    text = article.text
    best, best_ratio = None, 0.0
    for candidate in candidates:
        if abs(candidate.number - article.number) > 40:  # amendments renumber, but not across the whole law
            continue
        ratio = difflib.SequenceMatcher(None, text, candidate.text, autojunk=False).quick_ratio()
        if ratio < best_ratio:
            continue
        ratio = difflib.SequenceMatcher(None, text, candidate.text, autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    return best.id if best is not None and best_ratio >= COUNTERPART_MIN_SIMILARITY else None


def current_counterpart(article: LawArticle) -> Counterpart | None:
    """For an article of an old version of an amended law: its counterpart in the version in force."""
    found = _counterpart_id(article.id)
    current = db.session.get(LawArticle, found) if found else None
    return _counterpart(current) if current is not None else None


def _extra(citation: CaseCitation) -> str:
    """第二款第（三）项 for a citation of a paragraph or item."""
    text = f"第{to_chinese(citation.paragraph)}款" if citation.paragraph else ""
    return text + (f"第（{to_chinese(citation.item)}）项" if citation.item else "")


def cited_articles(case: Case) -> list[CitedArticle]:
    """Every article the case cites with a law named, with its text and what is in force today."""
    out, seen = [], set()
    for citation in case.citations:
        if not citation.law_title or (citation.law_title, citation.number, citation.sub) in seen:
            continue
        seen.add((citation.law_title, citation.number, citation.sub))
        short = citation.law_title.removeprefix(PREFIX)
        repealed = repeal_of(citation.law_title)
        article = citation.article
        if article is not None:
            counterpart = current_counterpart(article) if not article.law.is_current else None
            out.append(CitedArticle(short, article.label, _extra(citation), list(article.paragraphs),
                                    article.law.version_date, article.law.is_current and repealed is None,
                                    [counterpart] if counterpart else [], repealed))
        else:
            label = f"第{to_chinese(citation.number)}条" + (f"之{to_chinese(citation.sub)}" if citation.sub else "")
            counterparts = successors_for(citation.law_title, citation.number) if repealed else []
            out.append(CitedArticle(short, label, _extra(citation), [], None, False, counterparts, repealed))
    return out


def notices_for(case: Case, articles: list[CitedArticle] | None = None) -> list[LawNotice]:
    """One notice per repealed law the case cites, with the articles we could map."""
    notices: dict[str, LawNotice] = {}
    for cited in articles if articles is not None else cited_articles(case):
        if cited.repealed is None:
            continue
        notice = notices.setdefault(cited.repealed.law, LawNotice(cited.repealed))
        notice.articles.append((cited.label, cited.counterparts))
    for name in case.cited_law_names():  # laws named without an article (《合同法》的规定)
        repeal = repeal_of(PREFIX + name) or repeal_of(name)
        if repeal is not None:
            notices.setdefault(repeal.law, LawNotice(repeal))
    return list(notices.values())
