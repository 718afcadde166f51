"""Search: query analysis → backend → ids in rank order → rows from the database."""
from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers

from app.caches import app_lru, app_memo
from app.extensions import db
from app.models import (
    ISSUER_KIND_SHORT,
    ISSUER_KINDS,
    Case,
    CaseSection,
    CaseTag,
    Issuer,
    TaxonomyTerm,
    ZeroResultQuery,
)
from app.services import query_understanding
from app.services.taxonomy import snapshot
from indexer import analysis
from indexer.analysis import charge_words, index_tokens, normalize_query, query_tokens, synonyms
from indexer.backends.base import RESULT_WINDOW, Boost, SearchRequest, SearchResult, SearchUnavailable
from indexer.backends.elastic import ElasticBackend
from indexer.backends.engine_client import CLIENTS, ConnectionSettings
from indexer.documents import FACETS, FILTER_ONLY
from indexer.highlight import highlight_title, snippets
from indexer.query import parse_query

log = logging.getLogger(__name__)


def make_backend(config):
    """The backend named by SEARCH_BACKEND."""
    name = config["SEARCH_BACKEND"]
    if name == "embedded":
        from indexer.backends.tantivy import TantivyBackend

        return TantivyBackend(config["SEARCH_INDEX_PATH"], time_budget_ms=config["SEARCH_TIME_BUDGET_MS"])
    if name in CLIENTS:
        settings = ConnectionSettings(
            url=config["SEARCH_URL"], username=config["SEARCH_USERNAME"], password=config["SEARCH_PASSWORD"],
            api_key=config["SEARCH_API_KEY"], ca_certs=config["SEARCH_CA_CERTS"],
            verify_certs=config["SEARCH_VERIFY_CERTS"], timeout=config["SEARCH_TIMEOUT"],
        )
        return ElasticBackend(CLIENTS[name](settings), prefix=config["SEARCH_INDEX_PREFIX"],
                              lock_path=config["SEARCH_LOCK_PATH"], shards=config["SEARCH_SHARDS"],
                              replicas=config["SEARCH_REPLICAS"], time_budget_ms=config["SEARCH_TIME_BUDGET_MS"])
    raise ValueError(f"unknown SEARCH_BACKEND {name!r} (embedded, opensearch or elasticsearch)")


def backend():
    """This app's backend instance."""
    return current_app.extensions["search"]


def warm() -> None:
    """Do at a worker's start what its first searches would otherwise wait for (gunicorn.conf.py):
    the query-analysis tables, SQLAlchemy's mapper configuration, the taxonomy snapshot, the
    engine's searcher and the results template. No query is answered: no cache holds an answer."""
    analysis.warm()
    configure_mappers()
    snapshot()
    try:
        backend().search(SearchRequest(query=parse_query(""), per_page=1, with_facets=False))
    except SearchUnavailable as exc:  # the worker starts anyway; searches will say the engine is down
        log.warning("search engine not warmed: %s", exc)
    current_app.jinja_env.get_template("search.html")


# ---- answering searches ---------------------------------------------------------------------
@dataclass(frozen=True)
class Tag:
    """A taxonomy term as a hit shows it: stable code, display name."""

    code: str
    name: str


@dataclass(frozen=True)
class IssuerRef:
    """The publishing body of a hit."""

    name: str
    kind: str


@dataclass(frozen=True)
class Highlight:
    """A highlighted snippet: escaped HTML whose only markup is <mark>."""

    field: str
    html: str


@dataclass
class Hit:
    """One search hit, as both the results page and the JSON API show it."""

    id: int
    source_id: str
    title: str
    summary: str
    case_type: str
    issuer: IssuerRef
    document_number: str | None
    published_date: dt.date | None
    judgment_date: dt.date | None
    hot_issues: list[Tag]
    law_topics: list[Tag]
    highlights: list[Highlight]

    @property
    def title_html(self) -> str | None:
        """The title with its marks, when a term occurs in it."""
        return next((h.html for h in self.highlights if h.field == "title"), None)

    @property
    def snippets(self) -> list[Highlight]:
        """The body snippets (everything but the title)."""
        return [h for h in self.highlights if h.field != "title"]


