"""Laws: parse the Markdown law files, import them idempotently, look articles up."""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import Law, LawArticle
from legaltext.citations import PREFIX
from legaltext.numerals import NUMERAL, to_int

SEED_DIR = Path(__file__).resolve().parent.parent.parent / "seed_laws"
DEPARTMENTS = {"宪法": "宪法及宪法相关法", "宪法相关法": "宪法及宪法相关法", "民法典": "民法商法",
               "民法商法": "民法商法", "行政法": "行政法", "经济法": "经济法", "社会法": "社会法",
               "刑法": "刑法", "诉讼与非诉讼程序法": "诉讼与非诉讼程序法"}
KINDS = {"宪法": "宪法", "司法解释": "司法解释", "行政法规": "行政法规", "部门规章": "部门规章"}
_ARTICLE = re.compile(rf"^第({NUMERAL})条(?:之({NUMERAL}))?[\s　]+(.*)$")
_ITEM = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_HEADING = re.compile(r"^(#{2,6})\s*(.+?)\s*$")
_VERSION = re.compile(r"\((\d{4})-(\d{2})-(\d{2})\)$")


@dataclass
class ParsedArticle:
    """An article as parsed from a file."""

    number: int
    sub: int
    label: str
    chapter: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class ParsedLaw:
    """A law file's title, metadata and articles."""

    title: str
    short_name: str
    kind: str
    department: str | None
    version_date: dt.date | None
    preamble: str
    articles: list[ParsedArticle]


def parse_file(path: Path, root: Path) -> ParsedLaw:
    """Parse one Markdown law file (layout: seed_laws/README.md)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    title = lines[0].lstrip("# ").strip()
    head, _, body = "\n".join(lines[1:]).partition("<!-- INFO END -->")
    book = next((ln.lstrip("# ").strip() for ln in head.splitlines() if ln.startswith("# ")), "")
    preamble = "\n".join(ln.strip() for ln in head.splitlines() if ln.strip() and not ln.startswith("#"))
    folder = path.relative_to(root).parts[0]
    match = _VERSION.search(path.stem)
    return ParsedLaw(
        title=title,
        short_name=title.removeprefix(PREFIX) if folder != "民法典" else "民法典",
        kind=KINDS.get(folder, "法律"),
        department=DEPARTMENTS.get(folder),
        version_date=dt.date(*map(int, match.groups())) if match else None,
        preamble=preamble,
        articles=_articles(body.splitlines(), [book] if book else []),
    )


def _articles(lines: list[str], chapter_root: list[str]) -> list[ParsedArticle]:
    """Articles of a law body: headings set the chapter path, 第…条 lines start articles."""
    articles: list[ParsedArticle] = []
    path: dict[int, str] = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("<!--"):
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            path = {k: v for k, v in path.items() if k < level}
            path[level] = re.sub(r"\s+", " ", heading.group(2))
            continue
        start = _ARTICLE.match(line)
        if start:
            number, sub, text = start.groups()
            label = line[: line.index("条") + 1 + (len("之" + sub) if sub else 0)]
            chapter = " › ".join(chapter_root + [path[k] for k in sorted(path)])
            articles.append(ParsedArticle(to_int(number), to_int(sub) if sub else 0, label, chapter, [text.strip()]))
        elif articles and _ITEM.match(line):  # （一）… lines are items (项) of the paragraph above
            articles[-1].paragraphs[-1] += "\n" + line
        elif articles:
            articles[-1].paragraphs.append(line)
    return _first_of_each_number(articles)


def _first_of_each_number(articles: list[ParsedArticle]) -> list[ParsedArticle]:
    """Keep one article per (number, sub): quoted amendment text can repeat a number."""
    seen, out = set(), []
    for article in articles:
        key = (article.number, article.sub)
        if key not in seen:
            seen.add(key)
            out.append(article)
    return out


def _hash(parsed: ParsedLaw) -> str:
    """Content hash, so re-importing an unchanged file touches nothing."""
    digest = hashlib.sha256(repr(parsed).encode("utf-8"))
    return digest.hexdigest()


def import_dir(root: Path = SEED_DIR, on_file=None) -> dict[str, int]:
    """Import every law file under `root` (idempotent by file path); mark current versions."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "articles": 0}
    for path in sorted(root.rglob("*.md")):
        if path.name == "README.md":
            continue
        parsed = parse_file(path, root)
        counts[_upsert(parsed, str(path.relative_to(root)))] += 1
        counts["articles"] += len(parsed.articles)
        if on_file:
            on_file()
    db.session.flush()
    mark_current_versions()
    db.session.commit()
    return counts


