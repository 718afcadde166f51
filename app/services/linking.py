"""法条联动: every case linked to the articles it cites, resolved against the laws we hold."""
from __future__ import annotations

from typing import Protocol

from sqlalchemy import select

from app.extensions import db
from app.models import CaseCitation, Law, LawArticle
from legaltext.citations import parse_citations


class Resolver(Protocol):
    """Anything that maps a citation (law title, number, sub, version year) to an article id or None."""

    def resolve(self, law: str | None, number: int, sub: int, version: int | None, /) -> int | None: ...


class ArticleResolver:
    """(law title, number, sub[, version year]) → article id, loaded once for a whole import."""

    def __init__(self):
        rows = db.session.execute(
            select(Law.title, Law.version_date, Law.is_current, LawArticle.number, LawArticle.sub, LawArticle.id)
            .join(LawArticle, LawArticle.law_id == Law.id)
        ).all()
        self.current: dict[tuple, int] = {}
        self.versioned: dict[tuple, int] = {}
        self.any: dict[tuple, int] = {}
        for title, version_date, is_current, number, sub, article_id in rows:
            key = (title, number, sub)
            self.any.setdefault(key, article_id)
            if is_current:
                self.current[key] = article_id
            if version_date:
                self.versioned[(*key, version_date.year)] = article_id

    def resolve(self, law: str | None, number: int, sub: int, version: int | None) -> int | None:
        """The article meant: the stated version if we hold it, else the current, else any version."""
        if law is None:
            return None
        key = (law, number, sub)
        if version is not None and (*key, version) in self.versioned:
            return self.versioned[(*key, version)]
        return self.current.get(key) or self.any.get(key)


def extract(case, resolver: Resolver) -> list[CaseCitation]:
    """The case's distinct citations, section by section (antecedents never cross sections)."""
    return [CaseCitation(**row) for row in citation_rows(case, resolver)]


def citation_rows(case, resolver: Resolver) -> list[dict]:
    """extract() as column values (case_citations without case_id), for a bulk insert."""
    seen: set[tuple] = set()
    out: list[dict] = []
    for text in [case.title] + [s.text for s in case.sections]:
        for cite in parse_citations(text):
            if cite.key() in seen:
                continue
            seen.add(cite.key())
            out.append({
                "position": len(out), "raw": cite.raw[:300], "law_title": cite.law, "number": cite.number,
                "sub": cite.sub, "paragraph": cite.paragraph, "item": cite.item, "version": cite.version,
                "article_id": resolver.resolve(cite.law, cite.number, cite.sub, cite.version)})
    return out


def relink_all() -> int:
    """Re-resolve every stored citation (after laws were imported); return how many link to an article."""
    resolver = ArticleResolver()
    linked = 0
    for citation in db.session.scalars(select(CaseCitation)).yield_per(2000):
        citation.article_id = resolver.resolve(citation.law_title, citation.number, citation.sub, citation.version)
        linked += citation.article_id is not None
    db.session.commit()
    return linked
