"""The interchange schema: Chinese messages, dotted field paths, exact round trip."""
import pytest
from marshmallow import ValidationError

from schemas.case import CaseRecordSchema
from schemas.errors import flatten
from tests.helpers import sample_record

pytestmark = pytest.mark.nodb


def errors_of(record):
    """Flattened validation errors of a record as {field: [messages]}."""
    with pytest.raises(ValidationError) as info:
        CaseRecordSchema().load(record)
    return {e["field"]: e["messages"] for e in flatten(info.value.messages)}


def test_valid_record_round_trips_exactly():
    record = sample_record()
    assert CaseRecordSchema().dump(CaseRecordSchema().load(record)) == record


@pytest.mark.parametrize("change, field, fragment", [
    ({"title": None}, "title", "不能为空值"),
    ({"title": ""}, "title", "长度"),
    ({"case_type": "刑侦"}, "case_type", "案件类型无效"),
    ({"issuer": {"name": "某院", "kind": "bank"}}, "issuer.kind", "发布机关类型无效"),
    ({"issuer": "某院"}, "issuer", "应为 JSON 对象"),
    ({"judgment_date": "2020-02-30"}, "judgment_date", "有效日期"),
    ({"published_date": "2020/01/01"}, "published_date", "有效日期"),
    ({"sections": []}, "sections", "长度"),
    ({"sections": [{"kind": "story", "text": "x"}]}, "sections.0.kind", "段落类型无效"),
    ({"keywords": "工伤"}, "keywords", "应为列表"),
    ({"extra": 1}, "extra", "未知字段"),
    ({"title": "标题\x00"}, "title", "应为字符串"),
])
def test_bad_fields_get_chinese_messages_with_paths(change, field, fragment):
    errors = errors_of(sample_record(**change))
    assert field in errors
    assert any(fragment in message for message in errors[field])


def test_missing_required_fields_are_named():
    errors = errors_of({"title": "x"})
    assert {"source_id", "case_type", "issuer", "sections"} <= set(errors)
    assert errors["source_id"] == ["缺少必填字段。"]


def test_published_before_judged_is_refused():
    errors = errors_of(sample_record(judgment_date="2024-05-01", published_date="2024-01-01"))
    assert "published_date" in errors
