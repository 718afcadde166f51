"""The analysis chain: the only module that imports a segmenter.

Index time: normalise, then accurate-mode jieba tokens plus every dictionary word
contained in a longer token ("fine-grained search mode"), so a query word that occurs
inside a longer indexed word (人民法院 in 最高人民法院) still matches.
Query time: normalise (also traditional → simplified), accurate-mode tokens, stop
words dropped. Both sides use the same dictionary, loaded into rjieba (jieba-rs) for
speed; tests prove rjieba gives the same tokens as Python jieba with that dictionary.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
import unicodedata
from array import array
from collections.abc import Iterator
from pathlib import Path

import marisa_trie
import rjieba

DATA = Path(__file__).resolve().parent / "data"
LEGAL_DICT = DATA / "legal_dict.txt"
STOPWORDS = DATA / "stopwords.txt"
SYNONYMS = DATA / "synonyms.txt"
CHARGES = DATA / "criminal_charges_lecardv2.txt"  # LeCaRDv2 (MIT): the 469 charges of the Criminal Law
# A token is kept for the index only if it has a letter, digit or CJK character.
_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")
MAX_SUBWORD_TOKEN = 20
# Bump when index-time analysis changes in code; dictionary changes are picked up by the hash.
ANALYSIS_REVISION = "3"  # 3: term and issuer facets keyed by code and id


@functools.lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    """Per-character NFKC + lower-case fold, only where the result stays one character.

    Covers full-width → half-width (ＡＢＣ１２３ → abc123, the ideographic space) and
    compatibility forms, while keeping offsets: normalize(text)[i] comes from text[i].
    """
    table = {}
    for code in range(0x10000):
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        folded = unicodedata.normalize("NFKC", ch).lower()
        if len(folded) == 1 and folded != ch:
            table[code] = folded
    return table


def normalize(text: str) -> str:
    """Length-preserving normalisation, so offsets in the result are offsets in `text`."""
    return text.translate(_fold_table())


@functools.lru_cache(maxsize=1)
def _t2s():
    """The OpenCC traditional → simplified converter (loaded once)."""
    import opencc

    return opencc.OpenCC("t2s")


def normalize_query(text: str) -> str:
    """Normalise user query text: full-width → half-width, lower case, traditional → simplified."""
    return normalize(_t2s().convert(text))


def dictionary_entries() -> list[tuple[str, int]]:
    """The legal user dictionary as (word, frequency) pairs."""
    entries = []
    for line in LEGAL_DICT.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, freq = line.rsplit(" ", 1)
            entries.append((word, int(freq)))
    return entries


@functools.lru_cache(maxsize=1)
def segmenter() -> rjieba.Jieba:
    """rjieba with jieba's default dictionary plus the legal user dictionary."""
    seg = rjieba.Jieba()
    for word, freq in dictionary_entries():
        seg.add_word(word, freq, None)
    return seg


@functools.lru_cache(maxsize=1)
def reference_segmenter():
    """Python jieba with the same dictionary: the reference rjieba is checked against."""
    import jieba

    jieba.setLogLevel(60)
    seg = jieba.Tokenizer()
    seg.initialize()
    for word, freq in dictionary_entries():
        seg.add_word(word, freq)
    return seg


def cut(text: str) -> list[str]:
    """Accurate-mode tokens (HMM off) of already-normalised text."""
    return segmenter().cut(text, False)


@functools.lru_cache(maxsize=1)
def _word_frequencies() -> tuple[marisa_trie.Trie, array, float]:
    """jieba's frequency table with our dictionary, and log(total), for sub-word splitting.

    The same table jieba.Tokenizer builds from its dictionary file (FREQ[word] = freq, total summed,
    add_word adding again), kept compact: a marisa trie of the words (≈ 2 MB) and their counts in
    an array indexed by the trie's key ids. As a Python dict it held ≈ 90 MB in every web worker
    once a query needed a sub-word split. Words are streamed from the file twice rather than
    gathered in a dict first, so building it never holds the 359,470 words as Python objects.
    A word whose count is 0 is kept with count 0, which _best_split treats like a missing word.
    """
    legal = dict(dictionary_entries())  # a few thousand words; they override jieba's counts
    trie = marisa_trie.Trie(itertools.chain(
        (word for word, count in _jieba_entries() if count and word not in legal),
        (word for word, count in legal.items() if count)))
    counts = array("I", bytes(array("I").itemsize * len(trie)))
    total = 0
    for word, count in _jieba_entries():
        total += count
        key = trie.get(word)
        if key is not None and word not in legal:
            counts[key] = count
    for word, count in legal.items():
        total += count
        key = trie.get(word)
        if key is not None:
            counts[key] = count
    return trie, counts, math.log(total)


