"""Publishers' uploads: an original judgment to prefill the editor, or a JSONL file of drafts."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select

from app.extensions import db
from app.models import Case, User
from app.services import importer
from app.services.auth import audit, require
from app.services.errors import PersonalDataFound, WorkflowError
from app.services.revisions import require_organisation, save
from app.services.workflow import submit
from legaltext import extract
from schemas.case import CaseRecordSchema

_schema = CaseRecordSchema()


def prefill_from_upload(actor: User, filename: str, data: bytes, keep: bool = False) -> dict:
    """Editor content extracted from an uploaded original (.docx/.pdf/.txt).

    The original is not de-identified, so it is not kept unless the publisher asks (`keep`):
    then it goes to UPLOAD_FOLDER (outside the web root) readable by the app's user only (0600),
    named by its SHA-256 so nothing a user typed becomes part of a path. Raises
    extract.ExtractError (code + Chinese message) for a file we refuse or cannot read in time.
    """
    require(actor, "case.edit")
    require_organisation(actor)
    prefill = extract.prefill_from_upload(filename, data, current_app.config["UPLOAD_PARSE_SECONDS"])
    digest = hashlib.sha256(data).hexdigest()
    stored = _keep_original(actor, filename, data, digest) if keep else None
    audit(actor, "case.upload", file=filename[:200], sha256=digest, size=len(data),
          stored=stored.name if stored else None)
    db.session.commit()
    return prefill


def _keep_original(actor: User, filename: str, data: bytes, digest: str) -> Path:
    """Store an original for the publisher's organisation, private to the app's user."""
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / f"org{actor.organisation_id}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stored = folder / f"{digest}{Path(filename).suffix.lower()[:10]}"
    if not stored.exists():
        descriptor = os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
    return stored


MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_LINES = 1000


def import_drafts(actor: User, filename: str, data: bytes, submit_all: bool = False) -> importer.ImportReport:
    """A publisher's interchange JSONL upload: every valid line of their own organisation becomes
    a draft (or a new revision of their existing case), optionally submitted; nothing is published
    without review. The report has the same per-line form as `flask cases import`."""
    require(actor, "case.edit")
    require_organisation(actor)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": [f"文件超过 {MAX_IMPORT_BYTES // (1024 * 1024)} MB 的大小限制。"]})
    report = importer.ImportReport()
    name = Path(filename).name[:200] or "upload.jsonl"
    for number, raw in enumerate(data.split(b"\n"), 1):
        if number > MAX_IMPORT_LINES:
            report.add_failure(name, number, [("_line", f"一次最多导入 {MAX_IMPORT_LINES} 行，其余未处理。")])
            break
        try:
            text = raw.decode("utf-8").removeprefix("\ufeff" if number == 1 else "")
        except UnicodeDecodeError as exc:
            report.add_failure(name, number, [("_line", f"不是有效的 UTF-8 编码（第 {exc.start + 1} 字节）。")])
            continue
        if text.strip():
            _import_line(actor, text, submit_all, report, name, number)
    audit(actor, "case.import", file=name, created=report.created, updated=report.updated,
          failed=report.failed_lines)
    db.session.commit()
    return report


def _import_line(actor: User, text: str, submit_all: bool, report, name: str, number: int) -> None:
    """Save one JSONL line as a draft of the actor's organisation, noting the outcome in `report`."""
    data, problems = importer.parse_line(text)
    if data is None:  # not JSON, or not a valid record
        report.add_failure(name, number, problems)
        return
    org = require_organisation(actor)
    if not problems and (data["issuer"]["name"], data["issuer"]["kind"]) != (org.name, org.kind):
        problems = [("issuer", f"只能导入本机构（{org.name}）发布的案例。")]
    existing = db.session.scalar(select(Case).filter_by(source_id=data["source_id"])) if not problems else None
    if existing is not None and existing.issuer_id != org.id:
        problems = [("source_id", "该案例编号已被其他机构使用。")]
    if problems:
        report.add_failure(name, number, problems)
        return
    try:
        revision = save(actor, existing.id if existing else None, _schema.dump(data))
        if submit_all:
            submit(actor, revision.id)
    except PersonalDataFound:  # saved, only not submitted: a note, not a failure
        report.errors.append(importer.LineError(name, number, "_line", "已保存为草稿；发现疑似个人信息，未提交审核。"))
    except WorkflowError as exc:
        report.add_failure(name, number, [("_line", exc.message)])
        return
    if existing is None:
        report.created += 1
    else:
        report.updated += 1
