"""Questions as citizens and lecturers type them, through the real HTTP path on the seeded library.

Each question names what a reader must see: a case by its source id (first, or within the top k), or a
kind of case recognisable by words of its title or by its hot issue. The expectations were written from
the law and the seed cases' content (seed_cases/), not read off the ranking.
"""
from __future__ import annotations

import pytest

# (query, expected source ids (any of them), within the top k)
NAMED = [
    ("（2012）江宁开民初字第646号", {"spc-guiding-23"}, 1),  # the case number of 指导案例23号
    ("(2012)江宁开民初字第646号", {"spc-guiding-23"}, 1),
    ("〔2012〕江宁开民初字第646号", {"spc-guiding-23"}, 1),
    ("孙银山诉欧尚超市", {"spc-guiding-23"}, 1),  # the guiding case, not its gazette duplicate
    ("指导案例23号", {"spc-guiding-23"}, 1),
    ("指导案例二十三号", {"spc-guiding-23"}, 1),
    ("最高法指导性案例第23号 孙银山", {"spc-guiding-23"}, 1),
    ("检例第1号", {"spp-guiding-1"}, 1),
    ("检例1号", {"spp-guiding-1"}, 1),
    ("检例第46号 防卫过当", {"spp-guiding-46"}, 1),
    ("知假买假", {"spc-guiding-23", "spc-gazette-0afac8b1d0a5"}, 5),  # 孙银山 / 程浩 v. 欧尚: buying knowingly
]

# (query, words any of which a hit's title must contain, how many of the top hits, within the top k)
BY_TITLE = [
    ("老板不给工资怎么办", ("劳动报酬", "工资", "加班费"), 3, 5),
    ("公司一直拖着不发工资，能去哪里告", ("劳动报酬", "工资", "加班费"), 1, 3),
    ("讨薪被打了怎么办", ("劳动报酬", "工资", "伤害"), 1, 5),
    ("喝醉了开车被交警查到会坐牢吗", ("危险驾驶",), 1, 5),
    ("醉驾", ("危险驾驶", "醉"), 1, 3),
    ("楼上扔东西砸坏了我的车", ("抛物", "坠物", "财产损害", "物件"), 1, 5),
    ("打印的遗嘱有没有效", ("遗嘱",), 1, 3),
    ("离婚以后孩子的抚养费谁出", ("抚养", "离婚"), 1, 5),
    ("借给朋友的钱不还，欠条怎么写才有用", ("借贷", "借款"), 1, 5),
    ("有人冲上来砍我，我还手把他打伤了算正当防卫吗", ("防卫",), 1, 3),
    ("上下班路上出了车祸算不算工伤", ("工伤",), 1, 5),
    ("离职以后去了竞争对手公司上班要赔钱吗", ("竞业",), 1, 5),
    ("碰瓷讹钱", ("敲诈勒索",), 1, 5),
    ("帮别人用银行卡转账取钱 电信诈骗", ("帮助信息网络犯罪活动", "诈骗", "掩饰、隐瞒"), 1, 5),
    ("老赖欠钱不还，判决了也不执行", ("拒不执行", "执行"), 1, 5),
    ("政府强拆我家房子合法吗", ("拆除", "拆迁", "征收", "强拆"), 1, 5),
    ("在网上被人骂被人肉搜索", ("名誉", "隐私", "个人信息", "网络暴力", "侮辱", "诽谤"), 1, 5),
    ("拒不支付劳动报酬罪", ("拒不支付劳动报酬",), 1, 3),
    ("小区物业乱收费 不交物业费行不行", ("物业",), 1, 5),
]

# (query, hot issue name the first hit must carry)
BY_ISSUE = [
    ("医疗纠纷", "医疗卫生"),  # no case uses the phrase; the 医疗卫生 issue's description does
    ("医疗纠纷怎么维权", "医疗卫生"),
    ("校园欺凌", "未成年人保护"),  # a keyword of 未成年人保护, in no case text
    ("孩子在学校被欺凌了怎么办", "未成年人保护"),
    ("老公家暴怎么办", "婚姻家庭"),  # 家暴 → 家庭暴力 (no seed case has it in its title)
]

