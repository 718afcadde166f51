"""What the public pages list: hot-issue tiles, the law-topic tree, newest cases, issuer kinds."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.caches import app_lru, app_memo
from app.models import ISSUER_KIND_SHORT, ISSUER_KINDS
from app.services import search as search_service
from app.services.law_status import repeal_of
from app.services.taxonomy import all_terms
from indexer.backends.base import SearchUnavailable
from legaltext.citations import PREFIX, law_departments

# The issuing-body kinds the home page offers as entries (法院、检察院、监察机关、行政执法机关、司法行政机关).
HOME_ISSUER_KINDS = ("court", "procuratorate", "supervisory", "enforcement", "judicial_admin")
LAWS_PER_TOPIC = 8


@dataclass
class TopicNode:
    """A legal department with its case count and its most-cited laws."""

    term: object
    count: int
    laws: list[tuple[str, int]] = field(default_factory=list)


def _counts(facets: dict, name: str) -> dict[str, int]:
    """Facet counts of one facet as {value: count}."""
    return {item.value: item.count for item in facets.get(name, [])}


def overview() -> dict:
    """Everything the home page shows; computed once per index generation (counts change only then)."""
    cache = app_lru("home-overview", maxsize=1)
    try:
        key = search_service.backend().generation()
    except SearchUnavailable:
        if cache:  # engine down: the home page shows the last counts it had
            return next(iter(cache.values()))
        raise
    return app_memo("home-overview", 1, key, _compute_overview)


def _compute_overview() -> dict:
    """One browse query over all published cases, grouped for the home page."""
    page = search_service.search({"q": "", "page": 1, "per_page": 6, "sort": "date"})
    terms = all_terms()
    hot_counts = _counts(page.facets, "hot_issue")
    topic_counts = _counts(page.facets, "law_topic")
    kind_counts = _counts(page.facets, "issuer_kind")
    return {
        "total": page.total,
        "newest": page.hits,
        "hot_issues": [(t, hot_counts.get(t.code, 0)) for t in terms if t.scheme == "hot_issue"],
        "law_topics": law_tree(terms, topic_counts, _counts(page.facets, "law")),
        "issuer_kinds": [(k, ISSUER_KIND_SHORT[k], kind_counts.get(k, 0)) for k in HOME_ISSUER_KINDS],
    }


def law_tree(terms, topic_counts: dict[str, int], law_counts: dict[str, int]) -> list[TopicNode]:
    """Departments in taxonomy order, each with its most-cited laws in force (法律部门 → 法律).

    Repealed laws (合同法, 民法通则 …) are cited by many older cases, but a reader browsing by law
    wants the law that applies now; their cases are reached through the successor's page and search.
    """
    departments = law_departments()
    nodes = []
    for term in (t for t in terms if t.scheme == "law_topic"):
        laws = sorted(((law, n) for law, n in law_counts.items()
                       if departments.get(law) == term.name and repeal_of(PREFIX + law) is None
                       and repeal_of(law) is None), key=lambda item: -item[1])
        nodes.append(TopicNode(term, topic_counts.get(term.code, 0), laws[:LAWS_PER_TOPIC]))
    return nodes


def term_by_code(scheme: str, code: str):
    """A taxonomy term by scheme and code, or None."""
    return next((t for t in all_terms() if t.scheme == scheme and t.code == code), None)


def term_by_name(scheme: str, name: str):
    """A taxonomy term by scheme and name, or None."""
    return next((t for t in all_terms() if t.scheme == scheme and t.name == name), None)


def issuer_kind_label(kind: str) -> str:
    """Chinese label of an issuer kind."""
    return ISSUER_KIND_SHORT.get(kind) or ISSUER_KINDS.get(kind, kind)
