"""Auto-tagging rules: transparent evidence, citations → law topics, manual tags survive re-import."""
import json

from sqlalchemy import select

from app.extensions import db
from app.models import Case, CaseTag, TaxonomyTerm
from tests.helpers import sample_record, write_jsonl


def import_records(runner, tmp_path, records):
    """Import records through the CLI."""
    result = runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "t.jsonl", records))])
    assert result.exit_code == 0, result.output


def tags_of(source_id: str) -> dict[str, CaseTag]:
    """A case's tags by term name."""
    case = db.session.scalar(select(Case).filter_by(source_id=source_id))
    return {t.term.name: t for t in case.tags}


def test_food_safety_from_citation_and_criminal_topic_from_type(runner, tmp_path):
    record = sample_record(source_id="food", title="某某刑事案", case_type="刑事", keywords=[],
                           sections=[{"kind": "reasoning", "heading": "", "text":
                                      "依照《中华人民共和国食品安全法》第一百二十三条、《中华人民共和国刑法》第一百四十三条之规定。"}])
    import_records(runner, tmp_path, [record])
    tags = tags_of("food")
    assert tags["食品安全"].auto and tags["食品安全"].evidence == "引用《食品安全法》"
    assert tags["刑法"].auto and tags["刑法"].evidence


def test_procedural_law_cited_only_in_the_body_is_not_a_topic(runner, tmp_path):
    body = "依照《中华人民共和国民事诉讼法》第一百七十条第一款第一项之规定，判决如下：驳回上诉，维持原判。"
    import_records(runner, tmp_path, [sample_record(source_id="p", sections=[{"kind": "outcome", "heading": "", "text": body}])])
    assert "诉讼与非诉讼程序法" not in tags_of("p")
    basis = [{"kind": "legal_basis", "heading": "相关法条", "text": "《中华人民共和国民事诉讼法》第二百二十五条"}]
    import_records(runner, tmp_path, [sample_record(source_id="p", sections=basis)])
    assert "诉讼与非诉讼程序法" in tags_of("p")


def test_manual_tags_survive_reimport_and_auto_tags_are_recomputed(runner, tmp_path):
    import_records(runner, tmp_path, [sample_record(source_id="m")])
    case = db.session.scalar(select(Case).filter_by(source_id="m"))
    food = db.session.scalar(select(TaxonomyTerm).filter_by(name="食品安全"))
    case.tags.append(CaseTag(term=food, auto=False, evidence="发布人手工添加"))
    db.session.commit()
    import_records(runner, tmp_path, [sample_record(source_id="m", title="另一个标题")])
    db.session.expire_all()
    tags = tags_of("m")
    assert tags["食品安全"].auto is False


def test_admin_can_extend_a_taxonomy_from_a_file(runner, tmp_path, client):
    extension = {"hot_issue": [{"code": "elder-care", "name": "养老服务", "description": "养老机构、老年人权益",
                                "rules": {"keywords": ["养老院", "养老机构"]}}]}
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(extension, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["taxonomy", "load", str(path)]).exit_code == 0
    import_records(runner, tmp_path, [sample_record(source_id="e", title="某某诉某养老院服务合同纠纷案")])
    assert "养老服务" in tags_of("e")
    names = {t["name"] for t in client.get("/api/v1/taxonomies").get_json()["hot_issue"]}
    assert "养老服务" in names and "教育就业" in names


def test_bad_taxonomy_file_is_refused_clearly(runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"colours": []}), encoding="utf-8")
    result = runner.invoke(args=["taxonomy", "load", str(path)])
    assert result.exit_code != 0 and "未知的分类体系" in result.output
