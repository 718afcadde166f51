"""Snippets with <mark> on the original text: escaped, never showing segmentation spaces."""
from __future__ import annotations

import re

from markupsafe import Markup, escape

from indexer.analysis import normalize

SNIPPET_WIDTH = 140
MAX_SNIPPETS = 2
# Folding (normalize) maps nothing onto these, so terms made only of them can be found in
# the original text directly, without normalising whole judgments for every hit.
_PLAIN_CJK = re.compile(r"[\u4e00-\u9fff]+")


def _searchable(text: str, terms: list[str]) -> str:
    """The text to search terms in: the original when every term is plain CJK, else normalised."""
    if all(_PLAIN_CJK.fullmatch(term) for term in terms):
        return text
    return normalize(text)


def _spans(normalized: str, terms: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of term occurrences; `terms` longest first wins overlaps."""
    taken: list[tuple[int, int]] = []
    for term in terms:
        start = normalized.find(term)
        while start != -1:
            end = start + len(term)
            if all(end <= a or start >= b for a, b in taken):
                taken.append((start, end))
            start = normalized.find(term, start + 1)
    return sorted(taken)


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> Markup:
    """HTML for text[start:end] with spans wrapped in <mark>, everything else escaped."""
    end = len(text) if end is None else end
    out, pos = [], start
    for a, b in spans:
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        out += [escape(text[pos:a]), Markup("<mark>"), escape(text[a:b]), Markup("</mark>")]
        pos = b
    out.append(escape(text[pos:end]))
    return Markup("").join(out)


def _best_window(text: str, spans: list[tuple[int, int]], terms_of: dict) -> tuple[int, int, int]:
    """(distinct terms, start, end) of the window around a span covering most distinct terms."""
    best = (0, 0, min(len(text), SNIPPET_WIDTH))
    for a, _ in spans:
        start = max(0, a - SNIPPET_WIDTH // 4)
        end = min(len(text), start + SNIPPET_WIDTH)
        distinct = len({terms_of[s] for s in spans if s[0] >= start and s[1] <= end})
        if distinct > best[0]:
            best = (distinct, start, end)
    return best


def highlight_title(title: str, terms: list[str]) -> str | None:
    """The title as HTML with marks, or None if no term occurs in it."""
    spans = _spans(_searchable(title, terms), terms)
    return str(mark(title, spans)) if spans else None


def snippets(sections: list[tuple[str, str]], terms: list[str], limit: int = MAX_SNIPPETS) -> list[dict]:
    """Up to `limit` snippets [{field, html}] from (kind, text) sections, best first."""
    if not terms:
        return []
    candidates = []
    for order, (kind, text) in enumerate(sections):
        normalized = _searchable(text, terms)
        spans = _spans(normalized, terms)
        if not spans:
            continue
        terms_of = {s: normalized[s[0]:s[1]] for s in spans}
        distinct, start, end = _best_window(text, spans, terms_of)
        html = ("…" if start > 0 else "") + str(mark(text, spans, start, end)) + ("…" if end < len(text) else "")
        html = html.replace("\n", " ")
        candidates.append((-distinct, order, {"field": kind, "html": html}))
    return [c[2] for c in sorted(candidates, key=lambda c: c[:2])[:limit]]
