"""Accounts, login, sessions, permissions, organisations and the audit log.

Every function that changes something takes the acting user first and checks the role here,
in the service layer, so a view that forgets a check still cannot do what the role may not.
Lockout, rate limiting and sessions are rows in the database: every gunicorn worker sees them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from flask import current_app
from marshmallow import ValidationError, validates_schema
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import ISSUER_KINDS, ROLES, AuditEvent, Case, Issuer, LoginAttempt, User, UserSession
from app.models.user import utcnow
from app.services.errors import Missing, PermissionDenied
from schemas.fields import ChineseSchema, Int, Str, length, one_of

# Who may do what. Publishers are further limited to their own organisation's cases.
PERMISSIONS = {
    "case.edit": {"publisher"},  # create, edit, submit, discard a draft
    "case.review": {"reviewer"},  # approve or return a submitted revision
    "case.withdraw": {"publisher", "reviewer", "admin"},
    "case.read_internal": {"publisher", "reviewer", "admin"},  # drafts, history, diffs
    "case.oversee": {"reviewer", "admin"},  # lists across all organisations
    "collection.use": {"lecturer", "publisher", "reviewer", "admin"},  # own 备课 collections, 专题 pages
    "users.manage": {"admin"},
    "audit.read": {"admin"},
    # 菜单式普法 and assessment (app/services/menu.py, orders.py, deliveries.py, duties.py, stats.py).
    # Publishers act only for their own organisation (require_for_organisation).
    "menu.edit": {"publisher", "reviewer"},  # keep menu items; the 普法办 for any body
    "menu.review": {"reviewer"},  # 上架 / 下架 / return with a comment
    "order.read": {"publisher", "reviewer"},  # order queues and the orderer's contact details
    "order.dispatch": {"reviewer"},  # 派单, cancel, archive
    "order.handle": {"publisher"},  # 接单 / 拒单 / 排期 / 送单 for orders dispatched to the body
    "delivery.record": {"publisher"},  # talks held, with photos
    "delivery.read": {"publisher", "reviewer"},  # delivery records and their photos
    "duty.edit": {"publisher", "reviewer"},  # 普法责任清单 items and their evidence
    "calendar.edit": {"publisher", "reviewer"},  # key dates; publishers their body's 集中宣传日 only
    "stats.read": {"reviewer", "admin"},  # the assessment dashboard, report and export
    "rubric.edit": {"reviewer"},  # weights and targets of the score
    "talks.own": {"lecturer"},  # a lecturer's own scheduled and delivered talks
}
USERNAME = re.compile(r"[A-Za-z0-9_.\-]{3,80}")
# Compared against when the user does not exist, so timing does not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class LoginRefused(Exception):
    """Login failed: `code` is machine-readable, `message` Chinese, `status` the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 401):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


# ---- permissions ---------------------------------------------------------------------------
def can(user: User | None, permission: str, case: Case | None = None) -> bool:
    """True when `user` may use `permission` (on `case`, when given)."""
    if user is None or not user.active or user.role not in PERMISSIONS.get(permission, ()):
        return False
    if user.role == "publisher" and case is not None:
        return user.organisation_id is not None and case.issuer_id == user.organisation_id
    return True


def require(user: User | None, permission: str, case: Case | None = None) -> None:
    """Raise PermissionDenied unless `user` may use `permission` (on `case`)."""
    if user is None:
        raise PermissionDenied("请先登录。")
    if not can(user, permission, case):
        if user.active and user.role in PERMISSIONS.get(permission, ()):  # right role, other body's case
            raise PermissionDenied("只能操作本机构发布的案例。")
        raise PermissionDenied()


def require_for_organisation(user: User | None, permission: str, organisation_id: int | None) -> None:
    """Raise PermissionDenied unless `user` may use `permission` for that organisation's things
    (publishers only for their own organisation; the other allowed roles for any)."""
    require(user, permission)  # refuses anonymous visitors, so `user` is set below
    if user is not None and user.role == "publisher" and (
            user.organisation_id is None or user.organisation_id != organisation_id):
        raise PermissionDenied("只能处理本机构的事项。")


# ---- audit log -----------------------------------------------------------------------------
def audit(actor: User | None, action: str, case_id: int | None = None, revision_id: int | None = None,
          target_user_id: int | None = None, **detail) -> None:
    """Add an audit row to the caller's transaction."""
    db.session.add(AuditEvent(
        at=utcnow(), actor_id=actor.id if actor else None, actor_name=actor.name if actor else "系统",
        action=action, case_id=case_id, revision_id=revision_id, target_user_id=target_user_id, detail=detail,
    ))


