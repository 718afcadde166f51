"""Publisher pages: dashboard, case editor, submit, history, withdraw. Views are thin:
parse the form, call one workflow function, render; the service checks every permission."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from app.models import CASE_TYPES, SECTION_KINDS, RevisionState, TaxonomyTerm
from app.models.workflow import WORKING_STATES
from app.services import auth as auth_service
from app.services import deid_review, errors, revision_diff, revisions, uploads, workflow
from app.services.taxonomy import all_terms
from app.web.auth import field_errors, login_required
from legaltext.extract import ExtractError
from schemas.case import PLAIN_LABELS

bp = Blueprint("publish", __name__, url_prefix="/publish")
TEXT_FIELDS = ("title", "summary", "case_type", "document_number", "case_number", "court", "region",
               "judgment_date", "published_date")
_KEYWORD_SPLIT = re.compile(r"[、，,；;\s]+")
MAX_FORM_SECTIONS = 500


# ---- form ⇄ interchange record -------------------------------------------------------------
def sections_from_form(form) -> list[dict]:
    """Sections in form order; entirely blank ones (an unused added row) are dropped."""
    count = min(form.get("section_count", 0, type=int), MAX_FORM_SECTIONS)
    sections = []
    for i in range(count):
        section = {key: form.get(f"section-{i}-{key}", "") for key in ("kind", "heading", "text")}
        if section["heading"].strip() or section["text"].strip():
            sections.append(section)
    return sections


def record_from_form(form) -> dict:
    """The raw interchange record the editor posted (validated later by CaseRecordSchema)."""
    record: dict = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
    record = {name: value for name, value in record.items() if value}  # blank optional = absent
    record["title"] = form.get("title", "").strip()
    record["case_type"] = form.get("case_type", "")
    if form.get("source_id", "").strip():
        record["source_id"] = form["source_id"].strip()
    keywords = [word for word in _KEYWORD_SPLIT.split(form.get("keywords", "")) if word]
    if keywords:
        record["keywords"] = keywords
    if form.get("source_name", "").strip() or form.get("source_url", "").strip():
        record["source"] = {"name": form.get("source_name", "").strip()}
        if form.get("source_url", "").strip():
            record["source"]["url"] = form["source_url"].strip()
    record["sections"] = sections_from_form(form)
    plain = {name: form.get(f"plain-{name}", "").strip() for name in PLAIN_LABELS}
    if any(plain.values()):
        record["plain"] = {name: text for name, text in plain.items() if text}
    return record


def apply_section_op(sections: list[dict], op: str) -> list[dict]:
    """Add, move or remove a section (the no-JavaScript editor posts these as buttons)."""
    if op == "add":
        return sections + [{"kind": "other", "heading": "", "text": ""}]
    match = re.fullmatch(r"(up|down|remove)-(\d+)", op)
    if not match or int(match.group(2)) >= len(sections):
        return sections
    i = int(match.group(2))
    if match.group(1) == "remove":
        return sections[:i] + sections[i + 1:]
    j = i - 1 if match.group(1) == "up" else i + 1
    if 0 <= j < len(sections):
        sections[i], sections[j] = sections[j], sections[i]
    return sections


def form_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Schema errors keyed by editor field names (source.name → source_name, plain.story → plain-story)."""
    out: dict[str, list[str]] = {}
    for name, messages in field_errors(exc).items():
        name = {"source.name": "source_name", "source.url": "source_url", "source": "source_name"}.get(name, name)
        if name.startswith("plain."):
            name = "plain-" + name.removeprefix("plain.")
        if name.startswith("keywords."):
            name = "keywords"
        out.setdefault(name, []).extend(messages)
    return out


def _terms_by_scheme() -> dict[str, list[TaxonomyTerm]]:
    """Taxonomy terms for the tag checkboxes."""
    out: dict[str, list[TaxonomyTerm]] = {"hot_issue": [], "law_topic": []}
    for term in all_terms():
        out.setdefault(term.scheme, []).append(term)
    return out