@dataclass(frozen=True)
class FacetValue:
    """A facet value (the stable key filters use), its label and how many results have it."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class ActiveFilter:
    """A filter the request applies, with the label to show on its chip."""

    name: str
    value: str
    label: str


@dataclass
class SearchPage:
    """A page of results: resolved sort, the last page the result window allows, hits, facets."""

    query: str
    total: int
    page: int
    per_page: int
    sort: str
    last_page: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    filters: list[ActiveFilter] = field(default_factory=list)
    notice: Notice | None = None
    ignored_terms: list[str] = field(default_factory=list)  # words in most cases: neither counted nor ranked


@dataclass(frozen=True)
class Notice:
    """Why a search answered as it did, for the reader: a code for machines, a Chinese sentence,
    and the hot issue (code) the sentence is about, when there is one (the page links to it)."""

    code: str
    message: str
    issue: str | None = None
    query: str | None = None  # a search the notice suggests instead (the page links to it)


NO_SEARCHABLE_WORDS = Notice("no_searchable_words", "检索词中没有可检索的文字（汉字、字母或数字），"
                             "请换用描述案情或法律问题的词语，例如“拖欠工资”“高空抛物”“民法典第1254条”。")


SNIPPET_SOURCE_CHARS = 3000  # of each section, read for snippets (a 140-character window is shown)


def search(args: dict) -> SearchPage:
    """Run a validated search (SearchArgsSchema output) and load the page's cases.

    The answer depends only on the arguments, the index and the taxonomy's labels, so it is cached
    per worker under (index generation, taxonomy stamp, arguments): a repeated search costs a dict
    look-up. Anything that changes a case changes the generation.
    """
    size = current_app.config["SEARCH_PAGE_CACHE_SIZE"]
    page: SearchPage
    if size <= 0:
        page = _answer(args)
    else:
        cache = app_lru("search.pages", size)
        key = (backend().generation(), snapshot().stamp, _args_key(args))
        cached: SearchPage | None = cache.get(key)
        page = cached if cached is not None else _answer(args)
        cache[key] = page
    if page.total == 0 and page.notice is None and args.get("q", "").strip() and page.page == 1:
        record_zero_result(args["q"])
    return page


def _args_key(args: dict) -> tuple:
    """The arguments as a hashable key (lists of filter values as tuples)."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in args.items()))


def _answer(args: dict) -> SearchPage:
    """Parse, ask the engine, load the page's hits."""
    parsed = parse_query(args.get("q", ""))
    labels = _Labels()
    filters = filter_keys(args, labels)
    sort = args.get("sort") or default_sort(parsed)
    active = [ActiveFilter(n, v, labels.label(n, v)) for n, vs in filters.items() for v in vs]
    if args.get("q", "").strip() and parsed.is_empty and not parsed.excluded:  # 🍔🤮, *, (((
        return SearchPage(query=args["q"], total=0, page=args["page"], per_page=args["per_page"], sort=sort,
                          last_page=1, notice=NO_SEARCHABLE_WORDS, filters=active)
    understood = query_understanding.understand(args.get("q", ""))
    if understood.direct and not filters:
        return _named_cases_page(args, understood.case_ids, sort)
    named = [t for t in parsed.terms + parsed.synonyms if t in snapshot().topic_words]
    bridged = bridged_issues(args.get("q", ""))
    add_issue_words(parsed, topic_words(parsed.terms + parsed.synonyms)
                    + [w for w in topic_words(bridged) if len(w) >= 2])  # 美 of 医美 would match anything
    add_parts_of_unused_words(parsed)
    weigh_charge_names(parsed)
    request = SearchRequest(query=parsed, filters=filters, sort=sort, page=args["page"], per_page=args["per_page"],
                            boosts=understood.boosts() + issue_boosts(bridged)
                            + article_evidence(args.get("q", "")))
    result: SearchResult = backend().search(request)
    notice = issue_notice(bridged, "bridged_to_issue") if bridged else issue_notice(named, "hot_issue_named")
    hits = load_hits(result.ids, parsed.highlight_terms())
    facets = {name: [FacetValue(v, labels.label(name, v), n) for v, n in _in_reading_order(name, values)]
              for name, values in result.facets.items()}
    return SearchPage(query=args.get("q", ""), total=result.total, page=request.page, per_page=request.per_page,
                      sort=sort, last_page=last_page(result.total, request.per_page), hits=hits, facets=facets,
                      filters=active, notice=notice if result.total else None,
                      ignored_terms=[t for t in result.ignored if t in parsed.terms])  # words the reader typed