def _upsert(parsed: ParsedLaw, source_path: str) -> str:
    """Create or replace one law version; return created/updated/unchanged."""
    digest = _hash(parsed)
    law = db.session.scalar(select(Law).filter_by(source_path=source_path))
    if law is not None and law.content_hash == digest:
        return "unchanged"
    state = "updated" if law else "created"
    law = law or Law(source_path=source_path)
    law.title, law.short_name, law.kind = parsed.title, parsed.short_name, parsed.kind
    law.department, law.version_date, law.preamble = parsed.department, parsed.version_date, parsed.preamble
    law.content_hash = digest
    if state == "updated":  # replace articles: delete first so (law, number, sub) stays unique
        law.articles = []
        db.session.flush()
    law.articles = [LawArticle(position=i, number=a.number, sub=a.sub, label=a.label, chapter=a.chapter,
                               paragraphs=a.paragraphs) for i, a in enumerate(parsed.articles)]
    db.session.add(law)
    return state


def mark_current_versions() -> None:
    """For every title, the newest version (by date; undated counts as oldest) is current.

    民法典 is stored as one file per 编 under one title: every part of the newest version is current.
    """
    laws = db.session.scalars(select(Law)).all()
    newest: dict[str, dt.date] = {}
    for law in laws:
        date = law.version_date or dt.date.min
        newest[law.title] = max(newest.get(law.title, dt.date.min), date)
    for law in laws:
        law.is_current = (law.version_date or dt.date.min) == newest[law.title]


def find_article(title: str, number: int, sub: int = 0, version_year: int | None = None) -> LawArticle | None:
    """The article of a law by full title: the current version, or the version of `version_year`."""
    query = select(LawArticle).join(Law).where(Law.title == title, LawArticle.number == number,
                                               LawArticle.sub == sub)
    rows = db.session.scalars(query).all()
    if version_year is not None:
        dated = [a for a in rows if a.law.version_date and a.law.version_date.year == version_year]
        if dated:
            return dated[0]
    current = [a for a in rows if a.law.is_current]
    candidates = current or rows
    return candidates[0] if candidates else None


def get_current_law(name: str) -> Law | None:
    """A law's current version by short name (民法典) or full title; for 民法典, its first part."""
    query = select(Law).where((Law.short_name == name) | (Law.title == name) | (Law.title == PREFIX + name))
    laws = db.session.scalars(query.order_by(Law.is_current.desc(), Law.version_date.desc(), Law.id)).all()
    return laws[0] if laws else None


def current_articles(title: str) -> list[LawArticle]:
    """Every article of the current version of a title (all 编 of 民法典), in article order.

    By number, not by file: 民法典's 编 are stored one file each, and file order (人格权编, 侵权责任编 …)
    is not the code's order (总则 first).
    """
    return list(db.session.scalars(
        select(LawArticle).join(Law).where(Law.title == title, Law.is_current)
        .order_by(LawArticle.number, LawArticle.sub, LawArticle.position)))


def structure(articles: list[LawArticle]) -> list[tuple[str, LawArticle, LawArticle, int]]:
    """Chapters in order: (chapter path, first article, last article, article count)."""
    parts: list[list] = []
    for article in articles:
        if parts and parts[-1][0] == article.chapter:
            parts[-1][2] = article
            parts[-1][3] += 1
        else:
            parts.append([article.chapter, article, article, 1])
    return [tuple(p) for p in parts]


def citing_counts(title: str) -> dict[tuple[int, int], int]:
    """(number, sub) → how many published cases cite that article of the law: the same until a case changes,
    so counted once per index generation and worker (150 ms for 刑法 at 100,000 cases, on every visit before)."""
    from app.caches import app_memo
    from app.services.search import backend
    from indexer.backends.base import SearchUnavailable

    try:
        key = (backend().generation(), title)
    except SearchUnavailable:  # the counts do not need the engine, only their cache key does
        return _count_citing_cases(title)
    return app_memo("laws.citing_counts", 64, key, lambda: _count_citing_cases(title))