def _render_editor(state: dict, record: dict, checked: set[str], suggestions: dict[str, str],
                   errors: dict | None = None, status: int = 200):
    """The editor page."""
    if not record.get("sections"):
        record = {**record, "sections": [{"kind": "facts", "heading": "基本案情", "text": ""}]}
    revision = state["revision"]
    findings = len(deid_review.personal_data(revision.record)) if revision is not None else 0
    return render_template(
        "publish/editor.html", state=state, record=record, checked=checked, suggestions=suggestions,
        findings_count=findings,
        errors=errors or {}, terms=_terms_by_scheme(), CASE_TYPES=CASE_TYPES, SECTION_KINDS=SECTION_KINDS,
        PLAIN_LABELS=PLAIN_LABELS,
        organisation=state["case"].issuer if state["case"] else g.user.organisation,
    ), status


def _editor(case_id: int | None):
    """GET: the current working content. POST: a section button re-renders; save/submit write."""
    state = revisions.editor_state(g.user, case_id)
    if state["revision"] is not None and state["revision"].state == RevisionState.SUBMITTED:
        flash("该案例已提交审核，审核完成前不能修改。", "warning")
        return redirect(url_for("publish.revision", revision_id=state["revision"].id))
    if request.method == "GET":
        record = state["record"]
        suggestions = revisions.suggest_tags(record)
        checked = state["tags"] if state["tags"] is not None else set(suggestions)
        return _render_editor(state, record, checked, suggestions)
    record = record_from_form(request.form)
    chosen, shown = set(request.form.getlist("tag")), set(request.form.getlist("suggested"))
    op = request.form.get("op", "save")
    if op not in ("save", "submit"):
        record["sections"] = apply_section_op(record["sections"], op)
        suggestions = revisions.suggest_tags(record)
        checked = revisions.effective_tags(set(suggestions), revisions.overrides_from_choice(chosen, shown))
        return _render_editor(state, record, checked, suggestions)
    try:
        revision = revisions.save(g.user, case_id, record, chosen, shown)
        if op == "submit":
            workflow.submit(g.user, revision.id)
    except errors.PersonalDataFound as found:
        flash(f"草稿已保存，但尚未提交：{found.message}", "warning")
        return redirect(url_for("publish.revision", revision_id=found.revision_id))
    except ValidationError as exc:
        suggestions = revisions.suggest_tags(record)
        checked = revisions.effective_tags(set(suggestions), revisions.overrides_from_choice(chosen, shown))
        flash("保存失败：请按提示修改标红的字段。", "error")
        return _render_editor(state, record, checked, suggestions, form_errors(exc), 400)
    flash("已提交审核。" if op == "submit" else "草稿已保存。", "info")
    if op == "submit":
        return redirect(url_for("publish.dashboard"))
    return redirect(url_for("publish.edit", case_id=revision.case_id))


# ---- routes --------------------------------------------------------------------------------
@bp.get("/")
@login_required
def dashboard():
    """The publisher's drafts, submissions, returns (with comments) and all their cases."""
    page = revisions.dashboard(g.user, request.args.get("page", 1, type=int))
    return render_template("publish/dashboard.html", page=page)


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new():
    """Create a case."""
    return _editor(None)


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit(case_id: int):
    """Edit a case: a draft directly, a published case through a new revision."""
    return _editor(case_id)