# (query, the article a cited case must cite: the `article` filter value)
CITATIONS = [
    ("民法典第1254条", "民法典:1254"),
    ("民法典第一千二百五十四条 高空抛物", "民法典:1254"),
    ("刑法第一百三十三条之一", "刑法:133之一"),
    ("《食品安全法》148条", "食品安全法:148"),
]


def search(client, **params) -> dict:
    """GET /api/v1/search (must answer 200) and return its JSON."""
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize(("query", "expected", "k"), NAMED)
def test_named_case_comes_first(seeded_client, query, expected, k):
    ids = [h["source_id"] for h in search(seeded_client, q=query, per_page=10)["hits"]]
    assert expected & set(ids[:k]), (query, ids[:k])


@pytest.mark.parametrize(("query", "words", "need", "k"), BY_TITLE)
def test_lay_question_finds_the_legal_kind_of_case(seeded_client, query, words, need, k):
    titles = [h["title"] for h in search(seeded_client, q=query, per_page=k)["hits"]]
    matching = [t for t in titles if any(w in t for w in words)]
    assert len(matching) >= need, (query, titles)


@pytest.mark.parametrize(("query", "issue"), BY_ISSUE)
def test_lay_word_no_case_uses_finds_its_hot_issue(seeded_client, query, issue):
    hits = search(seeded_client, q=query, per_page=5)["hits"]
    assert hits, query
    assert issue in {t["name"] for t in hits[0]["hot_issues"]}, (query, hits[0]["title"])


@pytest.mark.parametrize(("query", "article"), CITATIONS)
def test_citation_puts_citing_cases_first(seeded_client, query, article):
    citing = search(seeded_client, article=article, per_page=100)
    assert 0 < citing["total"] <= 100, article
    first = search(seeded_client, q=query, per_page=20)["hits"][:min(citing["total"], 20)]
    assert {h["id"] for h in first} <= {h["id"] for h in citing["hits"]}, [h["title"] for h in first]


def test_wage_question_does_not_lead_with_fraud_defamation_or_self_defence(seeded_client):
    titles = [h["title"] for h in search(seeded_client, q="老板不给工资怎么办", per_page=3)["hits"]]
    assert not [t for t in titles if any(w in t for w in ("诈骗", "名誉", "防卫"))], titles


def test_exclusion_removes_every_case_the_word_finds(seeded_client):
    everything = search(seeded_client, per_page=1)["total"]
    drunk = search(seeded_client, q="醉驾", per_page=100)
    rest = search(seeded_client, q="-醉驾", per_page=1)["total"]
    assert drunk["total"] >= 2
    assert rest == everything - drunk["total"]
    ids = {h["id"] for h in drunk["hits"]}
    left = search(seeded_client, q="危险驾驶 -醉驾", per_page=100)
    assert not ids & {h["id"] for h in left["hits"]}


def test_hot_issue_name_typed_is_explained_with_a_link_to_the_issue(seeded_client):
    body = search(seeded_client, q="食品安全", per_page=5)
    issue = search(seeded_client, hot_issue="食品安全", per_page=1)
    assert body["notice"]["code"] == "hot_issue_named"
    assert "食品安全" in body["notice"]["message"] and str(issue["total"]) in body["notice"]["message"]
    assert issue["total"] <= body["total"]


def test_results_page_says_what_the_count_means(seeded_client):
    page = seeded_client.get("/search", query_string={"q": "食品 安全"}).get_data(as_text=True)
    assert "任一检索词" in page
    issue_page = seeded_client.get("/search", query_string={"q": "食品安全"}).get_data(as_text=True)
    assert "hot_issue=food-safety" in issue_page or "hot_issue=%E9%A3%9F" in issue_page


