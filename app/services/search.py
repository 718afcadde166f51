"""Search: query analysis → backend → ids in rank order → rows from the database."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Case, ZeroResultQuery
from app.services.cases import tag_list
from app.services.taxonomy import all_terms
from indexer.analysis import normalize_query, query_tokens
from indexer.backends.base import SearchRequest, SearchResult, SearchUnavailable
from indexer.backends.elastic import ElasticBackend
from indexer.backends.engine_client import CLIENTS, ConnectionSettings
from indexer.documents import FACETS, FILTER_ONLY, build_document
from indexer.highlight import highlight_title, snippets
from indexer.query import parse_query

log = logging.getLogger(__name__)


def make_backend(config):
    """The backend named by SEARCH_BACKEND."""
    name = config["SEARCH_BACKEND"]
    if name == "embedded":
        from indexer.backends.fts5 import Fts5Backend

        return Fts5Backend(config["SEARCH_INDEX_PATH"])
    if name in CLIENTS:
        settings = ConnectionSettings(
            url=config["SEARCH_URL"], username=config["SEARCH_USERNAME"], password=config["SEARCH_PASSWORD"],
            api_key=config["SEARCH_API_KEY"], ca_certs=config["SEARCH_CA_CERTS"],
            verify_certs=config["SEARCH_VERIFY_CERTS"], timeout=config["SEARCH_TIMEOUT"],
        )
        return ElasticBackend(CLIENTS[name](settings), prefix=config["SEARCH_INDEX_PREFIX"],
                              lock_path=config["SEARCH_LOCK_PATH"], shards=config["SEARCH_SHARDS"],
                              replicas=config["SEARCH_REPLICAS"])
    raise ValueError(f"unknown SEARCH_BACKEND {name!r} (embedded, opensearch or elasticsearch)")


def backend():
    """This app's backend instance."""
    return current_app.extensions["search"]


# ---- answering searches ---------------------------------------------------------------------
@dataclass
class SearchPage:
    """A page of results ready for dumping: cases in rank order with their highlights."""

    total: int
    page: int
    per_page: int
    hits: list[dict] = field(default_factory=list)
    facets: dict = field(default_factory=dict)


def search(args: dict) -> SearchPage:
    """Run a validated search (SearchArgsSchema output) and load the page's cases."""
    parsed = parse_query(args.get("q", ""))
    parsed.synonyms += topic_words(parsed.terms + parsed.synonyms)
    filters = {name: args[name] for name in FACETS + FILTER_ONLY if args.get(name)}
    request = SearchRequest(query=parsed, filters=filters, sort=args.get("sort") or _default_sort(parsed),
                            page=args["page"], per_page=args["per_page"])
    result: SearchResult = backend().search(request)
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(result.ids)))} if result.ids else {}
    terms = parsed.highlight_terms()
    hits = [_hit(cases[i], terms) for i in result.ids if i in cases and cases[i].is_public]
    facets = {name: [{"value": v, "count": n} for v, n in values] for name, values in result.facets.items()}
    if result.total == 0 and not parsed.is_empty and request.page == 1:
        record_zero_result(parsed.raw)
    return SearchPage(result.total, request.page, request.per_page, hits, facets)


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
    topics = {normalize_query(t.name): t for t in all_terms() if t.scheme == "hot_issue"}
    words = []
    for term in terms:
        if term in topics:
            for keyword in topics[term].rules.get("keywords", []):
                words += query_tokens(normalize_query(keyword))
    return [w for w in dict.fromkeys(words) if w not in terms]


def _default_sort(parsed) -> str:
    """Relevance when there is a query, newest first when browsing."""
    return "date" if parsed.is_empty else "relevance"


def _hit(case: Case, terms: list[str]) -> dict:
    """One search hit with its highlights."""
    sections = [(s.kind, s.text) for s in case.sections]
    summary = case.summary or next((t for k, t in sections if k == "holding"), "")
    highlights = []
    title_html = highlight_title(case.title, terms)
    if title_html:
        highlights.append({"field": "title", "html": title_html})
    highlights += snippets(sections, terms)
    return {
        "id": case.id,
        "source_id": case.source_id,
        "title": case.title,
        "summary": summary[:300],
        "case_type": case.case_type,
        "issuer": {"name": case.issuer.name, "kind": case.issuer.kind},
        "document_number": case.document_number,
        "published_date": case.published_date,
        "judgment_date": case.judgment_date,
        "hot_issues": [t["name"] for t in tag_list(case, "hot_issue")],
        "law_topics": [t["name"] for t in tag_list(case, "law_topic")],
        "highlights": highlights,
    }