def audit_log(actor: User, limit: int = 200, case_id: int | None = None) -> list[AuditEvent]:
    """Newest audit rows (admin), or one case's rows (anyone who may read it internally)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if case_id is None:
        require(actor, "audit.read")
    else:
        require(actor, "case.read_internal", db.session.get(Case, case_id))
        query = query.where(AuditEvent.case_id == case_id)
    return list(db.session.scalars(query))


# ---- passwords -----------------------------------------------------------------------------
def password_problems(password: str, username: str = "") -> list[str]:
    """Chinese reasons why a password is too weak (empty when it is acceptable)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(f"密码至少 {minimum} 位。")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        problems.append("密码须同时包含字母和数字。")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名。")
    if len(password) > 200:
        problems.append("密码不能超过 200 位。")
    return problems


def _checked_hash(password: str, username: str, field: str = "password") -> str:
    """The hash of an acceptable password, or a ValidationError on `field`."""
    problems = password_problems(password, username)
    if problems:
        raise ValidationError({field: problems})
    return generate_password_hash(password)


# ---- accounts ------------------------------------------------------------------------------
class UserSchema(ChineseSchema):
    """An account as an admin creates or edits it."""

    username = Str(required=True, validate=length(80, 3))
    display_name = Str(load_default="", validate=length(100))
    role = Str(required=True, validate=one_of(list(ROLES), "角色"))
    organisation_id = Int(allow_none=True, load_default=None)
    password = Str(validate=length(200, 1))

    @validates_schema
    def _publisher_has_organisation(self, data, **kwargs):
        """A publisher belongs to exactly one organisation, a lecturer to at most one, other roles to none."""
        if data.get("role") == "publisher" and not data.get("organisation_id"):
            raise ValidationError("发布员必须选择所属机构。", "organisation_id")
        if not USERNAME.fullmatch(data.get("username", "")):
            raise ValidationError("用户名只能包含字母、数字、下划线、点和短横线，长度 3 到 80。", "username")


def _user_or_404(user_id: int) -> User:
    """The user, or Missing (answered with 404)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise Missing("user")
    return user


def _organisation_for(data: dict) -> int | None:
    """The checked organisation id for a user's role (publishers must, lecturers may have one)."""
    if data["role"] not in ("publisher", "lecturer") or not data.get("organisation_id"):
        return None
    if db.session.get(Issuer, data["organisation_id"]) is None:
        raise ValidationError({"organisation_id": ["所选机构不存在。"]})
    return data["organisation_id"]


def create_user(actor: User | None, raw: dict, system: bool = False) -> User:
    """Create an account (admins; `system=True` only for the first-admin CLI)."""
    if not system:
        require(actor, "users.manage")
    data = UserSchema().load(raw)
    if not data.get("password"):
        raise ValidationError({"password": ["缺少必填字段。"]})
    if db.session.scalar(select(User.id).where(func.lower(User.username) == data["username"].lower())):
        raise ValidationError({"username": ["该用户名已被使用。"]})
    user = User(username=data["username"], display_name=data["display_name"], role=data["role"],
                organisation_id=_organisation_for(data), active=True,
                password_hash=_checked_hash(data["password"], data["username"]))
    db.session.add(user)
    db.session.flush()
    audit(actor, "user.create", target_user_id=user.id, username=user.username, role=user.role)
    db.session.commit()
    return user


def update_user(actor: User, user_id: int, raw: dict) -> User:
    """Change an account's name, role, organisation or active flag (admins)."""
    require(actor, "users.manage")
    user = _user_or_404(user_id)
    raw = dict(raw)
    active = raw.pop("active", user.active)
    data = UserSchema().load({**raw, "username": user.username})
    if user.id == actor.id and (data["role"] != "admin" or not active):
        raise ValidationError({"role": ["不能取消自己的管理员角色或停用自己的账号。"]})
    user.display_name, user.role = data["display_name"], data["role"]
    user.organisation_id = _organisation_for(data)
    user.active = bool(active)
    if not user.active:
        _end_all_sessions(user.id)
    audit(actor, "user.update", target_user_id=user.id, role=user.role, active=user.active,
          organisation_id=user.organisation_id)
    db.session.commit()
    return user


