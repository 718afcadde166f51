"""普法版: the lay layer travels in the interchange record — import/export, the editor, the reviewer's
diff, publication — and the public page shows it first; kits use it instead of the fallback."""
from __future__ import annotations

import json

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from app.extensions import db
from app.models import Case, CaseRevision
from app.services import importer, kits, revision_diff, workflow
from schemas.case import CaseRecordSchema
from tests.helpers import CSRF, sample_record, write_jsonl

PLAIN = {"story": "张大爷在超市买了一盒过期饼干。", "result": "超市退款并赔偿一千元。",
         "explanation": "食品过期就不能卖，买到了可以要求十倍赔偿。", "speaker": "某区人民法院法官 李某",
         "tips": "买食品先看生产日期和保质期。", "remedy": "可拨打 12315 投诉，也可以向法院起诉。"}


@pytest.mark.nodb
def test_the_schema_loads_dumps_and_checks_the_lay_layer():
    schema = CaseRecordSchema()
    record = sample_record(plain=PLAIN)
    assert schema.dump(schema.load(record))["plain"] == PLAIN
    assert "plain" not in schema.dump(schema.load(sample_record(plain={"story": " "})))
    with pytest.raises(ValidationError) as error:
        schema.load(sample_record(plain={"result": "只有结果"}))
    assert error.value.messages == {"plain": {"story": ["普法版须填写“案情简介”。"]}}
    with pytest.raises(ValidationError) as error:
        schema.load(sample_record(plain={"story": "x", "moral": "未知字段"}))
    assert "moral" in error.value.messages["plain"]


def test_import_and_export_carry_it(app, runner, tmp_path):
    report = importer.import_files([write_jsonl(tmp_path / "a.jsonl", [sample_record(plain=PLAIN)])])
    assert report.ok
    case = db.session.scalar(select(Case))
    assert case.plain == PLAIN
    out = tmp_path / "out.jsonl"
    assert runner.invoke(args=["cases", "export", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["plain"] == PLAIN


def editor_form(**plain) -> dict:
    """The editor's fields for a one-section case plus 普法版 fields."""
    form = {"csrf_token": CSRF, "op": "submit", "title": "购买过期食品十倍赔偿案", "case_type": "民事",
            "section_count": "1", "section-0-kind": "facts", "section-0-heading": "基本案情",
            "section-0-text": "原告在被告超市购买过期食品。"}
    return form | {f"plain-{name}": text for name, text in plain.items()}


def test_publisher_writes_it_reviewer_sees_it_in_the_diff_public_sees_it_first(app, client, login, accounts):
    login(client, accounts.publisher)
    response = client.post("/publish/cases/new", data=editor_form(result="只有结果，没有案情"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "普法版须填写“案情简介”。" in page and 'name="plain-story"' in page and "只有结果，没有案情" in page
    assert db.session.scalar(select(Case.id)) is None
    response = client.post("/publish/cases/new", data=editor_form(**PLAIN))
    assert response.status_code == 302
    revision = db.session.scalar(select(CaseRevision))
    assert revision.record["plain"] == PLAIN and revision.state == "submitted"
    login(client, accounts.reviewer)
    review = client.get(f"/review/revisions/{revision.id}").get_data(as_text=True)
    assert "【普法版 · 案情简介】" in review and "张大爷在超市买了一盒过期饼干。" in review
    workflow.approve(accounts.reviewer, revision.id)
    case = revision.case
    assert case.plain == PLAIN
    public = app.test_client().get(f"/cases/{case.id}").get_data(as_text=True)
    assert public.index("普法版") < public.index("基本案情") and "（某区人民法院法官 李某）" in public
    with app.test_request_context():
        kit_case = kits.for_cases([case.source_id], "t").cases[0]
    assert kit_case.has_plain and kit_case.part("story").fallback_from is None
    assert kit_case.part("tips").paragraphs == ["买食品先看生产日期和保质期。"]
    # an edit of the 普法版 alone is a revision like any other: private until approved
    login(client, accounts.publisher)
    client.post(f"/publish/cases/{case.id}/edit", data=editor_form(**{**PLAIN, "story": "改写后的案情。"}))
    assert db.session.get(Case, case.id).plain["story"] == PLAIN["story"]
    pending = db.session.scalar(select(CaseRevision).where(CaseRevision.state == "submitted"))
    assert any(line.op == "add" and line.text == "改写后的案情。" for line in revision_diff.diff_to_public(pending))
