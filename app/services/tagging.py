"""Automatic tag suggestions from a transparent rule set (stored with each taxonomy term).

Rules of a term (all optional; any one that fires suggests the term, with its evidence):
  keywords        words; fire when one occurs in the title, summary, issuer keywords or the
                  holding (裁判要点/要旨) — the parts that say what a case is about
  body_keywords   {"words": [...], "min": 3}; fire when the words occur at least `min`
                  times in the whole text together
  laws            law short names (食品安全法); fire when the case cites the law (《…》)
  case_types      case types (刑事); fire on the case type
Law topics come from cited laws through the law → department map (legaltext/data/law_departments.json)
and replace the rules when the case cites any law of a department; procedural and state-organ
laws (民事诉讼法, 人民法院组织法) count only when cited in the title/holding/legal basis, since
judgments cite them for their own procedure, not for what the case is about.
"""
from __future__ import annotations

from dataclasses import dataclass

from legaltext.citations import cited_laws, law_departments

STRONG_CITATION_TOPICS = {"诉讼与非诉讼程序法", "宪法及宪法相关法"}
_STRONG_SECTIONS = {"holding", "legal_basis"}


@dataclass(frozen=True)
class Suggestion:
    """A suggested tag: the term's id and why it was suggested."""

    term_id: int
    evidence: str


class CaseView:
    """The parts of a case the rules read, precomputed once per case."""

    def __init__(self, case):
        sections = [(s.kind, s.text) for s in case.sections]
        self.case_type = case.case_type
        self.strong = "\n".join(
            [case.title, case.summary or "", " ".join(case.keywords or [])]
            + [text for kind, text in sections if kind == "holding"]
        )
        self.full = "\n".join([self.strong] + [text for _, text in sections])
        cite_text = "\n".join([case.title, " ".join(case.keywords or [])]
                              + [text for kind, text in sections if kind in _STRONG_SECTIONS])
        self.strong_laws = cited_laws(cite_text)
        applied = set(case.cited_law_names())
        self.all_laws = cited_laws(self.full) | self.strong_laws | applied


def _fire(rules: dict, view: CaseView) -> str | None:
    """Evidence for the first rule that fires, or None."""
    if view.case_type in rules.get("case_types", []):
        return f"案件类型为「{view.case_type}」"
    for word in rules.get("keywords", []):
        if word in view.strong:
            return f"标题、关键词或裁判要点含「{word}」"
    for law in rules.get("laws", []):
        if law in view.all_laws:
            return f"引用《{law}》"
    body = rules.get("body_keywords")
    if body:
        hits = sum(view.full.count(w) for w in body.get("words", []))
        if hits >= body.get("min", 3):
            return f"正文多次（{hits} 次）出现「{'、'.join(body['words'][:3])}」等词"
    return None


def _law_topic_from_citations(term_name: str, view: CaseView) -> str | None:
    """Evidence that the case cites a law of this department, or None."""
    departments = law_departments()
    laws = view.strong_laws if term_name in STRONG_CITATION_TOPICS else view.all_laws
    for law in sorted(laws):
        if departments.get(law) == term_name:
            return f"引用《{law}》"
    return None


def suggest(case, terms) -> list[Suggestion]:
    """Suggested tags for a case among `terms` (TaxonomyTerm rows of any scheme).

    Law topics come from the laws the case cites and from its case type; keyword guesses are
    used only for a case that cites no law of any department.
    """
    view = CaseView(case)
    topics = [t for t in terms if t.scheme == "law_topic"]
    cited = {t.id: e for t in topics if (e := _law_topic_from_citations(t.name, view))}
    found = []
    for term in topics:
        rules = term.rules or {}
        if cited:
            rules = {"case_types": rules.get("case_types", [])}
        evidence = cited.get(term.id) or _fire(rules, view)
        if evidence:
            found.append(Suggestion(term.id, evidence))
    for term in terms:
        if term.scheme != "law_topic" and (evidence := _fire(term.rules or {}, view)):
            found.append(Suggestion(term.id, evidence))
    return found