def reset_password(actor: User | None, user_id: int, new_password: str, system: bool = False) -> User:
    """Set a temporary password (admins): the user must change it at next login; sessions end."""
    if not system:
        require(actor, "users.manage")
    user = _user_or_404(user_id)
    user.password_hash = _checked_hash(new_password, user.username)
    user.must_change_password = True
    _forget_failures(user)
    _end_all_sessions(user.id)
    audit(actor, "user.password_reset", target_user_id=user.id)
    db.session.commit()
    return user


def change_own_password(user: User, current: str, new: str, keep_session: str | None = None) -> None:
    """A user replaces their own password (needs the current one); every other session of theirs ends."""
    if not check_password_hash(user.password_hash, current):
        raise ValidationError({"current_password": ["当前密码不正确。"]})
    if current == new:
        raise ValidationError({"new_password": ["新密码不能与当前密码相同。"]})
    user.password_hash = _checked_hash(new, user.username, "new_password")
    user.must_change_password = False
    _end_all_sessions(user.id, except_token=keep_session)
    audit(user, "user.password_change", target_user_id=user.id)
    db.session.commit()


def unlock(actor: User, user_id: int) -> User:
    """Lift every block on an account's name (admins): its failed attempts are forgotten."""
    require(actor, "users.manage")
    user = _user_or_404(user_id)
    _forget_failures(user)
    audit(actor, "user.unlock", target_user_id=user.id)
    db.session.commit()
    return user


def list_users(actor: User) -> list[User]:
    """Every account, by role then name (admins)."""
    require(actor, "users.manage")
    return list(db.session.scalars(select(User).order_by(User.role, User.username)))


def get_user(actor: User, user_id: int) -> User:
    """One account (admins)."""
    require(actor, "users.manage")
    return _user_or_404(user_id)


# ---- organisations -------------------------------------------------------------------------
class OrganisationSchema(ChineseSchema):
    """An organisation as an admin creates it."""

    name = Str(required=True, validate=length(200, 1))
    kind = Str(required=True, validate=one_of(list(ISSUER_KINDS), "机构类型"))
    region = Str(load_default="", validate=length(200))


def organisations() -> list[Issuer]:
    """Every organisation (issuer), by kind then name."""
    return list(db.session.scalars(select(Issuer).order_by(Issuer.kind, Issuer.name)))


def create_organisation(actor: User, raw: dict) -> Issuer:
    """Create an organisation, or give an existing issuer of that name and kind its region (admins)."""
    require(actor, "users.manage")
    data = OrganisationSchema().load(raw)
    org = db.session.scalar(select(Issuer).filter_by(name=data["name"], kind=data["kind"]))
    if org is None:
        org = Issuer(name=data["name"], kind=data["kind"])
        db.session.add(org)
    org.region = data["region"] or None
    db.session.flush()
    audit(actor, "organisation.save", organisation_id=org.id, name=org.name, kind=org.kind, region=org.region)
    db.session.commit()
    return org


# ---- login and sessions --------------------------------------------------------------------
def _recent_failures_from(ip: str, now: dt.datetime) -> int:
    """Failed attempts from one address inside the rate-limit window."""
    since = now - dt.timedelta(minutes=current_app.config["LOGIN_IP_WINDOW_MINUTES"])
    return db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.created_at > since)) or 0