def _count_citing_cases(title: str) -> dict[tuple[int, int], int]:
    from app.models import Case, CaseCitation

    rows = db.session.execute(
        select(CaseCitation.number, CaseCitation.sub, func.count(func.distinct(CaseCitation.case_id)))
        .join(Case, Case.id == CaseCitation.case_id)
        .where(CaseCitation.law_title == title, Case.is_listed)
        .group_by(CaseCitation.number, CaseCitation.sub)
    ).all()
    return {(number, sub): count for number, sub, count in rows}


def citing_cases(title: str, number: int, sub: int = 0, limit: int = 100):
    """Published cases citing an article, newest first."""
    from app.models import Case, CaseCitation

    citing = select(CaseCitation.case_id).where(
        CaseCitation.law_title == title, CaseCitation.number == number, CaseCitation.sub == sub)
    return list(db.session.scalars(
        select(Case).where(Case.id.in_(citing), Case.is_listed)
        .order_by(Case.published_date.desc().nulls_last(), Case.judgment_date.desc().nulls_last(),
                  Case.id.desc()).limit(limit)))


def versions_of(title: str, number: int, sub: int = 0) -> list[LawArticle]:
    """The same article in every version we hold, newest first."""
    return list(db.session.scalars(
        select(LawArticle).join(Law).where(Law.title == title, LawArticle.number == number, LawArticle.sub == sub)
        .order_by(Law.version_date.desc().nulls_last())))


def article_index():
    """The embedded article index (beside the case index), one per app: it keeps its index open."""
    from flask import current_app

    from indexer.articles import ArticleIndex

    if "article_index" not in current_app.extensions:
        from indexer.articles import lay_version

        current_app.extensions["article_index"] = ArticleIndex(current_app.config["SEARCH_INDEX_PATH"], lay_version())
    return current_app.extensions["article_index"]


def current_article_ids() -> dict[tuple[str, int, int], int]:
    """(law title, number, sub) → article id, for every article of a current law version."""
    rows = db.session.execute(select(Law.title, LawArticle.number, LawArticle.sub, LawArticle.id)
                              .join(LawArticle).where(Law.is_current))
    return {(title, number, sub): article_id for title, number, sub, article_id in rows}


def lay_question_rows(questions=None) -> list[tuple[int, str, list[int]]]:
    """(question id, text, ids of the current articles answering it) for the shipped lay questions
    (or `questions`); questions none of whose articles we hold are left out."""
    from indexer.articles import lay_questions

    ids = current_article_ids()
    rows = []
    for question in lay_questions() if questions is None else questions:
        answers = [ids[key] for key in question.articles if key in ids]
        if answers:
            rows.append((question.id, question.text, answers))
    return rows


def rebuild_article_index(index=None, questions=None) -> int:
    """Index every article of every current law version, with its lay questions, for article search.

    `index` and `questions` default to the app's index and the shipped questions (the STARD
    cross-validation in bench/stard_eval.py builds indexes of its own with a part of them).
    """
    rows = db.session.execute(
        select(LawArticle.id, Law.id, LawArticle.number, Law.title, LawArticle.chapter, LawArticle.paragraphs)
        .join(Law).where(Law.is_current).order_by(LawArticle.id)
    )
    return (index or article_index()).rebuild(
        ((i, law_id, number, title, chapter, "\n".join(paras)) for i, law_id, number, title, chapter, paras in rows),
        questions=lay_question_rows(questions))


@dataclass(frozen=True)
class ArticleHit:
    """An article answering a question, with how many public cases apply it."""

    article: LawArticle
    case_count: int

    law = property(lambda self: self.article.law.title)
    short_name = property(lambda self: self.article.law.short_name)
    label = property(lambda self: self.article.label)
    number = property(lambda self: self.article.number)
    sub = property(lambda self: self.article.sub)
    text = property(lambda self: self.article.text)


CASE_NEIGHBOURS = 20  # best-matching listed cases whose cited articles get votes
CASE_WEIGHT = 0.5  # a vote's weight, for the article the matching cases cite most