@pytest.mark.parametrize("query", ["🍔🤮", "*", "((("])
def test_query_without_searchable_words_finds_nothing_and_says_why(seeded_client, query):
    body = search(seeded_client, q=query)
    assert body["total"] == 0 and body["hits"] == []
    assert body["notice"]["code"] == "no_searchable_words"


def test_a_word_in_most_cases_is_named_as_left_out_of_the_count(seeded_client):
    both = search(seeded_client, q="食品 安全", per_page=1)
    food = search(seeded_client, q="食品", per_page=1)
    assert both["ignored_terms"] == ["安全"] and food["ignored_terms"] == []
    assert both["total"] == food["total"]
    page = seeded_client.get("/search", query_string={"q": "食品 安全"}).get_data(as_text=True)
    assert "“安全”出现在大多数案例中" in page


@pytest.mark.parametrize(("query", "title"), [("（2012）江宁开民初字第646号", "孙银山"), ("检例第1号", "聚众斗殴案")])
def test_results_page_lists_the_named_case_first(seeded_client, query, title):
    page = seeded_client.get("/search", query_string={"q": query}).get_data(as_text=True)
    first = page.index('<li class="hit"')
    assert title in page[first:page.index("</h2>", first)]


@pytest.mark.parametrize("query", ["指导案例23号", "（2012）江宁开民初字第646号", "  检例第1号 "])
def test_a_query_of_case_numbers_alone_answers_with_those_cases_only(seeded_client, query):
    found = search(seeded_client, q=query)
    assert found["total"] == len(found["hits"]) == 1  # not hundreds of cases sharing 案例, 号 or 第
    assert found["notice"]["code"] == "case_number"
    quoted = found["notice"]["query"]
    assert quoted.startswith('"') and quoted.endswith('"')
    as_text = search(seeded_client, q=quoted)  # the suggested search looks the number up as text
    assert as_text["notice"] is None or as_text["notice"]["code"] != "case_number"
    assert found["hits"][0]["source_id"] in {h["source_id"] for h in as_text["hits"]}


def test_a_case_number_with_words_still_searches_the_words(seeded_client):
    found = search(seeded_client, q="指导案例23号 欧尚超市")
    assert found["hits"][0]["source_id"] == "spc-guiding-23" and found["total"] > 1
    assert search(seeded_client, q="指导案例99999号")["total"] == 0  # a number no case has: nothing


def test_the_results_page_links_the_case_number_to_a_text_search(seeded_client):
    page = seeded_client.get("/search", query_string={"q": "检例第1号"}).get_data(as_text=True)
    assert "按案号找到 1 件案例" in page and "查找正文中提到该案号的案例" in page
    assert "q=%22%E6%A3%80%E4%BE%8B%E7%AC%AC1%E5%8F%B7%22" in page  # q="检例第1号"


def test_a_lay_question_ranks_cases_citing_its_best_articles_higher_without_adding_any(
        seeded_app, seeded_client, monkeypatch):
    from app.services import search as search_service

    question = "喝了酒开车撞死了人，家属撤诉了，司机还会判刑吗"
    with_evidence = search(seeded_client, q=question, per_page=50)
    monkeypatch.setattr(search_service, "ARTICLE_EVIDENCE_WEIGHT", 0.0)
    seeded_app.extensions["yianshifa.caches"]["search.pages"].clear()
    without = search(seeded_client, q=question, per_page=50)
    assert with_evidence["total"] == without["total"]  # evidence reorders, never adds
    assert [h["id"] for h in with_evidence["hits"]] != [h["id"] for h in without["hits"]]


def test_a_compound_no_case_contains_searches_its_parts(seeded_client):
    found = search(seeded_client, q="校园欺凌", per_page=5)  # no seed case says 校园欺凌
    # 吴凯诉朱超、曙光学校: one pupil injured by another at school, a text that says 校园
    assert "spc-gazette-3b1a3735f61d" in [h["source_id"] for h in found["hits"]]