def _note_attempt(ip: str, username: str, success: bool, now: dt.datetime) -> None:
    """Record an attempt and forget those older than a day (bounded table)."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < now - dt.timedelta(days=1)))
    db.session.add(LoginAttempt(ip=ip[:64], username=username.lower()[:80], success=success, created_at=now))


def blocked_until(username: str, ip: str, now: dt.datetime) -> dt.datetime | None:
    """Until when this name may not try again from this address, or None.

    LOGIN_MAX_FAILURES failures of one name from one address since its last success block that
    pair for LOGIN_LOCKOUT_MINUTES, doubling with every further round of failures (at most a day).
    The pair, not the account: nobody elsewhere can lock a real user out, and the answer is the
    same whether or not the name exists.
    """
    name = username.lower()[:80]
    pair = (LoginAttempt.username == name, LoginAttempt.ip == ip[:64])
    last_success = db.session.scalar(select(func.max(LoginAttempt.created_at)).where(*pair, LoginAttempt.success))
    failures = list(db.session.scalars(select(LoginAttempt.created_at).where(
        *pair, LoginAttempt.success.is_(False), LoginAttempt.created_at > (last_success or dt.datetime.min))
        .order_by(LoginAttempt.created_at)))
    per_round = current_app.config["LOGIN_MAX_FAILURES"]
    rounds = len(failures) // per_round
    if not rounds:
        return None
    minutes = min(current_app.config["LOGIN_LOCKOUT_MINUTES"] * 2 ** (rounds - 1), 24 * 60)
    until = failures[rounds * per_round - 1] + dt.timedelta(minutes=minutes)  # from the round's last failure
    return until if until > now else None


def authenticate(username: str, password: str, ip: str) -> User:
    """The user for these credentials, or LoginRefused (address rate limit, blocked pair, wrong password).

    Unknown names and wrong passwords are answered alike, in the same time (a dummy hash is checked).
    """
    now = utcnow()
    username = (username or "").strip()[:80]
    if _recent_failures_from(ip, now) >= current_app.config["LOGIN_IP_LIMIT"]:
        raise LoginRefused("rate_limited", "登录尝试过于频繁，请稍后再试。", 429)
    until = blocked_until(username, ip, now)
    if until is not None:
        minutes = max(1, int((until - now).total_seconds() // 60) + 1)
        raise LoginRefused("rate_limited", f"登录尝试过于频繁，请 {minutes} 分钟后再试，或联系管理员。", 429)
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not (valid and user is not None and user.active):
        _note_attempt(ip, username, False, now)
        if user is not None and blocked_until(username, ip, now) is not None:
            audit(None, "user.lockout", target_user_id=user.id, ip=ip[:64])
        db.session.commit()
        raise LoginRefused("invalid_credentials", "用户名或密码错误，或账号已停用。")
    user.last_login_at = now
    _note_attempt(ip, username, True, now)
    audit(user, "auth.login", target_user_id=user.id, ip=ip)
    db.session.commit()
    return user


def lockouts() -> dict[int, dt.datetime]:
    """Accounts whose name is blocked from some address now: user id → the latest unblocking time."""
    now = utcnow()
    out: dict[int, dt.datetime] = {}
    pairs = db.session.execute(select(LoginAttempt.username, LoginAttempt.ip).where(
        LoginAttempt.success.is_(False)).distinct()).all()
    names = {name for name, _ in pairs}
    users = {u.username.lower(): u.id for u in db.session.scalars(
        select(User).where(func.lower(User.username).in_(names)))} if names else {}
    for name, ip in pairs:
        until = blocked_until(name, ip, now) if name in users else None
        if until is not None:
            out[users[name]] = max(until, out.get(users[name], until))
    return out


def _token_hash(token: str) -> str:
    """What the database stores instead of the session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, ip: str) -> str:
    """A new server-side session; return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                               last_seen_at=now, ip=ip[:64]))
    db.session.commit()
    return token


def session_user(token: str | None) -> User | None:
    """The active user of a live session, or None; expired sessions are deleted.

    Sessions end after AUTH_IDLE_MINUTES without a request and AUTH_SESSION_HOURS after login.
    """
    if not token:
        return None
    row = db.session.scalar(select(UserSession).filter_by(token_hash=_token_hash(token)))
    if row is None:
        return None
    now = utcnow()
    idle = dt.timedelta(minutes=current_app.config["AUTH_IDLE_MINUTES"])
    maximum = dt.timedelta(hours=current_app.config["AUTH_SESSION_HOURS"])
    if not row.user.active or now - row.last_seen_at > idle or now - row.created_at > maximum:
        db.session.delete(row)
        db.session.commit()
        return None
    if now - row.last_seen_at > dt.timedelta(seconds=60):  # one write a minute, not per request
        row.last_seen_at = now
        db.session.commit()
    return row.user


def end_session(token: str | None, user: User | None = None) -> None:
    """Log out: delete the session row."""
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))
        if user is not None:
            audit(user, "auth.logout", target_user_id=user.id)
        db.session.commit()


def _end_all_sessions(user_id: int, except_token: str | None = None) -> None:
    """Delete every session of a user (password change or reset, deactivation) but `except_token`'s."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if except_token:
        query = query.where(UserSession.token_hash != _token_hash(except_token))
    db.session.execute(query)


def _forget_failures(user: User) -> None:
    """Forget an account's failed logins from every address (lifts every block on its name)."""
    db.session.execute(delete(LoginAttempt).where(
        LoginAttempt.username == user.username.lower(), LoginAttempt.success.is_(False)))