def _named_cases_page(args: dict, ids: list[int], sort: str) -> SearchPage:
    """The cases a query of case numbers names, alone: the reader looked a case up, not a word."""
    quoted = f'"{normalize_query(args["q"]).strip()}"'
    notice = Notice("case_number", f"按案号找到 {len(ids)} 件案例。", query=quoted)
    shown = ids if args["page"] == 1 else []
    return SearchPage(query=args["q"], total=len(ids), page=args["page"], per_page=args["per_page"], sort=sort,
                      last_page=1, hits=load_hits(shown, []), notice=notice)


def load_hits(ids: list[int], terms: list[str]) -> list[Hit]:
    """The hits for `ids`, in that order: only the columns a results page shows (three queries), and
    the opening SNIPPET_SOURCE_CHARS of each section for the snippets — not 20 whole cases."""
    if not ids:
        return []
    hit_rows, tag_rows, section_rows = _hit_statements()
    rows = {r.id: r for r in db.session.execute(hit_rows, {"ids": ids})}
    tags: dict[int, list[tuple[int, str, Tag]]] = {i: [] for i in rows}
    for case_id, scheme, code, name, position in db.session.execute(tag_rows, {"ids": list(rows)}):
        tags[case_id].append((position, scheme, Tag(code, name)))
    sections: dict[int, list[tuple[str, str]]] = {i: [] for i in rows}
    for case_id, kind, text in db.session.execute(section_rows, {"ids": list(rows)}):
        sections[case_id].append((kind, text))
    return [_hit(rows[i], sorted(tags[i], key=lambda t: t[0]), sections[i], terms) for i in ids if i in rows]


@functools.cache
def _hit_statements() -> tuple:
    """load_hits' three selects, built once (the ids are bound per request): building them anew
    cost ≈ 0.7 ms of every uncached search."""
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    hit_rows = (select(Case.id, Case.source_id, Case.title, Case.summary, Case.case_type, Case.document_number,
                       Case.published_date, Case.judgment_date, Issuer.name.label("issuer_name"),
                       Issuer.kind.label("issuer_kind"))
                .join(Issuer, Issuer.id == Case.issuer_id).where(Case.id.in_(ids), Case.is_listed))
    tag_rows = (select(CaseTag.case_id, TaxonomyTerm.scheme, TaxonomyTerm.code, TaxonomyTerm.name,
                       TaxonomyTerm.position)
                .join(TaxonomyTerm, TaxonomyTerm.id == CaseTag.term_id).where(CaseTag.case_id.in_(ids)))
    section_rows = (select(CaseSection.case_id, CaseSection.kind,
                           func.substr(CaseSection.text, 1, SNIPPET_SOURCE_CHARS))
                    .where(CaseSection.case_id.in_(ids)).order_by(CaseSection.case_id, CaseSection.position))
    return hit_rows, tag_rows, section_rows