def _jieba_entries() -> Iterator[tuple[str, int]]:
    """(word, count) of every line of jieba's dictionary file (jieba/dict.txt, the file
    jieba.Tokenizer reads), in file order. Found without importing jieba, whose HMM tables
    would cost every web worker ≈ 15 MB."""
    with _jieba_dict_path().open(encoding="utf-8") as lines:
        for line in lines:
            word, count = line.strip().split(" ")[:2]
            yield word, int(count)


def _jieba_dict_path() -> Path:
    """Where jieba's default dictionary is installed."""
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise RuntimeError("jieba is not installed: its dictionary (jieba/dict.txt) is needed")
    return Path(spec.origin).parent / "dict.txt"


def _best_split(token: str) -> list[str]:
    """The most probable segmentation of a dictionary word into at least two pieces.

    jieba's own dynamic programme over the word's DAG, with the whole-word edge removed:
    最高人民法院 → 最高|人民法院, never 最|高人|民法|院. This keeps sub-words that are real
    parts of the compound (人民法院, 法院) and leaves out accidental ones (民法).
    """
    words, counts, log_total = _word_frequencies()
    n = len(token)
    route: dict[int, tuple[float, int]] = {n: (0.0, n)}
    for start in range(n - 1, -1, -1):
        best: tuple[float, int] | None = None
        for end in range(start + 1, n + 1):
            if start == 0 and end == n:
                continue
            key = words.get(token[start:end])
            piece_freq = counts[key] if key is not None else 0
            if end - start > 1 and not piece_freq:
                continue
            score = math.log(piece_freq or 1) - log_total + route[end][0]
            if best is None or score > best[0]:
                best = (score, end)
        assert best is not None  # a one-character step is always allowed (callers pass ≥ 2 characters)
        route[start] = best
    pieces, start = [], 0
    while start < n:
        end = route[start][1]
        pieces.append(token[start:end])
        start = end
    return pieces


@functools.lru_cache(maxsize=200_000)
def _subwords(token: str) -> tuple[str, ...]:
    """The dictionary words a compound is made of, recursively, in order (length ≥ 2)."""
    found: list[str] = []
    for piece in _best_split(token):
        if len(piece) >= 2:
            if len(piece) > 2:
                found.extend(_subwords(piece))
            found.append(piece)
    return tuple(found)


_EXPANSIONS: dict[str, tuple[str, ...]] = {}
_MAX_EXPANSIONS = 500_000


def _expand(token: str) -> tuple[str, ...]:
    """What one accurate-mode token contributes to the index: its sub-words, then itself."""
    if not _WORDLIKE.search(token):
        return ()
    if 2 < len(token) <= MAX_SUBWORD_TOKEN:
        return _subwords(token) + (token,)
    return (token,)


def index_tokens(text: str) -> list[str]:
    """Tokens to index for a text: accurate tokens, each preceded by its sub-words."""
    out: list[str] = []
    cache = _EXPANSIONS
    for token in cut(normalize(text)):
        expansion = cache.get(token)
        if expansion is None:
            if len(cache) > _MAX_EXPANSIONS:  # numbers and names make the vocabulary open-ended
                cache.clear()
            expansion = cache[token] = _expand(token)
        out.extend(expansion)
    return out


# index_text results computed elsewhere (a bulk import's worker processes) for texts about to
# be indexed here; the importer fills and clears it around each batch.
_analysed: dict[str, str] = {}


def index_text(text: str) -> str:
    """Index tokens joined by spaces: the pre-segmented form both engines store."""
    found = _analysed.get(text)
    return found if found is not None else " ".join(index_tokens(text))


