"""Laws in the library, citations linked to articles, article pages, article search."""
import datetime as dt
from urllib.parse import quote

from sqlalchemy import func, select

from app.extensions import db
from app.models import Law
from app.services import laws as laws_service

LAW_V1 = """# 中华人民共和国示例法

2001年1月1日 通过

<!-- INFO END -->

## 第一章 总则

第一条 为了测试，制定本法。

第二条 旧的第二条。

第二条之一 插入的条文。
"""
LAW_V2 = LAW_V1.replace("旧的第二条。", "新的第二条。\n\n第二款内容：\n\n（一）第一项；\n\n（二）第二项。")


def write_laws(root, files: dict[str, str]):
    """Write law files under root/<folder>/<name>.md."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_import_is_idempotent_and_newest_version_is_current(app, tmp_path):
    root = write_laws(tmp_path / "laws", {"经济法/示例法(2001-01-01).md": LAW_V1,
                                          "经济法/示例法(2020-05-01).md": LAW_V2})
    first = laws_service.import_dir(root)
    assert first["created"] == 2 and first["articles"] == 6
    assert laws_service.import_dir(root)["unchanged"] == 2
    assert db.session.scalar(select(func.count()).select_from(Law)) == 2
    current = laws_service.find_article("中华人民共和国示例法", 2)
    assert current.law.version_date == dt.date(2020, 5, 1) and current.paragraph(1) == "新的第二条。"
    assert current.item(2, 2) == "（二）第二项。"
    old = laws_service.find_article("中华人民共和国示例法", 2, version_year=2001)
    assert old.paragraphs == ["旧的第二条。"] and not old.law.is_current
    assert laws_service.find_article("中华人民共和国示例法", 2, sub=1).label == "第二条之一"
    law = db.session.scalar(select(Law).filter_by(is_current=True))
    assert law.department == "经济法" and law.kind == "法律" and law.short_name == "示例法"


def high_rise_case(client) -> dict:
    """The search hit for the seed case about an object thrown from a building (cites 民法典 1254)."""
    hits = client.get("/api/v1/search", query_string={"q": "高空抛物"}).get_json()["hits"]
    return next(h for h in hits if h["title"] == "张某某诉某物业公司等财产损害赔偿案")


def test_case_api_lists_citations_resolved_to_articles(seeded_client):
    hit = high_rise_case(seeded_client)
    case = seeded_client.get(f"/api/v1/cases/{hit['id']}").get_json()
    assert {"law": "中华人民共和国民法典", "article": "第一千二百五十四条", "number": 1254, "resolved": True}.items() \
        <= case["citations"][0].items()


def test_repealed_law_citations_are_kept_unresolved(seeded_app):
    from app.models import CaseCitation

    row = db.session.scalar(select(CaseCitation).filter_by(law_title="中华人民共和国合同法").limit(1))
    assert row is not None and row.article_id is None


def test_case_page_shows_cited_article_text_in_place(seeded_client):
    hit = high_rise_case(seeded_client)
    page = seeded_client.get(f"/cases/{hit['id']}").get_data(as_text=True)
    assert '<details class="citation">' in page and "《民法典》第一千二百五十四条" in page
    assert "禁止从建筑物中抛掷物品" in page  # the article's own text, no page jump needed
    assert f"/laws/{quote('民法典')}/articles/1254" in page


def test_article_page_lists_every_case_citing_it(seeded_client):
    page = seeded_client.get(f"/laws/{quote('民法典')}/articles/1254").get_data(as_text=True)
    assert "《中华人民共和国民法典》第一千二百五十四条" in page and "张某某诉某物业公司等财产损害赔偿案" in page
    assert "侵权责任编" in page  # its place in the law
    assert seeded_client.get(f"/laws/{quote('民法典')}/articles/99999").status_code == 404
    assert seeded_client.get(f"/laws/{quote('刑法')}/articles/133-1").status_code == 200


def test_law_page_shows_most_cited_articles_and_structure(seeded_client):
    page = seeded_client.get(f"/laws/{quote('刑法')}").get_data(as_text=True)
    assert "最常被引用的条文" in page and "法律结构" in page and "第一编 总则" in page


def test_article_filter_narrows_search(seeded_client):
    body = seeded_client.get("/api/v1/search", query_string={"article": "民法典:1254"}).get_json()
    assert body["total"] >= 1 and any(h["title"] == "张某某诉某物业公司等财产损害赔偿案" for h in body["hits"])
    all_criminal = seeded_client.get("/api/v1/search", query_string={"law": "刑法"}).get_json()["total"]
    one_article = seeded_client.get("/api/v1/search", query_string={"article": "刑法:133之一"}).get_json()["total"]
    assert 0 < one_article < all_criminal
    bad = seeded_client.get("/api/v1/search", query_string={"article": "1165"})
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "article"


def test_lay_question_finds_articles_and_their_cases(seeded_client):
    hits = seeded_client.get("/api/v1/articles/search", query_string={"q": "公司不给加班费怎么办"}).get_json()["hits"]
    assert any(h["law"] == "中华人民共和国劳动合同法" for h in hits[:3])
    assert {"law", "short_name", "article", "number", "text", "case_count"} <= set(hits[0])
    page = seeded_client.get("/articles", query_string={"q": "公司不给加班费怎么办"}).get_data(as_text=True)
    assert "劳动合同法" in page and "适用本条的案例" in page
    assert seeded_client.get("/api/v1/articles/search").status_code == 400


def test_civil_code_parts_are_listed_in_the_codes_order(seeded_client):
    """民法典 is stored one file per 编; its page listed 人格权编 first. 总则 comes first, 附则 last."""
    page = seeded_client.get(f"/laws/{quote('民法典')}").get_data(as_text=True)
    order = [page.index(part) for part in ("总则", "物权编", "合同编", "人格权编", "婚姻家庭编", "继承编", "侵权责任编")]
    assert order == sorted(order)


def test_citing_case_counts_follow_the_library(app, runner, tmp_path):
    """The per-article counts of citing cases (a lay question's case votes, a law page's most cited articles)
    are cached per index generation: a case imported later that cites the article is counted at once."""
    from app.models import LawArticle
    from app.services.search import backend
    from tests.helpers import sample_record, write_jsonl

    laws_service.import_dir(write_laws(tmp_path / "laws", {"经济法/示例法(2001-01-01).md": LAW_V1}))
    article = db.session.scalar(select(LawArticle.id).filter_by(number=1))

    def import_citing(source_id: str):
        record = sample_record(source_id=source_id, title=f"{source_id}号示例案", sections=[
            {"kind": "reasoning", "heading": "裁判理由", "text": "依照《中华人民共和国示例法》第一条的规定，判决如下。"}])
        path = write_jsonl(tmp_path / f"{source_id}.jsonl", [record])
        assert runner.invoke(args=["cases", "import", str(path), "--quiet"]).exit_code == 0

    import_citing("a")
    assert laws_service._cases_citing_each(backend().generation(), {article}) == {article: 1}
    assert laws_service.citing_counts("中华人民共和国示例法") == {(1, 0): 1}  # the law page's most cited
    import_citing("b")
    assert laws_service._cases_citing_each(backend().generation(), {article}) == {article: 2}
    assert laws_service.citing_counts("中华人民共和国示例法") == {(1, 0): 2}
