"""A large import checks personal data in worker processes one batch ahead: same audit log as in-process."""
import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent, Case
from app.services import importer
from legaltext import deid
from tests.helpers import PG_URL, sample_record, write_jsonl

TREES = ("梧桐", "银杏", "香樟", "白杨", "垂柳", "紫藤", "海棠", "玉兰", "丁香", "木棉", "腊梅")


def _record(n: int, **overrides) -> dict:
    """A case whose facts hold a different address, mobile numbers, names and tree each time."""
    facts = (f"原告王{'一二三四五六七八九十'[n % 10]}明，住某市延安西路{100 + n}号，手机1391234{5600 + n}。"
             f"被告人李{'春夏秋冬'[n % 4]}华驾驶车辆撞伤原告。" + "".join(
                 f"证人电话1381234{7000 + 10 * n + k}。" for k in range(n % 4))  # counts differ by line
             + f"小区院内种有{TREES[n]}。")  # a word only this case has
    fields = {"source_id": f"pipe-{n}", "title": f"王某诉李某机动车交通事故责任纠纷案{n}",
              "sections": [{"kind": "facts", "heading": "基本案情", "text": facts}]}
    return sample_record(**(fields | overrides))


def _audit() -> dict[str, dict]:
    """source_id → audit detail of every import finding."""
    rows = db.session.execute(select(Case.source_id, AuditEvent.detail).join(Case, Case.id == AuditEvent.case_id)
                              .where(AuditEvent.action == "case.import_deid").order_by(AuditEvent.id)).all()
    return dict(rows)  # the last event of a case wins


def _expected(records: list[dict]) -> dict[str, dict]:
    """What the audit log must hold: the library's own summary of each record's last version."""
    out = {}
    for record in records:
        found = deid.summary(record["title"], [s["text"] for s in record["sections"]])
        if found:
            out[record["source_id"]] = {"count": found[0], "kinds": found[1]}
    return out


@pytest.mark.parametrize("workers", [1, 2, 0])
def test_checks_in_worker_processes_reach_the_audit_log(app, runner, tmp_path, monkeypatch, workers):
    monkeypatch.setattr(importer, "BATCH", 3)  # 11 lines: three full batches checked ahead, then a short one
    app.config["IMPORT_WORKERS"] = workers
    records = [_record(n) for n in range(10)]
    records.append(_record(4, title="王某诉李某交通事故案（更正）"))  # a source_id again: its last version counts
    result = runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "p.jsonl", records))])
    assert result.exit_code == 0, result.output
    assert "新增 10，更新 1" in result.output
    expected = _expected(records[:4] + records[5:])
    assert len(expected) == 10 and {d["kinds"]["mobile"] for d in expected.values()} == {1, 2, 3, 4}
    audit = _audit()
    assert {k: v for k, v in audit.items() if k != "pipe-4"} == {k: v for k, v in expected.items() if k != "pipe-4"}
    assert audit["pipe-4"] == expected["pipe-4"]
    assert "脱敏检查：11 件案例" in result.output  # pipe-4 was created, then changed: checked twice

    again = runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "p.jsonl", records[5:]))])
    assert "未变 6" in again.output and "脱敏检查" not in again.output


@pytest.mark.skipif(bool(PG_URL), reason="uses an SQLite trigger to make one row fail inside the database")
def test_a_refused_line_in_a_checked_batch_loses_only_itself(app, runner, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 3)
    app.config["IMPORT_WORKERS"] = 1
    db.session.execute(text(
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON cases WHEN NEW.source_id = 'pipe-4' "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    db.session.commit()
    records = [_record(n) for n in range(8)]
    result = runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "p.jsonl", records))])
    assert result.exit_code == 1 and ":5: [_line] 写入数据库失败" in result.output
    assert _audit() == _expected([r for r in records if r["source_id"] != "pipe-4"])


def test_texts_analysed_in_worker_processes_are_what_the_index_holds(app, runner, client, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 3)  # the drain after each batch uses the workers' analysis
    app.config["IMPORT_WORKERS"] = 2
    records = [_record(n) for n in range(11)]
    result = runner.invoke(args=["cases", "import", "--quiet", str(write_jsonl(tmp_path / "t.jsonl", records))])
    assert result.exit_code == 0, result.output
    for n, tree in enumerate(TREES):
        body = client.get("/api/v1/search", query_string={"q": f"院内种有{tree}"}).get_json()
        assert [hit["source_id"] for hit in body["hits"]][:1] == [f"pipe-{n}"], tree
        assert body["total"] == 11  # every case shares 院内种有; only one has this tree
    status = runner.invoke(args=["search", "status"])
    assert '"in_step": true' in status.output and '"outbox_backlog": 0' in status.output
