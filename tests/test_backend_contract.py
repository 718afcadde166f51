"""The SearchBackend contract: the same cases run on the embedded engine and on a real OpenSearch."""
import threading

import pytest

from indexer.analysis import index_text, normalize
from indexer.backends.base import PROMOTE, Boost, SearchRequest
from indexer.backends.tantivy import TantivyBackend
from indexer.documents import FIELDS, SearchDocument
from indexer.query import parse_query

pytestmark = pytest.mark.nodb

CASES = {
    1: ("甲公司诉乙物业高空抛物损害责任纠纷案", "物业未尽安全保障义务，高空抛物致人损害。", "民事", "2023-05-01", ["房产物业"]),
    2: ("丙醉驾危险驾驶案", "被告人醉酒驾驶机动车，构成危险驾驶罪。", "刑事", "2021-01-10", ["交通安全"]),
    3: ("丁正当防卫案", "面对不法侵害实施防卫，没有明显超过必要限度，属于正当防卫。", "刑事", "2022-07-15", []),
    4: ("戊防卫过当案", "防卫明显超过必要限度造成重大损害，属于防卫过当，构成故意伤害罪。", "刑事", "2020-03-03", []),
    5: ("己劳动争议案", "用人单位拖欠劳动报酬，劳动者申请仲裁。", "民事", "", ["劳动争议"]),
}


def make_doc(doc_id: int) -> SearchDocument:
    """A search document for one of the contract cases."""
    title, body, case_type, date, hot = CASES[doc_id]
    fields = dict.fromkeys(FIELDS, "")
    fields["title"], fields["body"] = index_text(title), index_text(body)
    return SearchDocument(
        id=doc_id, fields=fields, sort_date=date, text=normalize(title + "\n" + body),
        facets={"case_type": [case_type], "issuer_kind": ["court"], "issuer": ["某法院"],
                "hot_issue": hot, "law_topic": [], "year": [date[:4]] if date else [],
                "article": [f"中华人民共和国刑法:{doc_id}"]},
    )


@pytest.fixture(params=["embedded", pytest.param("engine", marks=pytest.mark.engine)])
def backend(request, tmp_path):
    """Each engine, filled with the contract cases."""
    if request.param == "engine":
        engine = request.getfixturevalue("engine_backend")
    else:
        engine = TantivyBackend(tmp_path / "index")
    engine.index_many(make_doc(i) for i in CASES)
    yield engine
    if request.param != "engine":
        engine.close()


def run(backend, q="", **kwargs):
    """Search and return (total, ids, facets)."""
    result = backend.search(SearchRequest(query=parse_query(q), **kwargs))
    return result.total, result.ids, result.facets


def test_term_search_ranks_title_match_first(backend):
    total, ids, _ = run(backend, "高空抛物")
    assert total == 1 and ids == [1]


def test_any_term_matches_and_both_terms_rank_higher(backend):
    total, ids, _ = run(backend, "防卫 故意伤害")
    assert total == 2 and ids[0] == 4


def test_phrase_requires_exact_sequence(backend):
    assert run(backend, '"防卫明显超过"')[1] == [4]
    assert run(backend, '"没有明显超过必要限度"')[1] == [3]
    assert set(run(backend, '"明显超过必要限度"')[1]) == {3, 4}
    assert run(backend, '"必要限度明显超过"')[0] == 0  # same words, other order


def test_exclusion(backend):
    total, ids, _ = run(backend, "防卫 -防卫过当")
    assert ids == [3]
    total, ids, _ = run(backend, '-"防卫明显超过"')
    assert total == 4 and 4 not in ids


def test_filters_and_facets(backend):
    total, ids, facets = run(backend, "", filters={"case_type": ["刑事"]})
    assert total == 3 and set(ids) == {2, 3, 4}
    assert dict(facets["case_type"]) == {"刑事": 3}
    assert dict(facets["year"]) == {"2020": 1, "2021": 1, "2022": 1}
    total, ids, _ = run(backend, "", filters={"hot_issue": ["劳动争议", "交通安全"]})
    assert set(ids) == {2, 5}


def test_sort_by_date_and_pagination_with_exact_total(backend):
    total, ids, _ = run(backend, "", sort="date", per_page=2, page=1)
    assert total == 5 and ids == [1, 3]
    assert run(backend, "", sort="date", per_page=2, page=3)[1] == [5]
    assert run(backend, "", per_page=2, page=4)[1] == []


def test_update_replaces_and_delete_removes(backend):
    doc = make_doc(2)
    doc.fields["title"], doc.fields["body"] = index_text("庚高空坠物案"), index_text("物业未尽义务。")
    backend.index_many([doc])
    assert run(backend, "醉驾")[0] == 0 and set(run(backend, "高空")[1]) == {1, 2}
    backend.delete_many([1, 2, 99])
    assert backend.count() == 3 and run(backend, "高空")[0] == 0


def test_rebuild_swaps_in_a_new_index(backend):
    with backend.locked():
        assert backend.rebuild([make_doc(3)]) == 1
    assert backend.count() == 1 and run(backend, "")[1] == [3]


def test_readers_in_other_threads_see_the_swap(backend):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(run(backend, "")[0]))
    thread.start()
    thread.join()
    with backend.locked():
        backend.rebuild([make_doc(1), make_doc(2)])
    thread = threading.Thread(target=lambda: seen.append(run(backend, "")[0]))
    thread.start()
    thread.join()
    assert seen == [5, 2]