def _in_reading_order(name: str, values: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Facet values as a reader scans them: years newest first; everything else largest first (as given)."""
    if name == "year":
        return sorted(values, key=lambda item: item[0], reverse=True)
    return values


def filter_keys(args: dict, labels: _Labels | None = None) -> dict[str, list[str]]:
    """The request's filters as the index keys them (a term or an issuer may be given by name)."""
    labels = labels or _Labels()
    return {name: labels.keys(name, args[name]) for name in FACETS + FILTER_ONLY if args.get(name)}


def last_page(total: int, per_page: int) -> int:
    """The last page a reader can open: the result count, capped by the result window."""
    return max(1, min(-(-total // per_page), RESULT_WINDOW // per_page))


# An issuer id as the index keys it: ASCII digits that fit a database integer ("²".isdigit() is true).
_ISSUER_ID = re.compile(r"[1-9][0-9]{0,17}")


class _Labels:
    """Facet keys ⇄ display labels: terms by code, issuers by id (both renamable), kinds by code."""

    def __init__(self):
        self._taxonomy = snapshot()
        self._issuers: dict[str, str] = {}

    def keys(self, name: str, values: list[str]) -> list[str]:
        """Filter values as the index stores them; a term or issuer may also be given by its name."""
        if name in ("hot_issue", "law_topic"):
            known, codes = self._taxonomy.names, self._taxonomy.codes
            return list(dict.fromkeys(v if (name, v) in known else codes.get((name, v), v) for v in values))
        if name == "issuer":
            names = [v for v in values if not _ISSUER_ID.fullmatch(v)]
            found = db.session.execute(select(Issuer.name, Issuer.id).where(Issuer.name.in_(names))).all()
            ids = [str(i) for _, i in found]
            unknown = [v for v in names if v not in {n for n, _ in found}]  # kept: they match nothing, as asked
            return list(dict.fromkeys([v for v in values if _ISSUER_ID.fullmatch(v)] + ids + unknown))
        return values

    def label(self, name: str, value: str) -> str:
        """What a person reads for a facet value."""
        if name in ("hot_issue", "law_topic"):
            return self._taxonomy.names.get((name, value), value)
        if name == "issuer_kind":
            return ISSUER_KIND_SHORT.get(value) or ISSUER_KINDS.get(value, value)
        if name == "issuer":
            if not self._issuers:  # one query for every issuer label of the page
                self._issuers = {str(i): n for i, n in db.session.execute(select(Issuer.id, Issuer.name))}
            return self._issuers.get(value, value)
        return value


_DIGITS = re.compile(r"\d{4,}")


def record_zero_result(raw: str) -> None:
    """Count a query that found nothing (digit runs masked); never lets a failure reach the user."""
    text = _DIGITS.sub("#", " ".join(raw.split()))[:200]
    try:
        row = db.session.scalar(select(ZeroResultQuery).filter_by(query=text))
        if row is None:
            db.session.add(ZeroResultQuery(query=text, count=1))
        else:
            row.count += 1
            row.last_seen = func.now()
        db.session.commit()
    except SQLAlchemyError:  # a concurrent insert of the same text, or a read-only database
        db.session.rollback()
        log.info("zero-result query not recorded")


def zero_results(limit: int = 50) -> list[ZeroResultQuery]:
    """The most frequent queries that found nothing."""
    return list(db.session.scalars(
        select(ZeroResultQuery).order_by(ZeroResultQuery.count.desc(), ZeroResultQuery.last_seen.desc()).limit(limit)))


def similar_cases(case: Case, limit: int = 5) -> list[Case]:
    """The published cases most similar in content to `case`, best first."""
    try:
        ids = backend().similar(case.id, limit + 5)  # a few spare in case some are unpublished
    except SearchUnavailable as exc:  # the case page still works while the engine is down
        log.warning("similar cases unavailable: %s", exc)
        return []
    rows = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    return [rows[i] for i in ids if i in rows and rows[i].is_public][:limit]


def topic_words(terms: list[str]) -> list[str]:
    """A hot issue's own keywords when its name is typed (消费维权 → 消费者权益 …): names are labels,
    the cases use the words of the issue's rules."""
    table = snapshot().topic_words
    words = [w for term in terms for w in table.get(term, ())]
    return [w for w in dict.fromkeys(words) if w not in terms]


ISSUE_WORD_WEIGHT = 0.3  # score factor of an issue's keywords searched for it: the reader's own words weigh 1


def add_issue_words(parsed, words: list[str]) -> None:
    """Search a hot issue's keywords beside the query's words, weighted ISSUE_WORD_WEIGHT: dozens of
    rule words must not outweigh the few the reader typed (or the synonyms of those)."""
    new = [w for w in dict.fromkeys(words) if w not in parsed.terms and w not in parsed.synonyms]
    parsed.synonyms += new
    parsed.weights.update(dict.fromkeys(new, ISSUE_WORD_WEIGHT))


ARTICLE_EVIDENCE_ARTICLES = 3  # 问法条's best articles for a question whose citing cases score higher
ARTICLE_EVIDENCE_WEIGHT = 10.0  # score added for citing the best one (÷2 the second, ÷3 the third)
QUESTION_MIN_CHARS = 15  # a question told as a story, not a few keywords (those are legal words already)


def article_evidence(raw: str) -> list[Boost]:
    """Cases citing the articles that best answer a lay question score higher, without being matched
    for it: a citizen tells the story (撞了人跑了), the article names it (交通肇事后逃逸), and the cases
    deciding it cite the article. Questions only: keywords are legal words already, and the article
    search costs a second engine search."""
    from app.services.laws import ranked_article_keys

    if not current_app.config["SEARCH_ARTICLE_EVIDENCE"]:
        return []
    if len(re.sub(r"[^0-9A-Za-z\u3400-\u9fff]", "", normalize_query(raw or ""))) < QUESTION_MIN_CHARS:
        return []
    keys = ranked_article_keys(raw, ARTICLE_EVIDENCE_ARTICLES)
    return [Boost("article", (key,), ARTICLE_EVIDENCE_WEIGHT / (rank + 1), matching=False)
            for rank, key in enumerate(keys)]


CHARGE_WEIGHT = 2.0  # score factor of a criminal charge's name among the query's words


def weigh_charge_names(parsed) -> None:
    """A charge's name (交通肇事, 诈骗, or the 诈骗 that 被骗 stands for) weighs CHARGE_WEIGHT: in a question
    told as a story it names what the story is legally about, among words (死亡, 家属) any case may use.
    Dev nDCG@10 0.806 → 0.824 at 1.5, 2 and 3 alike (docs/benchmarks.md)."""
    charges = charge_words()
    for word in parsed.terms + parsed.synonyms:
        if word in charges:
            parsed.weights[word] = parsed.weights.get(word, 1.0) * CHARGE_WEIGHT


WORD_PART_WEIGHT = 0.5  # score factor of the parts of a typed compound no case contains
MAX_UNUSED_WORDS = 3  # compounds of one query checked against the library (one engine count each, cached)


def add_parts_of_unused_words(parsed) -> None:
    """A compound the reader typed that no listed case contains (校园欺凌) searches its parts (校园, 欺凌)
    at WORD_PART_WEIGHT: the cases may say 校园 and 欺负 without ever saying 校园欺凌."""
    long_words = [t for t in parsed.terms if len(t) >= 3][:MAX_UNUSED_WORDS]
    for word in long_words:
        if _in_library(word):
            continue
        parts = [p for p in index_tokens(word) if p != word and len(p) >= 2
                 and p not in parsed.terms and p not in parsed.synonyms]
        parsed.synonyms += parts
        parsed.weights.update(dict.fromkeys(parts, WORD_PART_WEIGHT))


MAX_BRIDGED_PHRASES = 3  # phrases of one query checked against the library (one engine count each)
ISSUE_BOOST = 20.0  # score added to a case tagged with an issue the query names in words no case uses


def bridged_issues(raw: str) -> list[str]:
    """Hot issues (names) a query names by one of their keywords or description phrases that no
    listed case contains: the reader's word for the issue (医疗纠纷, 校园欺凌, 知假买假), so the issue's
    own keywords are searched for it. A phrase the cases do use is left to match as typed."""
    text = normalize_query(raw or "")
    table = snapshot().issue_phrases
    whole = sorted((p for p in table if p in text), key=len, reverse=True)
    # A word of the query that is a word of a phrase (欺凌 of 校园欺凌) stands for it too, where no case
    # uses the word; a word the synonym list already translates (酒驾) is left to it.
    inside = [t for t in query_tokens(text) if len(t) >= 2 and t not in synonyms()
              and not any(t in p for p in whole)]
    partial = {t: [p for p in table if t in _words_of(p)] for t in inside}
    candidates = [(p, table[p]) for p in whole] + [
        (t, tuple(dict.fromkeys(n for p in phrases for n in table[p]))) for t, phrases in partial.items() if phrases]
    names = [name for phrase, issues in candidates[:MAX_BRIDGED_PHRASES] if not _in_library(phrase)
             for name in issues]
    return list(dict.fromkeys(names))


def issue_notice(names: list[str], code: str) -> Notice | None:
    """Say that the query was read as a hot issue (the first named), and how many cases the issue holds."""
    taxonomy = snapshot()
    issue = next((taxonomy.codes[("hot_issue", n)] for n in names if ("hot_issue", n) in taxonomy.codes), None)
    if issue is None:
        return None
    name = taxonomy.names[("hot_issue", issue)]
    count = _count_once_per_generation(SearchRequest(query=parse_query(""), filters={"hot_issue": [issue]},
                                                     per_page=1, with_facets=False), ("issue", issue))
    if code == "bridged_to_issue":
        lead = f"案例原文中没有这样的说法，已按热点问题“{name}”的关键词检索"
    else:
        lead = f"“{name}”也是一个热点问题，结果还包括含该热点问题关键词的案例"
    return Notice(code, f"{lead}；归入热点问题“{name}”的案例共 {count} 件。", issue)


def issue_boosts(names: list[str]) -> list[Boost]:
    """Cases tagged with a bridged hot issue: ISSUE_BOOST each (a case in two of them, more)."""
    codes = snapshot().codes
    found = [codes[("hot_issue", n)] for n in names if ("hot_issue", n) in codes]
    return [Boost("hot_issue", (code,), ISSUE_BOOST) for code in found]


@functools.lru_cache(maxsize=4096)
def _words_of(phrase: str) -> frozenset[str]:
    """The words a phrase segments into, with their sub-words (校园欺凌 → 校园, 欺凌, 校园欺凌)."""
    return frozenset(index_tokens(phrase))


def _in_library(phrase: str) -> bool:
    """Whether some listed case contains the phrase as text."""
    parsed = parse_query(f'"{phrase}"')
    if not parsed.phrases:
        return False
    request = SearchRequest(query=parsed, per_page=1, with_facets=False)
    return _count_once_per_generation(request, ("phrase", phrase)) > 0


def _count_once_per_generation(request: SearchRequest, key: tuple) -> int:
    """A count the query path asks for on most searches (a phrase in the library, an issue's size):
    the same until the index changes, so asked of the engine once per index generation and worker."""
    return app_memo("search.counts", 4096, (backend().generation(), *key), lambda: backend().search(request).total)


def default_sort(parsed) -> str:
    """Relevance when something positive is asked for, newest first when browsing (exclusions only too)."""
    return "date" if parsed.is_empty else "relevance"


def _hit(row, tags: list[tuple[int, str, Tag]], sections: list[tuple[str, str]], terms: list[str]) -> Hit:
    """One search hit with its highlights, from the columns load_hits read."""
    summary = row.summary or next((t for k, t in sections if k == "holding"), "")
    highlights = []
    title_html = highlight_title(row.title, terms)
    if title_html:
        highlights.append(Highlight("title", title_html))
    highlights += [Highlight(h["field"], h["html"]) for h in snippets(sections, terms)]
    return Hit(
        id=row.id, source_id=row.source_id, title=row.title, summary=summary[:300], case_type=row.case_type,
        issuer=IssuerRef(row.issuer_name, row.issuer_kind), document_number=row.document_number,
        published_date=row.published_date, judgment_date=row.judgment_date,
        hot_issues=[t for _, scheme, t in tags if scheme == "hot_issue"],
        law_topics=[t for _, scheme, t in tags if scheme == "law_topic"], highlights=highlights,
    )