def case_votes(q: str) -> dict[int, float]:
    """Article id → votes from the listed cases best matching the question: cases tell a story in the words
    people use (狗咬伤, 醉酒驾驶), and cite the articles that decide it. Rank r weighs 1/(r+1), shared out
    among the case's cited articles and weighed by how rare the article is among citations; the best article
    gets CASE_WEIGHT. Nothing when the engine is down."""
    from app.models import CaseCitation
    from app.services import search as search_service
    from indexer.backends.base import SearchRequest, SearchUnavailable
    from indexer.query import parse_query

    parsed = parse_query(q)
    if parsed.is_empty:
        return {}
    try:
        found = search_service.backend().search(
            SearchRequest(query=parsed, per_page=CASE_NEIGHBOURS, with_facets=False)).ids
    except SearchUnavailable:
        return {}
    cited: dict[int, set[int]] = {}
    for case_id, article_id in db.session.execute(
            select(CaseCitation.case_id, CaseCitation.article_id)
            .where(CaseCitation.case_id.in_(found), CaseCitation.article_id.is_not(None))):
        cited.setdefault(case_id, set()).add(article_id)
    generation = search_service.backend().generation()
    citing = _cases_citing_each(generation, {a for ids in cited.values() for a in ids})
    cases = _cases_citing_any(generation)
    votes: dict[int, float] = {}
    for rank, case_id in enumerate(found):
        for article_id in cited.get(case_id, ()):
            rarity = math.log(1 + cases / citing[article_id])  # an article every case cites says nothing
            votes[article_id] = votes.get(article_id, 0.0) + rarity / (rank + 1) / len(cited[case_id])
    best = max(votes.values(), default=1.0)
    return {article_id: CASE_WEIGHT * vote / best for article_id, vote in votes.items()}


def _cases_citing_each(generation, article_ids: set[int]) -> dict[int, int]:
    """Article id → how many cases cite it (procedure and general rules are cited by most): the same until a
    case changes, so counted once per index generation and worker; at 100,000 cases the 20 neighbours of a
    question cite articles with thousands of citing cases each."""
    from app.caches import app_lru
    from app.models import CaseCitation

    cache = app_lru("laws.cases_citing_article", 8192)
    missing = [a for a in article_ids if (generation, a) not in cache]
    if missing:
        counts = dict(db.session.execute(
            select(CaseCitation.article_id, func.count(func.distinct(CaseCitation.case_id)))
            .where(CaseCitation.article_id.in_(missing)).group_by(CaseCitation.article_id)).tuples().all())
        for article_id in missing:
            cache[(generation, article_id)] = counts.get(article_id, 1)
    return {a: cache[(generation, a)] for a in article_ids}


def _cases_citing_any(generation) -> int:
    """How many cases cite an article: the same until a case changes (a full scan of the citations, 25 ms at
    100,000 cases, on every question before), so counted once per index generation and worker."""
    from app.caches import app_memo
    from app.models import CaseCitation

    return app_memo("laws.citing_cases", 4, generation,
                    lambda: db.session.scalar(select(func.count(func.distinct(CaseCitation.case_id)))) or 1)


def ranked_article_ids(q: str, limit: int = 10, ignore: tuple[int, ...] = ()) -> list[int]:
    """The 问法条 ranking: articles the question cites first, then by the article index's score plus the
    votes of matching cases (`ignore`: lay questions that must not vote, for leave-one-out in the bench)."""
    from app.services.query_understanding import cited_article_ids

    return article_index().search(q, limit, promote=cited_article_ids(q), ignore=ignore, extra=case_votes(q))


def ranked_article_keys(q: str, limit: int) -> list[str]:
    """The index `article` values (law title:number) of the best articles for a question, best first."""
    from indexer.documents import article_key

    ids = ranked_article_ids(q, limit)
    rows = db.session.execute(select(LawArticle.id, Law.title, LawArticle.number, LawArticle.sub)
                              .join(Law, Law.id == LawArticle.law_id).where(LawArticle.id.in_(ids))).all()
    keys = {article_id: article_key(title, number, sub) for article_id, title, number, sub in rows}
    return [keys[i] for i in ids if i in keys]


def search_articles(q: str, limit: int = 10) -> list[ArticleHit]:
    """Articles answering a lay question, with how many public cases cite each."""
    from app.models import Case, CaseCitation

    ids = ranked_article_ids(q, limit)
    if not ids:
        return []
    articles = {a.id: a for a in db.session.scalars(select(LawArticle).where(LawArticle.id.in_(ids)))}
    counts = dict(db.session.execute(
        select(CaseCitation.article_id, func.count(func.distinct(CaseCitation.case_id)))
        .join(Case, Case.id == CaseCitation.case_id)
        .where(CaseCitation.article_id.in_(ids), Case.is_listed)
        .group_by(CaseCitation.article_id)).tuples().all())
    return [ArticleHit(articles[i], counts.get(i, 0)) for i in ids if i in articles]