@pytest.mark.parametrize("q", ['"', 'a"b', "NEAR(高空 抛物)", "title:高空", "高空*", "^x", "(", "{x}:y",
                               "AND OR NOT", '"" AND ""', "-", "\x00", "'"])
def test_engine_syntax_never_leaks(backend, q):
    total, _, _ = run(backend, q)
    assert total >= 0


def test_health_and_count(backend):
    health = backend.health()
    assert health["ok"] and health["documents"] == 5 == backend.count()


def test_similar_finds_related_documents_and_follows_updates(backend):
    similar = backend.similar(3, limit=2)
    assert 3 not in similar and similar[0] == 4  # both about 防卫 and 必要限度
    backend.delete_many([4])
    assert 4 not in backend.similar(3, limit=2)
    assert backend.similar(999) == []


def test_a_promoted_document_comes_first_and_the_total_counts_it_once(backend):
    total, ids, _ = run(backend, "防卫 故意伤害")
    assert ids == [4, 3]
    promoted = run(backend, "防卫 故意伤害", boosts=[Boost("id", ("3",), PROMOTE)])
    assert promoted[:2] == (total, [3, 4])


def test_a_promoted_document_matches_without_any_query_word(backend):
    total, ids, facets = run(backend, "醉驾", boosts=[Boost("id", ("5",), PROMOTE)])
    assert (total, ids) == (2, [5, 2])
    assert dict(facets["case_type"]) == {"民事": 1, "刑事": 1}


def test_promotion_by_facet_value_and_by_article(backend):
    assert run(backend, "高空抛物", boosts=[Boost("hot_issue", ("劳动争议",), PROMOTE)])[:2] == (2, [5, 1])
    total, ids, _ = run(backend, "防卫", boosts=[Boost("article", ("中华人民共和国刑法:2",), PROMOTE)])
    assert total == 3 and ids[0] == 2


def test_promoted_documents_keep_their_own_order_by_score(backend):
    boosts = [Boost("id", ("3", "4", "5"), PROMOTE)]
    total, ids, _ = run(backend, "防卫 故意伤害", boosts=boosts)
    assert total == 3 and ids == [4, 3, 5]  # both promoted, 4 scores higher; 5 matches no word


def test_smaller_boosts_add_to_the_score(backend):
    assert run(backend, "防卫 故意伤害", boosts=[Boost("id", ("3",), 0.001)])[1] == [4, 3]
    assert run(backend, "防卫 故意伤害", boosts=[Boost("id", ("3",), 50.0)])[1] == [3, 4]
    boosts = [Boost("id", ("1",), 1.0), Boost("id", ("2",), 2.0)]
    assert run(backend, "正当防卫", boosts=boosts)[1] == [3, 2, 1]


def test_a_scoring_only_boost_reorders_without_adding_matches(backend):
    evidence = [Boost("article", ("中华人民共和国刑法:3",), 50.0, matching=False)]
    assert run(backend, "防卫 故意伤害")[:2] == (2, [4, 3])
    total, ids, facets = run(backend, "防卫 故意伤害", boosts=evidence)
    assert (total, ids) == (2, [3, 4])  # 3 cites the article: it rises; nothing else joins
    assert run(backend, "醉驾", boosts=[Boost("id", ("5",), PROMOTE, matching=False)])[:2] == (1, [2])
    assert run(backend, '"正当防卫"', boosts=[Boost("id", ("4",), 50.0, matching=False)])[:2] == (1, [3])


def test_a_term_weight_scales_its_score(backend):
    def ranked(weights):
        parsed = parse_query("高空抛物 劳动报酬")
        parsed.weights = weights
        result = backend.search(SearchRequest(query=parsed))
        return result.total, result.ids

    assert ranked({"劳动报酬": 0.05}) == (2, [1, 5])
    assert ranked({"高空抛物": 0.05}) == (2, [5, 1])  # the weight moves the ranking, never the count


def test_boosts_obey_exclusions_phrases_and_filters_and_not_browsing(backend):
    boost = [Boost("id", ("4", "2"), PROMOTE)]
    assert run(backend, "防卫 -防卫过当", boosts=boost)[1] == [2, 3]
    assert run(backend, '"正当防卫"', boosts=boost)[1] == [3]
    assert run(backend, "防卫", filters={"case_type": ["民事"]}, boosts=boost)[0] == 0
    assert run(backend, "", sort="date", per_page=2, boosts=boost)[:2] == (5, [1, 3])


def test_a_term_in_most_documents_is_ignored_and_reported(backend):
    """Past COMMON_MIN_DOCS documents, a free term in most of them neither counts nor ranks; the
    result names it, so the page can say why 食品 安全 counts as 食品 alone."""
    extra = []
    for i in range(100, 1130):
        doc = make_doc(5)
        text = "安全生产检查" + ("，食品抽检" if i % 10 == 0 else "")
        doc.id, doc.text = i, normalize(text)
        doc.fields = dict(doc.fields, title=index_text(text), body="")
        extra.append(doc)
    backend.index_many(extra)
    both = backend.search(SearchRequest(query=parse_query("食品 安全")))
    alone = backend.search(SearchRequest(query=parse_query("食品")))
    assert both.ignored == ["安全"] and alone.ignored == []
    assert both.total == alone.total == 103
