"""Query suggestions while typing: law names, taxonomy terms, issuers' keywords, case titles."""
from __future__ import annotations

import time

from sqlalchemy import select

from app.extensions import db
from app.models import Case, TaxonomyTerm
from indexer.analysis import normalize_query
from legaltext.citations import law_departments

VOCABULARY_TTL = 600  # seconds; new keywords show up within ten minutes
_cache: dict = {"at": None, "words": []}


def _vocabulary() -> list[tuple[str, str]]:
    """(word, kind) pairs to suggest from, rebuilt every VOCABULARY_TTL seconds."""
    # "at" starts as None, not 0: monotonic() counts from boot, so 0 looks fresh for ten minutes after one.
    if _cache["at"] is None or time.monotonic() - _cache["at"] > VOCABULARY_TTL:
        words = dict.fromkeys(law_departments(), "法律")
        words.update(dict.fromkeys(db.session.scalars(select(TaxonomyTerm.name)), "主题"))
        for keywords in db.session.scalars(select(Case.keywords).where(Case.is_listed)):
            for keyword in keywords or []:
                words.setdefault(keyword, "关键词")
        _cache.update(at=time.monotonic(), words=sorted(words.items(), key=lambda w: (len(w[0]), w[0])))
    return _cache["words"]


def _like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with the user's % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def suggest(q: str, limit: int = 8) -> list[dict]:
    """Up to `limit` suggestions for the typed text: words first (prefix matches first), then titles."""
    text = normalize_query(q).strip()
    if not text:
        return []
    words = [(w, k) for w, k in _vocabulary() if text in w and w != text]
    words.sort(key=lambda wk: not wk[0].startswith(text))
    out = [{"text": w, "kind": k} for w, k in words[: limit - 3]]
    titles = db.session.scalars(
        select(Case.title).where(Case.is_listed, Case.title.like(_like_pattern(text), escape="\\"))
        .order_by(Case.published_date.desc().nulls_last(), Case.id.desc()).limit(limit - len(out))
    )
    out += [{"text": title, "kind": "案例"} for title in titles]
    return out
