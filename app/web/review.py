"""Reviewer (普法办) pages: the queue, one submission with its diff, approve or return."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from app.models import RevisionState
from app.models.user import utcnow
from app.services import deid_review, revision_diff, revisions, workflow
from app.web.auth import field_errors, login_required

bp = Blueprint("review", __name__, url_prefix="/review")


def age_label(since) -> str:
    """How long something has waited, in Chinese (3 天 / 5 小时 / 12 分钟)."""
    if since is None:
        return ""
    seconds = max(0, int((utcnow() - since).total_seconds()))
    if seconds >= 86400:
        return f"{seconds // 86400} 天"
    if seconds >= 3600:
        return f"{seconds // 3600} 小时"
    return f"{max(1, seconds // 60)} 分钟"


@bp.app_template_filter("age")
def _age_filter(since) -> str:
    """Jinja filter: {{ revision.submitted_at|age }}."""
    return age_label(since)


@bp.get("/")
@login_required
def queue():
    """Submitted revisions by organisation, the longest waiting first."""
    organisation_id = request.args.get("org", type=int)
    return render_template("review/queue.html", revisions=revisions.review_queue(g.user, organisation_id),
                           organisations=revisions.queue_organisations(g.user), selected=organisation_id)


def _review_page(revision_id: int, errors: dict | None = None, status: int = 200):
    """One submission: content, diff to the public version, the decision forms."""
    revision = revisions.get_revision(g.user, revision_id, "case.review")
    findings = deid_review.personal_data(revision.record) if revision.state == RevisionState.SUBMITTED else []
    return render_template("review/revision.html", revision=revision, diff=revision_diff.diff_to_public(revision),
                           findings=findings, errors=errors or {}, comment=request.form.get("comment", ""),
                           override_reason=request.form.get("override_reason", "")), status


@bp.get("/revisions/<int:revision_id>")
@login_required
def revision(revision_id: int):
    """Review one submission."""
    return _review_page(revision_id)


@bp.post("/revisions/<int:revision_id>/approve")
@login_required
def approve(revision_id: int):
    """Publish the submission; it replaces the public version at once."""
    try:
        revision = workflow.approve(g.user, revision_id, request.form.get("comment", ""),
                                    request.form.get("override_reason", ""))
    except ValidationError as exc:
        return _review_page(revision_id, field_errors(exc), 400)
    flash(f"已发布：{revision.record.get('title', '')}", "info")
    return redirect(url_for("review.queue"))


@bp.post("/revisions/<int:revision_id>/return")
@login_required
def send_back(revision_id: int):
    """Return the submission to its publisher with a comment (required)."""
    try:
        workflow.send_back(g.user, revision_id, request.form.get("comment", ""))
    except ValidationError as exc:
        return _review_page(revision_id, field_errors(exc), 400)
    flash("已退回发布机关。", "info")
    return redirect(url_for("review.queue"))


@bp.get("/published")
@login_required
def published():
    """Cases recently published through review (reviewers and admins; withdraw from here)."""
    return render_template("review/published.html", revisions=revisions.recently_published(g.user))
