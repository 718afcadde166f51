"""Query understanding: what a query names outright, found before ranking.

A citation (民法典第1254条, 刑法第一百三十三条之一, 《食品安全法》148条) names an article: in case search the
cases citing it come first, in 问法条 the article itself. A case number (（2012）江宁开民初字第646号) or a
guiding-case number (指导案例23号, 检例第1号) names a case: it comes first, and a query of case numbers
alone answers with those cases only (quoted, the number is searched as text). "First" is a boost of PROMOTE
inside the engine (indexer.backends.base.Boost), so totals, paging and facets stay the engine's own.

Everything here is cheap: regular expressions and the citation parser on the query text, and a
database look-up only when a number was recognised.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from app.extensions import db
from app.models import Case
from indexer.analysis import normalize_query
from indexer.backends.base import PROMOTE, Boost
from indexer.documents import article_key
from legaltext.citations import parse_citations
from legaltext.numerals import NUMERAL, to_int

# 148条 → 第148条, 一百三十三条之一 → 第一百三十三条之一: people leave out the 第 the parser needs.
_MISSING_DI = re.compile(rf"(?<![第0-9零〇一二两三四五六七八九十百千])({NUMERAL})(?=条)")
_CASE_NUMBER = re.compile(r"[（(〔\[［]\s*((?:19|20)\d{2})\s*[）)〕\]］]\s*([\u4e00-\u9fff0-9]{1,30}?号)")
_SPC_GUIDING = re.compile(rf"(?:最高(?:人民)?法院?)?指导性?案例\s*第?\s*({NUMERAL})\s*号")
_SPP_GUIDING = re.compile(rf"检例\s*第?\s*({NUMERAL})\s*号")
_BRACKETS = (("（", "）"), ("(", ")"), ("〔", "〕"), ("[", "]"))


@dataclass(frozen=True)
class CitedArticle:
    """An article a query names: full law title, article number, 之N."""

    law: str
    number: int
    sub: int = 0

    @property
    def key(self) -> str:
        """The value of the index's `article` filter for this article."""
        return article_key(self.law, self.number, self.sub)


@dataclass
class Understanding:
    """What a query names: articles, cases (ids of listed cases), and the boosts that put them first."""

    articles: list[CitedArticle] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    names_only: bool = False  # the query is nothing but case numbers: the reader wants those cases

    @property
    def direct(self) -> bool:
        """Answer with the named cases alone (a case number, not words to search for)."""
        return self.names_only and bool(self.case_ids)

    def boosts(self) -> list[Boost]:
        """Named cases first, then cases citing a named article, then the rest by score."""
        out = []
        if self.case_ids:
            out.append(Boost("id", tuple(str(i) for i in self.case_ids), 2 * PROMOTE))
        if self.articles:
            out.append(Boost("article", tuple(a.key for a in self.articles), PROMOTE))
        return out


def cited_articles(text: str) -> list[CitedArticle]:
    """Articles the text cites with a law named (民法典第1254条, 《食品安全法》148条), in order, once each."""
    text = _MISSING_DI.sub(r"第\1", normalize_query(text))
    found = [CitedArticle(c.law, c.number, c.sub) for c in parse_citations(text) if c.law]
    return list(dict.fromkeys(found))


def case_number_variants(text: str) -> list[str]:
    """Case numbers in the text, each in the bracket styles a record may use: （2012）… (2012)… 〔2012〕…"""
    text = normalize_query(text).replace(" ", "")
    out: list[str] = []
    for year, rest in _CASE_NUMBER.findall(text):
        out += [f"{left}{year}{right}{rest}" for left, right in _BRACKETS]
    return out


def document_numbers(text: str) -> list[str]:
    """Guiding-case numbers as the publishers print them: 指导案例23号, 检例第1号."""
    text = normalize_query(text)
    numbers = [f"指导案例{to_int(n)}号" for n in _SPC_GUIDING.findall(text)]
    return numbers + [f"检例第{to_int(n)}号" for n in _SPP_GUIDING.findall(text)]


def named_cases(text: str) -> list[int]:
    """Ids of the listed cases a query names by case number or guiding-case number (duplicates → canonical)."""
    numbers, documents = case_number_variants(text), document_numbers(text)
    if not numbers and not documents:
        return []
    rows = db.session.execute(
        select(Case.id, Case.canonical_id).where(
            Case.is_public, or_(Case.case_number.in_(numbers), Case.document_number.in_(documents)))
        .order_by(Case.id)).all()
    return list(dict.fromkeys(canonical or case_id for case_id, canonical in rows))


def only_case_numbers(raw: str) -> bool:
    """Whether the query is nothing but case numbers (（2012）江宁开民初字第646号, 指导案例23号 检例第1号):
    unquoted, and no word left once they are taken out."""
    text = normalize_query(raw).replace(" ", "")
    if '"' in text or "-" in text:
        return False
    rest = _SPP_GUIDING.sub("", _SPC_GUIDING.sub("", _CASE_NUMBER.sub("", text)))
    return rest != text and not re.search(r"[0-9A-Za-z\u3400-\u9fff]", rest)


def understand(raw: str) -> Understanding:
    """What the query text names outright (nothing for most queries)."""
    if not raw or not re.search(r"[0-9０-９零〇一二两三四五六七八九十百千]", raw):
        return Understanding()  # every citation and case number has a number in it
    return Understanding(articles=cited_articles(raw), case_ids=named_cases(raw), names_only=only_case_numbers(raw))


def cited_article_ids(raw: str) -> list[int]:
    """Ids of the articles (current versions) a question cites, for 问法条 to put first."""
    from app.services.laws import find_article

    if not re.search(r"[0-9０-９零〇一二两三四五六七八九十百千]", raw or ""):
        return []
    found = (find_article(a.law, a.number, a.sub) for a in cited_articles(raw))
    return [article.id for article in found if article is not None]
