"""The search response's fast paths give exactly what the slow, obvious ones give, on real seed pages:
the hand dump of SearchPage vs SearchResultSchema, pruned snippet ranking vs ranking every section."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CaseSection
from app.services import search as search_service
from indexer.highlight import (
    _best_window,
    _marking_order,
    _searchable,
    _snippet_html,
    _spans,
    highlight_title,
    snippets,
)
from indexer.query import parse_query
from schemas.search import SearchArgsSchema, SearchResultSchema, dump_search_result

QUERIES = [
    {"q": "高空抛物"},
    {"q": "最高人民法院 正当防卫"},
    {"q": "劳动合同", "per_page": "50", "page": "2"},
    {"q": "合同 纠纷", "sort": "date"},
    {"q": "消费维权"},  # a hot issue's name: a notice
    {"q": "校园欺凌"},
    {"q": "🍔🤮"},  # no searchable words: a notice, no hits
    {"q": "醉驾 -撤销", "case_type": ["刑事"], "year": ["2020", "2021"]},
    {"q": ""},  # browsing, newest first
    {"q": "不存在的词语组合乙丙丁"},
    {"q": "指导案例23号"},  # a case number alone: the case, a notice suggesting a text search
]


@pytest.mark.parametrize("params", QUERIES, ids=[str(p) for p in QUERIES])
def test_hand_dump_equals_the_schema_dump(seeded_app, params):
    args = SearchArgsSchema().load(params)
    page = search_service.search(args)
    by_schema = SearchResultSchema().dump(page)
    assert dump_search_result(page) == by_schema
    response = seeded_app.test_client().get("/api/v1/search", query_string=params)
    assert response.status_code == 200 and response.get_json() == by_schema


def test_the_dumps_cover_pages_with_every_part(seeded_app):
    """The queries above exercise what the comparison must see: notices, filters, dates, highlights."""
    pages = [search_service.search(SearchArgsSchema().load(p)) for p in QUERIES]
    assert any(p.notice is not None for p in pages) and any(p.filters for p in pages)
    hits = [h for p in pages for h in p.hits]
    assert any(h.highlights for h in hits) and any(h.judgment_date for h in hits)
    assert any(h.hot_issues for h in hits) and any(h.law_topics for h in hits)


def _every_section_ranked(sections, terms, limit=2):
    """The snippets as ranked before pruning: every section's best window worked out, then sorted."""
    terms = _marking_order(tuple(terms))
    candidates = []
    for order, (kind, text) in enumerate(sections):
        normalized = _searchable(text, terms)
        spans = _spans(normalized, terms)
        if spans:
            terms_of = {s: normalized[s[0]:s[1]] for s in spans}
            distinct, start, end = _best_window(text, spans, terms_of)
            candidates.append((-distinct, order, kind, text, spans, start, end))
    best = sorted(candidates, key=lambda c: c[:2])[:limit]
    return [{"field": kind, "html": _snippet_html(text, spans, start, end)}
            for _, _, kind, text, spans, start, end in best]


def test_pruned_snippets_equal_ranking_every_section(seeded_app):
    rows = db.session.execute(select(CaseSection.case_id, CaseSection.kind, CaseSection.text)
                              .order_by(CaseSection.case_id, CaseSection.position)).all()
    cases: dict[int, list[tuple[str, str]]] = {}
    for case_id, kind, text in rows:
        cases.setdefault(case_id, []).append((kind, text))
    term_lists = [parse_query(q).highlight_terms() for q in
                  ("高空抛物 侵权责任", "劳动合同 工资 赔偿", "正当防卫 故意伤害", "合同 纠纷 违约金", "醉驾 危险驾驶")]
    term_lists += [["法院", "人民", "被告", "原告", "判决"], ["CO2", "2020年", "第一条"]]
    compared = shown = 0
    for sections in list(cases.values())[:400]:
        for terms in term_lists:
            for limit in (1, 2, 3):
                expected = _every_section_ranked(sections, terms, limit)
                assert snippets(sections, terms, limit) == expected, (sections[0][1][:40], terms, limit)
                compared += 1
                shown += bool(expected)
    assert compared > 1000 and shown > compared // 4


def test_marks_do_not_depend_on_the_order_terms_come_in():
    """Equal-length terms that overlap are marked alike in every worker (a set's order is not)."""
    sections = [("facts", "被告人应当承担刑事责任。"), ("holding", "事责分明，刑事责任成立。")]
    orders = [["刑事", "事责", "责任"], ["责任", "事责", "刑事"], ["事责", "刑事", "责任", "刑事"]]
    assert len({str(snippets(sections, terms)) for terms in orders}) == 1
    assert len({highlight_title("刑事责任的认定", terms) for terms in orders}) == 1
    assert "<mark>" in snippets(sections, orders[0])[0]["html"]
