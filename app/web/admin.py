"""Admin pages: accounts (create, edit, reset password, unlock), organisations, audit log."""
from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from app.models import ISSUER_KINDS
from app.services import auth as auth_service
from app.web.auth import field_errors, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_form() -> dict:
    """The account fields an admin posted."""
    data: dict[str, Any] = {name: request.form.get(name, "").strip() for name in ("username", "display_name", "role")}
    data["organisation_id"] = request.form.get("organisation_id", type=int)
    if request.form.get("password"):
        data["password"] = request.form["password"]
    return data


def temporary_password() -> str:
    """A random password that satisfies the rules (letters and digits)."""
    return secrets.token_urlsafe(9) + str(secrets.randbelow(10)) + "a"


@bp.get("/users")
@login_required
def users():
    """Every account."""
    people = auth_service.list_users(g.user)
    return render_template("admin/users.html", users=people, locked=auth_service.lockouts())


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user():
    """Create an account."""
    auth_service.require(g.user, "users.manage")
    errors: dict = {}
    form: dict = {}
    if request.method == "POST":
        form = _user_form()
        try:
            user = auth_service.create_user(g.user, form)
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash(f"已创建账号 {user.username}。", "info")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", user=None, form=form, errors=errors,
                           organisations=auth_service.organisations()), 400 if errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int):
    """Change an account's name, role, organisation or active flag."""
    user = auth_service.get_user(g.user, user_id)
    errors: dict = {}
    form = {"username": user.username, "display_name": user.display_name, "role": user.role,
            "organisation_id": user.organisation_id}
    if request.method == "POST":
        form = {**_user_form(), "username": user.username, "active": request.form.get("active") == "1"}
        form.pop("password", None)
        try:
            auth_service.update_user(g.user, user_id, form)
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash("账号已更新。", "info")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", user=user, form=form, errors=errors,
                           organisations=auth_service.organisations()), 400 if errors else 200


@bp.post("/users/<int:user_id>/password")
@login_required
def reset_password(user_id: int):
    """Give the user a temporary password, shown once on the page (never put in the cookie)."""
    password = request.form.get("password") or temporary_password()
    try:
        user = auth_service.reset_password(g.user, user_id, password)
    except ValidationError as exc:
        flash("重置失败：" + "；".join(m for ms in field_errors(exc).values() for m in ms), "error")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    form = {"username": user.username, "display_name": user.display_name, "role": user.role,
            "organisation_id": user.organisation_id}
    return render_template("admin/user_form.html", user=user, form=form, errors={}, temporary_password=password,
                           organisations=auth_service.organisations())


@bp.post("/users/<int:user_id>/unlock")
@login_required
def unlock(user_id: int):
    """Lift a lockout."""
    user = auth_service.unlock(g.user, user_id)
    flash(f"已解除 {user.username} 的登录锁定。", "info")
    return redirect(url_for("admin.users"))


@bp.route("/organisations", methods=["GET", "POST"])
@login_required
def organisations():
    """List organisations (= issuers) and add one or set its region."""
    auth_service.require(g.user, "users.manage")
    errors: dict = {}
    if request.method == "POST":
        try:
            form = {k: request.form.get(k, "") for k in ("name", "kind", "region")}
            org = auth_service.create_organisation(g.user, form)
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            flash(f"已保存机构：{org.name}", "info")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisations.html", organisations=auth_service.organisations(),
                           errors=errors, ISSUER_KINDS=ISSUER_KINDS, form=request.form), 400 if errors else 200


@bp.get("/audit")
@login_required
def audit():
    """The newest audit events."""
    return render_template("admin/audit.html", events=auth_service.audit_log(g.user, limit=500))
