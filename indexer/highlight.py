"""Snippets with <mark> on the original text: escaped, never showing segmentation spaces."""
from __future__ import annotations

import bisect
import functools
import html
import re
from collections.abc import Sequence

from markupsafe import Markup

from indexer.analysis import normalize

SNIPPET_WIDTH = 140
MAX_SNIPPETS = 2
MAX_SPANS = 100  # per section: plenty to choose the best window from
# Folding (normalize) maps nothing onto these, so terms made only of them can be found in
# the original text directly, without normalising whole judgments for every hit.
_PLAIN_CJK = re.compile(r"[\u4e00-\u9fff]+")


def _searchable(text: str, terms: Sequence[str]) -> str:
    """The text to search terms in: the original when every term is plain CJK, else normalised."""
    return text if _all_plain_cjk(tuple(terms)) else normalize(text)


@functools.lru_cache(maxsize=1024)
def _all_plain_cjk(terms: tuple[str, ...]) -> bool:
    """Whether every term is plain CJK (asked for each section of every hit, with the same terms)."""
    return all(_PLAIN_CJK.fullmatch(term) for term in terms)


def _spans(normalized: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of term occurrences; `terms` longest first wins overlaps.

    Overlaps are checked on an occupancy map, so long judgments full of a common term stay
    linear (a list of taken spans made this quadratic: 40 % of search time at 10k cases).
    """
    occupied = bytearray(len(normalized))
    taken: list[tuple[int, int]] = []
    for term in terms:
        start = normalized.find(term)
        while start != -1 and len(taken) < MAX_SPANS:
            end = start + len(term)
            if occupied.find(1, start, end) == -1:
                occupied[start:end] = b"\x01" * (end - start)
                taken.append((start, end))
            start = normalized.find(term, start + 1)
    return sorted(taken)


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> Markup:
    """HTML for text[start:end] with spans wrapped in <mark>, everything else escaped.

    Built as one str with html.escape and wrapped once: a Markup object per fragment cost
    ≈ 8 % of an uncached search request at 100k cases (cProfile, bench/profile_search.py).
    """
    end = len(text) if end is None else end
    out, pos = [], start
    first = max(0, bisect.bisect_left(spans, (start, start)) - 1)  # spans are sorted: skip to the window
    for a, b in spans[first:]:
        if a >= end:
            break
        if b <= start:
            continue
        a, b = max(a, start), min(b, end)
        out += [html.escape(text[pos:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        pos = b
    out.append(html.escape(text[pos:end]))
    return Markup("".join(out))


def _best_window(text: str, spans: list[tuple[int, int]], terms_of: dict,
                 most: int | None = None) -> tuple[int, int, int]:
    """(distinct terms, start, end) of the window around a span covering most distinct terms.

    Windows start a quarter width before each span; two pointers keep the terms inside the
    current window counted, so this is linear in the number of spans. A window holding `most`
    distinct terms (all the text has) cannot be beaten by a later one: the search stops there.
    """
    best = (0, 0, min(len(text), SNIPPET_WIDTH))
    counts: dict[str, int] = {}
    left = right = 0  # spans[left:right] lie inside the current window
    for a, _ in spans:
        start = max(0, a - SNIPPET_WIDTH // 4)
        end = min(len(text), start + SNIPPET_WIDTH)
        while right < len(spans) and spans[right][1] <= end:
            term = terms_of[spans[right]]
            counts[term] = counts.get(term, 0) + 1
            right += 1
        while left < right and spans[left][0] < start:
            term = terms_of[spans[left]]
            counts[term] -= 1
            if not counts[term]:
                del counts[term]
            left += 1
        if len(counts) > best[0]:
            best = (len(counts), start, end)
            if best[0] == most:
                break
    return best


@functools.lru_cache(maxsize=1024)
def _marking_order(terms: tuple[str, ...]) -> tuple[str, ...]:
    """Longest first (a longer term wins an overlap), ties alphabetical: terms of equal length
    that overlap (刑事 and 事责 in 刑事责任) must be marked alike whatever order they came in
    (a set's order differs between worker processes, and so did the snippets)."""
    return tuple(sorted(dict.fromkeys(terms), key=lambda term: (-len(term), term)))


def highlight_title(title: str, terms: Sequence[str]) -> str | None:
    """The title as HTML with marks, or None if no term occurs in it."""
    ordered = _marking_order(tuple(terms))
    spans = _spans(_searchable(title, ordered), ordered)
    return str(mark(title, spans)) if spans else None


def snippets(sections: list[tuple[str, str]], terms: Sequence[str], limit: int = MAX_SNIPPETS) -> list[dict]:
    """Up to `limit` snippets [{field, html}] from (kind, text) sections, best first.

    Sections rank by the distinct terms of their best window, then by order. A section cannot
    hold more distinct terms than occur in it (a cheap `in` test), so one that could at most tie
    the `limit` best so far is skipped before its spans and windows are worked out (they were a
    third of an uncached search request at 100k cases).
    """
    if not terms:
        return []
    ordered = _marking_order(tuple(terms))
    candidates: list[tuple] = []
    for order, (kind, text) in enumerate(sections):
        normalized = _searchable(text, ordered)
        present = [term for term in ordered if term in normalized]
        if len(candidates) >= limit and len(present) <= -sorted(c[0] for c in candidates)[limit - 1]:
            continue  # ties go to the earlier section: this one cannot be shown
        spans = _spans(normalized, present)
        if spans:
            terms_of = {s: normalized[s[0]:s[1]] for s in spans}
            distinct, start, end = _best_window(text, spans, terms_of, len(present))
            candidates.append((-distinct, order, kind, text, spans, start, end))
    best = sorted(candidates, key=lambda c: c[:2])[:limit]  # HTML only for the snippets shown
    return [{"field": kind, "html": _snippet_html(text, spans, start, end)}
            for _, _, kind, text, spans, start, end in best]


def _snippet_html(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """One snippet: the window with marks, ellipses where the text goes on, on one line."""
    html = ("…" if start > 0 else "") + str(mark(text, spans, start, end)) + ("…" if end < len(text) else "")
    return html.replace("\n", " ")
