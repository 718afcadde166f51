"""One case, one hit: the same case published more than once is listed once, its other publications linked."""
import json

from sqlalchemy import select

from app.extensions import db
from app.models import Case
from tests.helpers import sample_record, write_jsonl

FACTS = ("原告孙某在超市购买了十四盒香肠，其中过期香肠若干，遂以超市销售明知是不符合食品安全标准的食品为由，"
         "请求判令超市支付价款十倍的赔偿金。超市辩称原告系知假买假，不应支持其诉讼请求。")


def guiding(**overrides) -> dict:
    """A guiding case (the most authoritative publication)."""
    return sample_record(source_id="spc-guiding-23", title="孙某诉某超市买卖合同纠纷案", document_number="指导案例23号",
                         issuer={"name": "最高人民法院", "kind": "court"}, case_number="（2012）江宁开民初字第646号",
                         keywords=["知假买假", "惩罚性赔偿"],
                         sections=[{"kind": "holding", "heading": "裁判要点", "text": "消费者购买到不符合食品安全标准的食品，要求销售者支付价款十倍赔偿金的，人民法院应予支持。"},
                                   {"kind": "facts", "heading": "基本案情", "text": FACTS}], **overrides)


def reprint(**overrides) -> dict:
    """The same case reprinted by a court as a typical case, under a slightly different title."""
    return sample_record(source_id="typical-77", title="孙某诉某超市有限公司买卖合同纠纷案", issuer={"name": "某市中级人民法院", "kind": "court"},
                         case_number="(2012)江宁开民初字第646号", published_date="2024-05-01",
                         sections=[{"kind": "facts", "heading": "案情", "text": FACTS + "法院审理后支持了原告的请求。"}],
                         **overrides)


def load(runner, tmp_path, records):
    result = runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "c.jsonl", records))])
    assert result.exit_code == 0, result.output
    return {c.source_id: c for c in db.session.scalars(select(Case))}


def test_the_same_case_twice_is_one_hit_with_its_other_publication_linked(app, client, runner, tmp_path):
    cases = load(runner, tmp_path, [reprint(), guiding()])
    canonical, other = cases["spc-guiding-23"], cases["typical-77"]
    assert canonical.canonical_id is None and other.canonical_id == canonical.id  # the guiding case wins
    body = client.get("/api/v1/search", query_string={"q": "知假买假"}).get_json()
    assert [h["id"] for h in body["hits"]] == [canonical.id] and body["total"] == 1
    assert sum(f["count"] for f in body["facets"]["issuer_kind"]) == 1
    page = client.get(f"/cases/{other.id}").get_data(as_text=True)
    assert "本案另有更权威的发布版本" in page and f'href="/cases/{canonical.id}"' in page
    page = client.get(f"/cases/{canonical.id}").get_data(as_text=True)
    assert "另见" in page and f'href="/cases/{other.id}"' in page
    api = client.get(f"/api/v1/cases/{canonical.id}").get_json()
    assert api.get("canonical_id") is None and [c["id"] for c in api["also_published_as"]] == [other.id]
    assert client.get(f"/api/v1/cases/{other.id}").get_json()["canonical_id"] == canonical.id


def test_same_title_with_different_facts_is_not_a_duplicate(app, runner, tmp_path):
    cases = load(runner, tmp_path, [
        sample_record(source_id="a", title="张某盗窃案", sections=[{"kind": "facts", "text": "被告人张某在商场窃取手机一部。" * 3}]),
        sample_record(source_id="b", title="张某盗窃案", sections=[{"kind": "facts", "text": "被告人张某夜间入户盗窃现金五千元。" * 3}])])
    assert cases["a"].canonical_id is None and cases["b"].canonical_id is None


def test_withdrawing_the_listed_version_lists_the_other(app, client, runner, tmp_path, accounts):
    from app.services import workflow

    cases = load(runner, tmp_path, [reprint(), guiding()])
    canonical, other = cases["spc-guiding-23"], cases["typical-77"]
    workflow.withdraw(accounts.admin, canonical.id, "重复发布，保留另一版本。")
    db.session.refresh(other)
    assert other.canonical_id is None
    body = client.get("/api/v1/search", query_string={"q": "知假买假 十倍"}).get_json()
    assert [h["id"] for h in body["hits"]] == [other.id]


def test_the_duplicate_report_lists_the_seed_librarys_groups(seeded_app):
    result = seeded_app.test_cli_runner().invoke(args=["cases", "duplicates", "--json"])
    groups = json.loads(result.stdout)
    assert len(groups) >= 15
    by_canonical = {g["canonical"]["source_id"]: g for g in groups}
    assert [o["source_id"] for o in by_canonical["spc-guiding-23"]["others"]] == ["lawrefbook-aedcf50ae336"]
    assert all(g["canonical"]["document_number"] and g["canonical"]["document_number"].startswith("指导案例")
               for g in groups)  # a guiding case is canonical wherever it is in the group
