"""Login, logout, own password; the current user, CSRF protection and the staff-page guard.

CSRF: a random token per browser session (in the signed session cookie) must come back in a
`csrf_token` form field (or an X-CSRF-Token header) with every POST/PUT/PATCH/DELETE, on
every route. Hand-rolled (a dozen lines) rather than Flask-WTF: no forms library is needed.
"""
from __future__ import annotations

import functools
import hmac
import re
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from app.models import ROLES
from app.services import auth as auth_service
from schemas.errors import flatten

bp = Blueprint("auth", __name__)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
STAFF_BLUEPRINTS = {"publish", "review", "admin", "kits", "work", "assessment"}
ROLE_HOME = {"publisher": "publish.dashboard", "reviewer": "review.queue", "admin": "admin.users",
             "lecturer": "kits.workspace"}


class CsrfFailed(Exception):
    """A state-changing request without the session's CSRF token (answered with 400)."""


def csrf_token() -> str:
    """This browser session's CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.before_app_request
def _load_user_and_check_csrf():
    """Who is asking (from the server-side session); refuse unsafe requests without the token."""
    g.user = None
    if request.endpoint == "static":
        return None
    if "sid" in session:
        g.user = auth_service.session_user(session["sid"])
        if g.user is None:
            session.pop("sid", None)
    if request.method not in SAFE_METHODS:
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        if not hmac.compare_digest(sent.encode(), session.get("csrf", "").encode()) or not sent:
            raise CsrfFailed()
    if (g.user is not None and g.user.must_change_password and request.blueprint in STAFF_BLUEPRINTS):
        flash("管理员已重置您的密码，请先设置新密码。", "warning")
        return redirect(url_for("auth.password"))
    return None


@bp.app_context_processor
def _auth_helpers() -> dict:
    """Templates may use csrf_token(), current_user and ROLES."""
    return {"csrf_token": csrf_token, "current_user": g.get("user"), "ROLES": ROLES}


def login_required(view):
    """Send anonymous visitors to the login page; roles are checked by the services."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """marshmallow messages as {"dotted.field": [messages]} for templates."""
    return {item["field"]: item["messages"] for item in flatten(exc.messages)}


_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: str | None) -> str | None:
    """A path on this site to return to after login, or None (no open redirect).

    Browsers drop tabs and newlines and read a backslash as a slash, so "/\t/example.com" is
    "//example.com": any whitespace, control character or backslash disqualifies a target.
    """
    if not target or _UNSAFE_IN_PATH.search(target) or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def home_for(user) -> str:
    """Where a user lands after login."""
    return url_for(ROLE_HOME.get(user.role, "web.home"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; lockout and rate limiting happen in the service."""
    if request.method == "GET":
        if g.user is not None:
            return redirect(home_for(g.user))
        return render_template("auth/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "")
    try:
        user = auth_service.authenticate(username, request.form.get("password", ""), request.remote_addr or "")
    except auth_service.LoginRefused as refused:
        return render_template("auth/login.html", error=refused.message, code=refused.code, username=username,
                               next=request.form.get("next", "")), refused.status
    token = auth_service.start_session(user, request.remote_addr or "")
    session.clear()  # a fresh session: nothing chosen before login survives (fixation)
    session["sid"] = token
    csrf_token()
    if user.must_change_password:
        return redirect(url_for("auth.password"))
    return redirect(safe_next(request.form.get("next")) or home_for(user))


@bp.post("/logout")
def logout():
    """End the session (the row is deleted, so the old cookie is useless)."""
    auth_service.end_session(session.get("sid"), g.user)
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("web.home"))


@bp.get("/account")
@login_required
def account():
    """The signed-in user's own page (lecturers land here)."""
    return render_template("auth/account.html", user=g.user)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password (required after an admin reset)."""
    errors: dict = {}
    if request.method == "POST":
        new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
        try:
            if new != again:
                raise ValidationError({"new_password_again": ["两次输入的新密码不一致。"]})
            auth_service.change_own_password(g.user, request.form.get("current_password", ""), new,
                                             keep_session=session.get("sid"))
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash("密码已修改。", "info")
            return redirect(home_for(g.user))
    return render_template("auth/password.html", errors=errors), 400 if errors else 200
