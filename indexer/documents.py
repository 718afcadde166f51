"""Case → search document: the one mapping, used by single updates and full rebuilds alike."""
from __future__ import annotations

from dataclasses import dataclass, field

from indexer.analysis import index_text, normalize

# Search fields in index order; each backend weights them with FIELD_WEIGHTS.
FIELDS = ("title", "keywords", "holding", "commentary", "body", "rest")
FIELD_WEIGHTS = {"title": 10.0, "keywords": 5.0, "holding": 4.0, "commentary": 2.0, "body": 1.0, "rest": 0.1}
# The opening of each body section says what the case is about; long gazette judgments then
# run on for pages. Their remainder is its own, lightly weighted field: still found, ranked lower.
BODY_HEAD = 1500
FACETS = ("case_type", "issuer_kind", "issuer", "hot_issue", "law_topic", "law", "year")
# Filters without counts: too many distinct values to list, used to narrow (article=民法典:1165).
FILTER_ONLY = ("article",)
_SECTION_FIELD = {"holding": "holding", "significance": "commentary", "explanation": "commentary"}


@dataclass
class SearchDocument:
    """What a backend stores for one case: analysed fields, facet values, sort key, raw text."""

    id: int
    fields: dict[str, str]
    facets: dict[str, list[str]] = field(default_factory=dict)
    sort_date: str = ""
    text: str = ""  # normalised original text, for exact phrase checks


def field_texts(case) -> dict[str, str]:
    """Original (unanalysed) text of each search field of a case."""
    parts: dict[str, list[str]] = {name: [] for name in FIELDS}
    parts["title"].append(case.title)
    parts["keywords"] += list(case.keywords or []) + [case.summary or "", case.document_number or ""]
    parts["body"] += [case.case_number or "", case.court or ""]
    for section in case.sections:
        target = _SECTION_FIELD.get(section.kind, "body")
        if target == "body":
            parts["body"] += [section.heading, section.text[:BODY_HEAD]]
            parts["rest"].append(section.text[BODY_HEAD:])
        else:
            parts[target] += [section.heading, section.text]
    return {name: "\n".join(p for p in texts if p) for name, texts in parts.items()}


def facet_values(case) -> dict[str, list[str]]:
    """Facet values of a case; every facet is a list so multi-valued ones need no special case.

    Terms and issuers are keyed by stable codes and ids, never by names: renaming 房产物业 or a
    court changes what pages show, not what the index holds.
    """
    return {
        "case_type": [case.case_type],
        "issuer_kind": [case.issuer.kind],
        "issuer": [str(case.issuer_id)],
        "hot_issue": case.tag_codes("hot_issue"),
        "law_topic": case.tag_codes("law_topic"),
        "law": case.cited_law_names(),
        "year": [str(case.year)] if case.year else [],
        "article": sorted({article_key(c.law_title, c.number, c.sub) for c in case.citations if c.law_title}),
    }


def article_key(law_title: str, number: int, sub: int = 0) -> str:
    """The value the `article` filter matches: 中华人民共和国民法典:1165 (…:133-1 for 之一)."""
    return f"{law_title}:{number}" + (f"-{sub}" if sub else "")


def build_document(case) -> SearchDocument:
    """Analyse one case into its search document."""
    texts = field_texts(case)
    date = case.published_date or case.judgment_date
    return SearchDocument(
        id=case.id,
        fields={name: index_text(text) for name, text in texts.items()},
        facets=facet_values(case),
        sort_date=date.isoformat() if date else "",
        text=normalize("\n".join(texts.values())),
    )
