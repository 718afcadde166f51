"""The SearchBackend protocol and the value objects that cross it."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from indexer.documents import SearchDocument
from indexer.query import ParsedQuery

# The deepest result a search may reach (page × per page): nobody reads further, and engines refuse it.
RESULT_WINDOW = 10_000


class SearchUnavailable(RuntimeError):
    """The engine cannot answer now (down, locked, missing index)."""


class IndexBusy(SearchUnavailable):
    """Another writer (a drain or a rebuild) holds the index's writer lock."""


class QueryTooExpensive(SearchUnavailable):
    """A search ran past its time budget in the engine and was cut off."""


# A boost this large puts its documents above every other: BM25 scores of the longest query stay
# far below it (measured maximum on the seed library ≈ 200), and float32 still resolves 0.001 at it.
PROMOTE = 10_000.0


@dataclass(frozen=True)
class Boost:
    """Documents whose `field` holds one of `values` get `weight` added to their score.

    `field` is "id" (case ids) or the name of a facet or filter-only field (article=中华人民共和国民法典:1254).
    A boosted document matches even without a free term (phrases, exclusions and filters still apply);
    a weight of PROMOTE ranks it above every document without one (query understanding's "first").
    With `matching=False` the boost only adds to the score of documents the query matches anyway
    (evidence for a case, such as its authority, that must not change what is counted).
    """

    field: str
    values: tuple[str, ...]
    weight: float
    matching: bool = True


@dataclass
class SearchRequest:
    """A validated search: parsed query, facet filters, boosts, sort and page."""

    query: ParsedQuery
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"  # or "date"
    page: int = 1
    per_page: int = 20
    with_facets: bool = True
    boosts: list[Boost] = field(default_factory=list)


@dataclass
class SearchResult:
    """Case ids in rank order for the page, the exact total, and facet counts."""

    total: int
    ids: list[int]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # free terms too common to count or rank (COMMON_SHARE)


class SearchBackend(Protocol):
    """What every engine implements; the contract tests run against each."""

    def index_many(self, docs: Iterable[SearchDocument]) -> int:
        """Add or replace documents; return how many."""

    def delete_many(self, ids: Iterable[int]) -> int:
        """Remove documents by case id (missing ids are ignored); return how many asked."""

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search."""

    def similar(self, doc_id: int, limit: int = 5) -> list[int]:
        """Ids of the documents most similar in content to `doc_id` (itself excluded)."""

    def rebuild(self, docs: Iterable[SearchDocument], progress: Callable[[int], None] | None = None) -> int:
        """Build a fresh index beside the live one from `docs`, then swap it in."""

    def analysis_version(self) -> str | None:
        """The analysis version the live index was built with (rebuild when it differs)."""

    def generation(self) -> tuple:
        """A value that changes whenever the live index changes (for caches of derived answers)."""

    def count(self) -> int:
        """Number of documents in the live index."""

    def health(self) -> dict:
        """Engine state for /healthz: {"ok": bool, ...}."""

    def locked(self, wait: bool = True):
        """Context manager serialising writers (drains, rebuilds); wait=False raises IndexBusy at once."""

    def cleanup(self) -> list[str]:
        """Delete what killed rebuilds left behind (indexes not live and not being written); their names."""