def index_texts(texts: list[str]) -> list[str]:
    """index_text of each text: one call per batch, for a process pool."""
    return [index_text(text) for text in texts]


def remember_analysed(texts: list[str], analysed: list[str]) -> None:
    """Let index_text answer for these texts with results computed in another process."""
    _analysed.update(zip(texts, analysed, strict=True))


def forget_analysed() -> None:
    """Drop the results remember_analysed() kept."""
    _analysed.clear()


@functools.lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Query stop words: function words and question phrasing with no legal content."""
    words = STOPWORDS.read_text(encoding="utf-8").split()
    return frozenset(w for w in words if not w.startswith("#"))


def query_tokens(text: str) -> list[str]:
    """Distinct content tokens of normalised query text, in order (stop words dropped).

    If every token is a stop word, they are kept: a search for 的 still searches.
    """
    tokens = [t for t in cut(text) if _WORDLIKE.search(t)]
    content = [t for t in tokens if t not in stopwords()]
    return list(dict.fromkeys(content or tokens))


@functools.lru_cache(maxsize=1)
def charge_words() -> frozenset[str]:
    """Criminal charge names as query words, with and without 罪 (交通肇事, 交通肇事罪): the legal name of what
    a story is about. A listed name joining several (生产、销售伪劣产品罪) gives its parts of four or more
    characters (销售伪劣产品); shorter parts (生产, 死亡 of …致人重伤、死亡罪) are everyday words."""
    words: set[str] = set()
    for line in CHARGES.read_text(encoding="utf-8").splitlines():
        name = line.strip().removesuffix("罪")
        parts = [p for p in name.split("、") if len(p) >= 4] if "、" in name else [name]
        for part in parts:
            if part:
                words.update((normalize(part), normalize(part + "罪")))
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def synonyms() -> dict[str, tuple[str, ...]]:
    """Query word → legal terms it stands for (query time only: editing needs no reindex)."""
    table = {}
    for line in SYNONYMS.read_text(encoding="utf-8").splitlines():
        if "=>" in line and not line.startswith("#"):
            word, terms = line.split("=>", 1)
            table[normalize(word.strip())] = tuple(normalize(t) for t in terms.split())
    return table


def expand(terms: list[str], text: str = "") -> list[str]:
    """Legal terms the query's everyday words stand for, not already among the terms.

    A word counts when it is a query token, or when it occurs in the query text (`text`, normalised)
    across tokens: lay phrases segment into pieces (老板不给工资 → 老板|不|给|工资).
    """
    table = synonyms()
    words = list(terms) + [word for word in table if len(word) >= 2 and word in text and word not in terms]
    extra = [t for word in words for t in table.get(word, ())]
    return [t for t in dict.fromkeys(extra) if t not in terms]


def warm() -> None:
    """Load every table query analysis reads (segmenter, traditional → simplified, stop words,
    synonyms, sub-word frequencies): ≈ 2 s that a fresh worker's first searches would wait for."""
    query_tokens(normalize_query("預熱"))
    synonyms()
    _word_frequencies()


@functools.lru_cache(maxsize=1)
def analysis_version() -> str:
    """Identifies index-time analysis: an index built with another version must be rebuilt."""
    digest = hashlib.sha1(LEGAL_DICT.read_bytes()).hexdigest()[:12]
    return f"{ANALYSIS_REVISION}-{digest}"


# ---- part-of-speech tags, for the de-identification check (legaltext/deid.py) -------------
@functools.lru_cache(maxsize=1)
def _pos_tagger() -> rjieba.Jieba:
    """jieba's tagger with its default dictionary only: the person-name (nr) tags come from there."""
    return rjieba.Jieba()


def pos_tag(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs, HMM on so unknown names are found (rjieba = jieba.posseg)."""
    return _pos_tagger().tag(text, True)


@functools.lru_cache(maxsize=1)
def general_dictionary() -> dict[str, tuple[int, str]]:
    """jieba's default dictionary: word → (frequency, part-of-speech tag)."""
    entries = {}
    with _jieba_dict_path().open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2:
                entries[parts[0]] = (int(parts[1]), parts[2] if len(parts) > 2 else "")
    return entries
