"""A readable diff between versions of a case: one field per line, body text one sentence per line."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import ISSUER_KINDS, SECTION_KINDS, CaseRevision, RevisionState
from app.services.revisions import public_snapshot
from schemas.case import PLAIN_LABELS

FIELD_LABELS = (
    ("title", "标题"), ("summary", "摘要"), ("case_type", "案件类型"), ("document_number", "文号"),
    ("case_number", "案号"), ("court", "审理机关"), ("region", "地区"), ("judgment_date", "裁判日期"),
    ("published_date", "发布日期"),
)


_SENTENCE_END = re.compile(r"(?<=[。！？；])")


@dataclass
class DiffLine:
    """One line of a diff: op is "same", "add", "del" or "gap" (unchanged lines left out)."""

    op: str
    text: str


def readable_lines(record: dict | None, tags: dict | None) -> list[str]:
    """A record as lines a person compares: one field per line, body text one sentence per line."""
    if not record:
        return []
    lines = [f"{label}：{record[name]}" for name, label in FIELD_LABELS if record.get(name)]
    issuer: dict[str, Any] = record.get("issuer") or {}
    lines.append(f"发布机关：{issuer.get('name', '')}（{ISSUER_KINDS.get(issuer.get('kind', ''), '')}）")
    if record.get("keywords"):
        lines.append("关键词：" + "、".join(record["keywords"]))
    for scheme, label in (("hot_issue", "热点问题"), ("law_topic", "法律部门")):
        lines.append(f"{label}：" + "、".join((tags or {}).get(scheme, [])))
    source = record.get("source") or {}
    if source:
        lines.append(f"来源：{source.get('name', '')} {source.get('url', '')}".rstrip())
    for number, section in enumerate(record.get("sections", []), 1):
        kind = SECTION_KINDS.get(section.get("kind"), section.get("kind"))
        lines.append(f"【第 {number} 段 · {kind}】{section.get('heading', '')}")
        lines += _sentences(section.get("text", ""))
    for name, label in PLAIN_LABELS.items():  # the 普法版 is reviewed like any other text
        if (record.get("plain") or {}).get(name):
            lines.append(f"【普法版 · {label}】")
            lines += _sentences(record["plain"][name])
    return lines


def _sentences(text: str) -> list[str]:
    """Body text one sentence per line, for the diff."""
    out = []
    for paragraph in text.splitlines():
        out += [s for s in _SENTENCE_END.split(paragraph.strip()) if s]
    return out


def diff(old_lines: list[str], new_lines: list[str], context: int = 2) -> list[DiffLine]:
    """Line diff with a little context; long unchanged stretches become one "gap" line."""
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if out:
            out.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [DiffLine("same", line) for line in old_lines[i1:i2]]
                continue
            out += [DiffLine("del", line) for line in old_lines[i1:i2]]
            out += [DiffLine("add", line) for line in new_lines[j1:j2]]
    return out


def diff_to_public(revision: CaseRevision) -> list[DiffLine]:
    """What a revision changes: a working one against the public version (all new if none),
    a published one against the version published before it."""
    if revision.state in (RevisionState.PUBLISHED, RevisionState.SUPERSEDED):
        old = readable_lines(*previous_snapshot(revision))
    else:
        public = public_snapshot(revision.case)
        old = readable_lines(*public) if public else []
    return diff(old, readable_lines(revision.record, revision.tags))


def previous_snapshot(revision: CaseRevision) -> tuple[dict | None, dict | None]:
    """(record, tags) of the revision published before this one, if any."""
    before = db.session.scalar(select(CaseRevision).where(
        CaseRevision.case_id == revision.case_id, CaseRevision.number < revision.number,
        CaseRevision.state.in_((RevisionState.PUBLISHED, RevisionState.SUPERSEDED)))
        .order_by(CaseRevision.number.desc()).limit(1))
    return (before.record, before.tags) if before else (None, None)
