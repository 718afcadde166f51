"""Suggestions while typing, for a lay user: hot issues, everyday phrases, laws and articles, case titles.

A suggestion is a word to search for (hot-issue names, the everyday phrases of the synonym list,
law names, case keywords), or a place to go (a hot-issue page, an article, a case: those carry a
`url`, and choosing them opens it). Kinds are mixed, so a prefix shared by many keywords still
shows the topic and the article a reader may be after.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select

from app.extensions import db
from app.models import Case, TaxonomyTerm
from app.services import laws as laws_service
from app.services.search import backend
from indexer.analysis import dictionary_entries, normalize_query, synonyms
from indexer.backends.base import SearchRequest, SearchUnavailable
from indexer.query import parse_query
from legaltext.citations import PREFIX, law_departments, parse_citations

VOCABULARY_TTL = 600  # seconds; new keywords show up within ten minutes
PER_KIND = 3  # at most this many of one kind among the words, so the kinds mix
_cache: dict = {"at": None, "words": []}
_MISSING_DI = re.compile(r"(?<![第\d])(\d+)(?=条)")  # 刑法133条 → 刑法第133条


@dataclass(frozen=True)
class Suggestion:
    """One suggestion: the text, what it is, and where choosing it leads (None: search for the text)."""

    text: str
    kind: str
    url: str | None = None


def _vocabulary() -> list[tuple[str, str, str | None]]:
    """(word, kind, hot-issue code or None) to suggest from, rebuilt every VOCABULARY_TTL seconds."""
    # "at" starts as None, not 0: monotonic() counts from boot, so 0 looks fresh for ten minutes after one.
    if _cache["at"] is None or time.monotonic() - _cache["at"] > VOCABULARY_TTL:
        words: dict[str, tuple[str, str | None]] = {}
        for term in db.session.scalars(select(TaxonomyTerm)):
            words[term.name] = ("热点问题" if term.scheme == "hot_issue" else "法律部门",
                                term.code if term.scheme == "hot_issue" else None)
        for phrase in synonyms():
            words.setdefault(phrase, ("常见说法", None))
        for name in law_departments():
            words.setdefault(name, ("法律", None))
        for word, _freq in dictionary_entries():  # 高空 → 高空抛物, 高空坠物
            if len(word) >= 3:
                words.setdefault(word, ("法律用语", None))
        for keywords in db.session.scalars(select(Case.keywords).where(Case.is_listed)):
            for keyword in keywords or []:
                words.setdefault(keyword, ("关键词", None))
        ranked = sorted(words.items(), key=lambda w: (len(w[0]), w[0]))
        _cache.update(at=time.monotonic(), words=[(w, kind, code) for w, (kind, code) in ranked])
    return _cache["words"]


def _like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with the user's % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _words(text: str, limit: int) -> list[Suggestion]:
    """Vocabulary words containing `text` (prefix matches first) and the legal terms an everyday
    phrase stands for (醉驾 → 危险驾驶); at most PER_KIND of a kind, dictionary words only if found."""
    found: list[tuple[str, str, str | None]] = [(t, "法律用语", None) for t in synonyms().get(text, ())]
    found += sorted(((w, k, code) for w, k, code in _vocabulary() if text in w and w != text),
                    key=lambda item: not item[0].startswith(text))
    out: list[Suggestion] = []
    per_kind: dict[str, int] = {}
    for word, kind, code in found:
        if per_kind.get(kind, 0) >= PER_KIND or any(s.text == word for s in out):
            continue
        if kind == "法律用语" and not _finds_cases(word):
            continue
        per_kind[kind] = per_kind.get(kind, 0) + 1
        url = url_for("web.hot_issue", code=code) if code else None
        out.append(Suggestion(word, kind, url))
        if len(out) >= limit:
            break
    return out


def _finds_cases(word: str) -> bool:
    """Does searching for the word find a case? (A suggestion that finds nothing does not help.)"""
    request = SearchRequest(query=parse_query(f'"{word}"'), per_page=1, with_facets=False)
    try:
        return backend().search(request).total > 0
    except SearchUnavailable:
        return False


def _articles(text: str) -> list[Suggestion]:
    """An article the text cites (民法典第1254条, 刑法133条之一): suggest opening it."""
    out = []
    text = _MISSING_DI.sub(r"第\1", text if text.endswith("条") or "条之" in text else text + "条")
    for citation in parse_citations(text)[:2]:
        article = laws_service.find_article(citation.law, citation.number, citation.sub) if citation.law else None
        if article is not None:
            name = article.law.short_name or article.law.title.removeprefix(PREFIX)
            out.append(Suggestion(f"《{name}》{article.label}", "条文",
                                  url_for("web.article", name=name, label=article.slug)))
    return out


def _titles(text: str, limit: int) -> list[Suggestion]:
    """Listed cases whose title contains the text, newest first; choosing one opens the case."""
    rows = db.session.execute(
        select(Case.id, Case.title).where(Case.is_listed, Case.title.like(_like_pattern(text), escape="\\"))
        .order_by(Case.published_date.desc().nulls_last(), Case.id.desc()).limit(limit))
    return [Suggestion(title, "案例", url_for("web.case_page", case_id=case_id)) for case_id, title in rows]


def suggest(q: str, limit: int = 8) -> list[Suggestion]:
    """Up to `limit` suggestions for the typed text: an article it names, words, then case titles."""
    text = normalize_query(q).strip()
    if not text:
        return []
    out = _articles(text)
    out += _words(text, limit - len(out) - 2)
    out += _titles(text, limit - len(out))
    return out[:limit]
