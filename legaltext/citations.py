"""Law names cited in case text (《…》), normalised, and the department each belongs to.

A first, name-level view of citations: enough for law-topic tags and the "cited law"
facet. Article-level citation parsing (法条联动) builds on it.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick

from legaltext.numerals import NUMERAL, to_int

PREFIX = "中华人民共和国"

LAW_DEPARTMENTS = Path(__file__).resolve().parent / "data" / "law_departments.json"
_CITED = re.compile(r"《(?:中华人民共和国)?([^《》\n]{2,60}?)》")
_REVISION_NOTE = re.compile(r"[（(]\d{4}年?[^）)]*[）)]$")


@functools.lru_cache(maxsize=1)
def law_departments() -> dict[str, str]:
    """Law short name (without 中华人民共和国) → legal department, for the national law set."""
    return json.loads(LAW_DEPARTMENTS.read_text(encoding="utf-8"))


def base_law_name(name: str) -> str:
    """刑法修正案（九） → 刑法; 公司法（2018年修正） → 公司法."""
    name = name.strip()
    if name.startswith("刑法修正案"):
        return "刑法"
    return _REVISION_NOTE.sub("", name)


def cited_laws(text: str) -> set[str]:
    """Normalised names of every 《…》 title in `text` (laws, regulations, other documents)."""
    return {base_law_name(m) for m in _CITED.findall(text)}


# ---- article-level citations ----------------------------------------------------------------
# Citations such as 《中华人民共和国民法典》第一千一百六十五条第二款, 刑法第一百三十三条之一,
# 该法第二十八条第（八）项, "第七十四条、第八十一条", "第十条至第十二条".
SEED_LAWS = Path(__file__).resolve().parent.parent / "seed_laws"
ALIASES = {"民诉法": "民事诉讼法", "刑诉法": "刑事诉讼法", "行诉法": "行政诉讼法", "消法": "消费者权益保护法",
           "消保法": "消费者权益保护法", "道交法": "道路交通安全法", "劳动法典": "劳动法", "物权法典": "物权法"}
REPEALED_NATIONAL = ("合同法", "物权法", "侵权责任法", "婚姻法", "继承法", "担保法", "民法通则", "民法总则",
                     "收养法", "经济合同法", "涉外经济合同法", "技术合同法")
# Documents whose articles are not legal citations (合同第五条约定, 章程第十二条).
_NON_LEGAL = re.compile(r"(?:合同|协议|协议书|章程|约定|条款|承诺书|公约|须知|通知书|意见书|决议)\s*$")
_ANTECEDENTS = r"本法|该法|同法|上述法律|前述法律|该条例|本条例|该解释|本解释|该规定|本规定|该办法|本办法|该细则|本细则"
# An article with no law named counts only after a citing verb or before 规定 (依照第六十四条的规定).
_CITING_BEFORE = re.compile(r"(?:依照|依据|根据|按照|违反|适用|参照|援引|即)\s*$")
_CITING_AFTER = re.compile(r"^(?:第[^，。；]{1,12}?)?(?:之)?(?:的)?规定")
_AGREED_AFTER = re.compile(r"^(?:第[^，。；]{1,12}?)?约定")
# 《》 titles of documents that are not law: a university's rules, a company's articles.
_NOT_LAW_TITLE = re.compile(r"大学|学院|学校|公司|银行|集团|章程|合同|协议|须知")
_LAW_ENDING = re.compile(r"(?:法|条例|规定|解释|办法|决定|规则|意见|批复)(?:[（(][^）)]*[）)])?$")
# The issuer printed before the 《》 belongs to the title: 最高人民法院《关于…的解释》.
_ISSUER_BEFORE = re.compile(r"(最高人民法院、最高人民检察院|最高人民法院|最高人民检察院|全国人民代表大会常务委员会"
                            r"|全国人大常委会|国务院)\s*$")
_SENTENCE_END = re.compile(r"[。；;\n]")
_BINDING_GAP = re.compile(r"^[\s、，,和及与或以者的规定中之]*$")


@dataclass
class Citation:
    """One cited article: `law` is the full normalised title, or None when no law is named."""

    raw: str
    law: str | None
    number: int
    sub: int = 0
    paragraph: int | None = None
    item: int | None = None
    version: int | None = None
    start: int = 0
    end: int = 0

    def key(self) -> tuple:
        """What identifies the cited provision (for comparisons and de-duplication)."""
        return (self.law, self.number, self.sub, self.paragraph, self.item)


@functools.lru_cache(maxsize=1)
def official_titles() -> frozenset[str]:
    """Full titles of every law in seed_laws/ (first line of each file)."""
    titles = set()
    for path in SEED_LAWS.rglob("*.md"):
        if path.name != "README.md":
            with open(path, encoding="utf-8") as handle:
                titles.add(handle.readline().lstrip("# ").strip())
    return frozenset(titles)


def _unmarked_law_names() -> set[str]:
    """Law names recognised without 《》 (only right before 第…条): national short names, aliases."""
    names = {n for n in law_departments() if not n.endswith("编")} | set(REPEALED_NATIONAL) | set(ALIASES)
    return names | {PREFIX + n for n in names}


@functools.lru_cache(maxsize=1)
def _name_automaton() -> ahocorasick.Automaton:
    """Every unmarked law name in one Aho-Corasick automaton: one pass over a text finds them all
    (a regex alternation of ~1,300 names re-tries every name at every position)."""
    automaton = ahocorasick.Automaton()
    for name in _unmarked_law_names():
        automaton.add_word(name, len(name))
    automaton.make_automaton()
    return automaton


# What must follow an unmarked name: an optional （试行）, then 第 (a version note may come between).
_AFTER_NAME = re.compile(r"((?:[（(]试行[）)])?)(?=\s*(?:[（(]\d{4}年[^）)]*[）)])?\s*第)")


@dataclass(frozen=True)
class _NameMatch:
    """An unmarked law name found in a text, shaped like the re.Match the parser reads."""

    name: str
    trial: str  # "（试行）" or ""
    begin: int
    stop: int

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.stop

    def group(self, index: int) -> str:
        return (self.name, self.trial)[index - 1]


def unmarked_names(text: str) -> list[_NameMatch]:
    """Unmarked law names before 第, leftmost and longest first and never overlapping (what a
    longest-first regex alternation would find, with 《〈 not right before the name)."""
    if "第" not in text:
        return []
    longest: dict[int, tuple[int, str]] = {}  # start → (end, trial note) of the longest name that fits
    for last, size in _name_automaton().iter(text):
        start, end = last + 1 - size, last + 1
        if start in longest and longest[start][0] >= end or (start and text[start - 1] in "《〈"):
            continue
        after = _AFTER_NAME.match(text, end)
        if after:
            longest[start] = (end, after.group(1))
    found, covered = [], 0
    for start in sorted(longest):
        if start >= covered:
            end, trial = longest[start]
            found.append(_NameMatch(text[start:end], trial, start, end + len(trial)))
            covered = end + len(trial)
    return found


def normalize_law_title(name: str) -> str:
    """《民法典》 → 中华人民共和国民法典; regulations and interpretations keep their printed title."""
    name = re.sub(r"\s+", "", base_law_name(name))
    short = ALIASES.get(name.removeprefix(PREFIX), name.removeprefix(PREFIX))
    titles = official_titles()
    if PREFIX + short in titles:
        return PREFIX + short
    if short in titles:
        return short
    for issuer in ("最高人民法院", "最高人民检察院", "最高人民法院、最高人民检察院"):
        if short.startswith("关于") and issuer + short in titles:  # 最高人民法院《关于…的解释》
            return issuer + short
    core = re.sub(r"[（(]试行[）)]$", "", short)  # 民事诉讼法（试行）
    national = core in law_departments() or core in REPEALED_NATIONAL or core.startswith("刑法修正案")
    if name.startswith(PREFIX) or national or (core.endswith("法") and len(core) <= 12):
        return PREFIX + short
    return short


_TOKEN = re.compile(
    rf"(?P<version_before>(?P<vb_year>\d{{4}})年(?:修订|修正|修改)(?:后)?的)"
    rf"|《(?P<marked>[^《》\n]{{2,80}})》(?:\s*[（(](?P<ver>\d{{4}})年[^）)\n]{{0,8}}[）)])?"
    rf"|(?P<antecedent>{_ANTECEDENTS})"
    rf"|第(?P<rfrom>{NUMERAL})(?:条)?至(?:第)?(?P<rto>{NUMERAL})条"
    rf"|第(?P<art>{NUMERAL})条(?:之(?P<sub>{NUMERAL}))?"
    rf"|第(?P<paras>{NUMERAL}(?:[、，和及]{NUMERAL})+)款"
    rf"|第(?P<para>{NUMERAL})款"
    rf"|第[（(]?(?P<item>{NUMERAL})[）)]?项"
    rf"|(?P<range>至|到)"
)

# Every alternative of _TOKEN begins with one of these characters: the pattern is tried only there
# (finditer would try it at every position of the text, the parser's largest cost).
_TOKEN_START = re.compile("[\\d《第至到" + "".join(sorted({word[0] for word in _ANTECEDENTS.split("|")})) + "]")


def _token_matches(text: str) -> Iterator[re.Match]:
    """What _TOKEN.finditer(text) finds: leftmost matches, each search starting where the last ended."""
    resume = 0
    for candidate in _TOKEN_START.finditer(text):
        start = candidate.start()
        if start >= resume and (m := _TOKEN.match(text, start)):
            yield m
            resume = m.end()


# The alternative of _TOKEN that matched, from the last group it closed (an optional inner group
# closes after its alternative's named group).
_KIND_OF_LAST_GROUP = {"ver": "marked", "rto": "rfrom", "sub": "art"}


class _Parser:
    """State while scanning one text left to right."""

    def __init__(self, text: str):
        self.text = text
        self.out: list[Citation] = []
        self.law: tuple[str | None, int | None] | None = None  # current law and version (title None: not law)
        self.named_law: tuple[str | None, int | None] | None = None  # last law named, for 该法/本法
        self.law_end = -1  # where the current law mention (or its last citation) ended
        self.pending_version: tuple[int, int] | None = None  # (year, end) of "2009年修正的"
        self.last: Citation | None = None
        self.range_from: Citation | None = None

    def run(self) -> list[Citation]:
        """All citations in order."""
        for kind, match in self._tokens():
            getattr(self, "_on_" + kind)(match)
        return self.out

    def _tokens(self):
        """Tokens in text order, unmarked law names included."""
        found: list[tuple[int, str, Any]] = [(m.start(), "law_unmarked", m) for m in unmarked_names(self.text)]
        for m in _token_matches(self.text):
            group = m.lastgroup or ""  # every alternative of _TOKEN is a named group
            found.append((m.start(), _KIND_OF_LAST_GROUP.get(group, group), m))
        covered = -1
        for start, kind, match in sorted(found, key=lambda t: (t[0], t[1] != "law_unmarked")):
            if start < covered:  # inside a longer token already taken
                continue
            covered = match.end()
            yield kind, match

    def _set_law(self, name: str, version: int | None, end: int) -> None:
        """A law was named: it becomes current and the antecedent of 该法/本法."""
        if version is None and self.pending_version and self.pending_version[1] >= end - len(name) - 12:
            version = self.pending_version[0]
        self.pending_version = None
        self.law = self.named_law = (normalize_law_title(name), version)
        self.law_end = end
        self.last = None

    def _on_version_before(self, m) -> None:
        self.pending_version = (int(m.group("vb_year")), m.end())

    def _on_marked(self, m) -> None:
        name = m.group("marked")
        issuer = _ISSUER_BEFORE.search(self.text[max(0, m.start() - 20):m.start()])
        if issuer and name.startswith("关于"):
            name = issuer.group(1).replace("全国人大常委会", "全国人民代表大会常务委员会") + name
        self._set_law(name, int(m.group("ver")) if m.group("ver") else None, m.end())
        if _NOT_LAW_TITLE.search(name) and not _LAW_ENDING.search(name):
            self.law = self.named_law = (None, None)

    def _on_law_unmarked(self, m) -> None:
        self._set_law(m.group(1) + m.group(2), None, m.end())

    def _on_antecedent(self, m) -> None:
        if self.named_law:
            self.law = self.named_law
            self.law_end = m.end()
            self.last = None

    def _on_range(self, m) -> None:
        gap = self.text[self.last.end:m.start()] if self.last else "x"
        self.range_from = self.last if self.last and not gap.strip() else None

    def _on_art(self, m) -> None:
        law = self._binding_law(m.start(), m.end())
        if law is False:
            self.last = None
            return
        cite = Citation(m.group(0), law[0] if law else None, to_int(m.group("art")),
                        to_int(m.group("sub")) if m.group("sub") else 0,
                        version=law[1] if law else None, start=m.start(), end=m.end())
        if self.range_from and self.text[self.range_from.end:m.start()].strip() in {"至", "到"}:
            for number in range(self.range_from.number + 1, min(cite.number, self.range_from.number + 50)):
                self.out.append(Citation(self.text[self.range_from.start:m.end()], cite.law, number,
                                         version=cite.version, start=self.range_from.start, end=m.end()))
        self.range_from = None
        self._emit(cite)

    def _on_rfrom(self, m) -> None:
        """第五百五十七至五百六十一条: one citation per article of the range."""
        law = self._binding_law(m.start(), m.end())
        if law is False:
            return
        first, last = to_int(m.group("rfrom")), to_int(m.group("rto"))
        for number in range(first, min(last, first + 50) + 1):
            self._emit(Citation(m.group(0), law[0] if law else None, number,
                                version=law[1] if law else None, start=m.start(), end=m.end()))

    def _binding_law(self, start: int, end: int):
        """The law an article at start:end belongs to: (title, version), None (none named), False (not legal)."""
        before, after = self.text[max(0, start - 6):start], self.text[end:end + 16]
        if _NON_LEGAL.search(before) or _AGREED_AFTER.match(after):
            return False
        if self.law is not None:
            if self.law[0] is None:  # a named document that is not law (a university's rules)
                return False
            gap = self.text[self.law_end:start]
            if _BINDING_GAP.match(gap) or not _SENTENCE_END.search(gap):
                return self.law
        if _CITING_BEFORE.search(before) or _CITING_AFTER.match(after):
            return None
        return False

    def _on_para(self, m) -> None:
        number = to_int(m.group("para"))
        last = self.last
        if last and last.end == m.start() and last.paragraph is None:
            last.paragraph, last.end, last.raw = number, m.end(), last.raw + m.group(0)
        elif last and _BINDING_GAP.match(self.text[last.end:m.start()]):
            self._emit(Citation(m.group(0), last.law, last.number, last.sub, number,
                                version=last.version, start=m.start(), end=m.end()))

    def _on_paras(self, m) -> None:
        """第十一条第一、二、四款: one citation per paragraph of the article just cited."""
        last = self.last
        if not (last and last.end == m.start() and last.paragraph is None):
            return
        numbers = [to_int(n) for n in re.split(r"[、，和及]", m.group("paras"))]
        last.paragraph, last.end, last.raw = numbers[0], m.end(), last.raw + m.group(0)
        for number in numbers[1:]:
            self.out.append(Citation(last.raw, last.law, last.number, last.sub, number,
                                     version=last.version, start=last.start, end=m.end()))

    def _on_item(self, m) -> None:
        number = to_int(m.group("item"))
        last = self.last
        if last and last.end == m.start() and last.item is None:
            last.item, last.end, last.raw = number, m.end(), last.raw + m.group(0)
        elif last and last.item is not None and _BINDING_GAP.match(self.text[last.end:m.start()]):
            self._emit(Citation(m.group(0), last.law, last.number, last.sub, last.paragraph, number,
                                version=last.version, start=m.start(), end=m.end()))

    def _emit(self, cite: Citation) -> None:
        """Record a citation; the law stays current through lists (…第74条、第81条)."""
        self.out.append(cite)
        self.last = cite
        if cite.law is not None:
            self.law_end = cite.end


def parse_citations(text: str) -> list[Citation]:
    """Every article-level citation in `text`, in order; unresolvable ones have law None."""
    return _Parser(text).run()