@bp.post("/cases/new/upload")
@login_required
def upload():
    """Pre-fill a new case's editor from an uploaded judgment or write-up (nothing is saved yet)."""
    state = revisions.editor_state(g.user, None)
    document = request.files.get("document")
    if document is None or not document.filename:
        flash("请选择要上传的文件（.docx、.pdf 或 .txt）。", "error")
        return redirect(url_for("publish.new"))
    try:
        prefill = uploads.prefill_from_upload(g.user, document.filename, document.read(),
                                              keep=request.form.get("keep_original") == "1")
    except ExtractError as exc:
        flash(f"无法读取该文件：{exc.message}", "error")
        return redirect(url_for("publish.new"))
    record = {**state["record"], **{k: v for k, v in prefill.items() if v}}
    suggestions = revisions.suggest_tags(record)
    flash(f"已从《{document.filename}》提取 {len(record.get('sections', []))} 个段落，请核对后保存。", "info")
    return _render_editor(state, record, set(suggestions), suggestions)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_jsonl():
    """Bulk upload of an interchange JSONL file as drafts of the publisher's organisation."""
    auth_service.require(g.user, "case.edit")
    report, errors = None, {}
    if request.method == "POST":
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            errors = {"file": ["请选择 JSONL 文件。"]}
        else:
            try:
                report = uploads.import_drafts(g.user, upload_file.filename, upload_file.read(),
                                                submit_all=request.form.get("submit_all") == "1")
            except ValidationError as exc:
                errors = field_errors(exc)
    return render_template("publish/import.html", report=report, errors=errors), 400 if errors else 200


@bp.post("/revisions/<int:revision_id>/submit")
@login_required
def submit(revision_id: int):
    """Send a draft or returned revision for review (findings must be replaced or confirmed)."""
    try:
        workflow.submit(g.user, revision_id, confirm_findings=request.form.get("confirm_findings") == "1")
    except errors.PersonalDataFound as found:
        flash(found.message, "warning")
        return redirect(url_for("publish.revision", revision_id=revision_id))
    flash("已提交审核。", "info")
    return redirect(url_for("publish.dashboard"))


@bp.post("/revisions/<int:revision_id>/deid")
@login_required
def replace_personal_data(revision_id: int):
    """One-click de-identification: replace one flagged item (or all) with its suggestion everywhere."""
    texts = None if request.form.get("all") == "1" else request.form.getlist("text")
    count = deid_review.replace_personal_data(g.user, revision_id, texts)
    flash(f"已替换 {count} 项（全文一致替换）。" if count else "没有可替换的内容。", "info")
    if g.user.role == "reviewer":
        return redirect(url_for("review.revision", revision_id=revision_id))
    return redirect(url_for("publish.revision", revision_id=revision_id))


@bp.post("/revisions/<int:revision_id>/discard")
@login_required
def discard(revision_id: int):
    """Throw a draft away (the public version, if any, is untouched)."""
    case = workflow.discard(g.user, revision_id)
    flash("草稿已放弃。", "info")
    return redirect(url_for("publish.history", case_id=case.id) if case else url_for("publish.dashboard"))


@bp.get("/cases/<int:case_id>/history")
@login_required
def history(case_id: int):
    """Every revision of a case and its audit trail."""
    case, history_rows = revisions.revisions(g.user, case_id)
    events = auth_service.audit_log(g.user, case_id=case_id)
    return render_template("publish/history.html", case=case, revisions=history_rows, events=events,
                           working=revisions.working_revision(case_id))


@bp.get("/revisions/<int:revision_id>")
@login_required
def revision(revision_id: int):
    """One revision: its content and what it changes."""
    rev = revisions.get_revision(g.user, revision_id)
    findings = deid_review.personal_data(rev.record) if rev.state in WORKING_STATES else []
    return render_template("publish/revision.html", revision=rev, diff=revision_diff.diff_to_public(rev),
                           findings=findings)


@bp.route("/cases/<int:case_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(case_id: int):
    """Confirm and withdraw a published case (publisher of its body, reviewer or admin)."""
    case = revisions.get_case(g.user, case_id, "case.withdraw")
    errors: dict = {}
    if request.method == "POST":
        try:
            workflow.withdraw(g.user, case_id, request.form.get("reason", ""))
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash("案例已撤回，公众页面将显示撤回说明，检索中已不再出现。", "info")
            return redirect(url_for("publish.history", case_id=case_id))
    if not case.is_public:
        abort(409)
    return render_template("publish/withdraw.html", case=case, errors=errors), 400 if errors else 200
