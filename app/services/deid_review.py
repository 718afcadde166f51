"""De-identification (脱敏) in review: findings in a revision, shown in context, replaced in one click."""
from __future__ import annotations

from dataclasses import dataclass

from app.extensions import db
from app.models import CaseRevision, RevisionState, User
from app.models.user import utcnow
from app.models.workflow import WORKING_STATES
from app.services.auth import audit, require
from app.services.errors import Missing, WorkflowError
from app.services.revisions import NoArticles, apply_revision
from legaltext import deid
from schemas.case import CaseRecordSchema

_schema = CaseRecordSchema()
CONTEXT_CHARS = 18


@dataclass
class FindingView:
    """A finding as the pages show it: what, where, the text around it, the suggestion."""

    kind: str
    label: str
    text: str
    suggestion: str
    where: str
    before: str
    after: str


def personal_data(record: dict) -> list[FindingView]:
    """Personal data in a record's title and sections (legaltext/deid.py), in reading order."""
    sections = record.get("sections", [])
    out = []
    for f in deid.find_in_case(sections, record.get("title", "")):
        assert f.section is not None  # find_in_case always says where: TITLE or a section index
        text = record.get("title", "") if f.section == deid.TITLE else sections[f.section].get("text", "")
        where = "标题" if f.section == deid.TITLE else f"第 {f.section + 1} 段"
        out.append(FindingView(f.kind, f.label, f.text, f.suggestion, where,
                               text[max(0, f.start - CONTEXT_CHARS):f.start], text[f.end:f.end + CONTEXT_CHARS]))
    return out


def replace_personal_data(actor: User, revision_id: int, texts: list[str] | None = None) -> int:
    """One-click replacement: every occurrence of the flagged `texts` (all findings if None)
    becomes its suggestion (张三 → 张某) across title, summary and sections. Returns how many
    distinct items were replaced. Publishers on their draft; reviewers on a submission."""
    revision = db.session.get(CaseRevision, revision_id)
    if revision is None:
        raise Missing("revision")
    require(actor, "case.review" if revision.state == RevisionState.SUBMITTED else "case.edit", revision.case)
    if revision.state not in WORKING_STATES:
        raise WorkflowError("not_editable", "该版本已审核完毕，不能再修改。")
    findings = personal_data(revision.record)
    if texts is not None:  # only what the check flagged: the form cannot rewrite arbitrary text
        findings = [f for f in findings if f.text in set(texts)]
    mapping = {f.text: f.suggestion for f in findings}
    if not mapping:
        return 0
    revision.record = _replaced(revision.record, mapping)
    revision.updated_at = utcnow()
    if not revision.case.was_public:  # never published: the row mirrors the draft
        apply_revision(revision.case, revision.record, revision.tags or {}, linking_resolver=NoArticles())
    # The audit row says how many and what kind, never the personal data itself.
    audit(actor, "case.deid_replace", revision.case_id, revision.id, replaced=len(mapping),
          kinds=sorted({f.kind for f in findings}))
    db.session.commit()
    return len(mapping)


def _replaced(record: dict, mapping: dict[str, str]) -> dict:
    """A copy of the record with every mapped text replaced, consistently everywhere."""
    sections = record.get("sections", [])
    texts = [record.get("title", ""), record.get("summary", "")] + [s.get("text", "") for s in sections] \
        + [s.get("heading", "") for s in sections]
    new = deid.replace_all(texts, mapping)
    n = len(sections)
    out = {**record, "title": new[0],
           "sections": [{**s, "text": new[2 + i], "heading": new[2 + n + i]} for i, s in enumerate(sections)]}
    if record.get("summary"):
        out["summary"] = new[1]
    return _schema.dump(_schema.load(out))
