"""User query text → ParsedQuery: free terms, quoted phrases and exclusions.

Free terms match if any of them occurs (BM25 ranks cases with more and rarer terms first:
measured on the dev set, requiring every term lost 0.03–0.07 nDCG@10, since lay questions
mix in words the cases never use); phrases are required and exact; exclusions remove.

Syntax: "正当防卫" (also “正当防卫”) is a phrase, -醉驾 or -"醉酒驾驶" excludes. Nothing else
is syntax: every character a user types ends up as quoted tokens for the engine, so no
query string can raise an engine error or change the query's structure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.analysis import cut, expand, normalize_query, query_tokens

MAX_TERMS = 32
# Each phrase and each exclusion is an exact-text check over the cases it touches: a few are plenty,
# and a query of dozens (-"的是" -"的是" …) must not tie up a worker.
MAX_PHRASES = 5
MAX_EXCLUSIONS = 5
_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "『": '"', "』": '"'})
_CHUNK = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORDLIKE = re.compile(r"[0-9a-z\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Phrase:
    """A quoted phrase or excluded word: its normalised text and its tokens."""

    text: str
    tokens: tuple[str, ...]


@dataclass
class ParsedQuery:
    """The analysed form of a user query."""

    raw: str = ""
    terms: list[str] = field(default_factory=list)
    synonyms: list[str] = field(default_factory=list)  # legal terms for everyday words, matched like terms
    # Score factor of a term or synonym (default 1): words the reader did not type, such as a hot
    # issue's keywords searched for its name, count for less than the reader's own.
    weights: dict[str, float] = field(default_factory=dict)
    phrases: list[Phrase] = field(default_factory=list)
    excluded: list[Phrase] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when nothing positive is asked for (browse, or exclusions only)."""
        return not self.terms and not self.phrases

    def highlight_terms(self) -> list[str]:
        """Strings to mark in snippets, longest first so overlapping marks prefer the longer."""
        words = set(self.terms) | set(self.synonyms) | {p.text for p in self.phrases}
        return sorted((w for w in words if w.strip()), key=len, reverse=True)


def _phrase(text: str) -> Phrase | None:
    """A phrase from normalised text, or None if it has no searchable token."""
    text = text.strip()
    if _CJK.search(text):  # 醉酒 驾驶 means 醉酒驾驶: Chinese text has no spaces between words
        text = re.sub(r"\s+", "", text)
    tokens = tuple(t for t in cut(text) if _WORDLIKE.search(t))
    return Phrase(text, tokens) if tokens else None


def syntax_counts(raw: str) -> tuple[int, int]:
    """(phrases, exclusions) as typed: what the cost limit counts, without segmenting."""
    text = normalize_query(raw or "").translate(_QUOTES)
    phrases = excluded = 0
    for match in _CHUNK.finditer(text):
        negative, quoted, word = match.groups()
        if quoted is not None and quoted.strip():
            excluded += bool(negative)
            phrases += not negative
        elif word and word.startswith("-") and len(word) > 1:
            excluded += 1
    return phrases, excluded


def parse_query(raw: str) -> ParsedQuery:
    """Parse user query text; never raises on any string."""
    text = normalize_query(raw or "").translate(_QUOTES)
    parsed = ParsedQuery(raw=raw or "")
    free: list[str] = []
    for match in _CHUNK.finditer(text):
        negative, quoted, word = match.groups()
        if quoted is not None:
            phrase = _phrase(quoted)
            if phrase:
                (parsed.excluded if negative else parsed.phrases).append(phrase)
        elif word.startswith("-") and len(word) > 1:
            phrase = _phrase(word[1:])
            if phrase:
                parsed.excluded.append(phrase)
        else:
            free.append(word)
    parsed.phrases = list(dict.fromkeys(parsed.phrases))[:MAX_PHRASES]  # repeats cost, never add
    parsed.excluded = list(dict.fromkeys(parsed.excluded))[:MAX_EXCLUSIONS]
    parsed.terms = query_tokens(" ".join(free))[:MAX_TERMS]
    parsed.synonyms = expand(parsed.terms, "".join(free))[:MAX_TERMS]
    parsed.excluded += _excluded_synonyms(parsed.excluded)
    return parsed


def _excluded_synonyms(excluded: list[Phrase]) -> list[Phrase]:
    """An excluded word takes its synonyms with it: -醉驾 removes every case a search for 醉驾 finds
    (醉驾, 危险驾驶, 醉酒驾驶), so the count left plus the count of 醉驾 is the whole library."""
    texts = {p.text for p in excluded}
    extra = [_phrase(t) for p in excluded for t in expand([p.text]) if t not in texts]
    return list(dict.fromkeys(p for p in extra if p is not None))
