"""Login, lockout, rate limiting, sessions, CSRF, password reset and the users CLI."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User, UserSession
from app.services import auth as auth_service
from tests.helpers import CSRF, STAFF_PASSWORD


def get_csrf(client) -> str:
    """Open the login page (which creates the CSRF token) and return the token."""
    client.get("/login")
    with client.session_transaction() as session:
        return session["csrf"]


def post_login(client, username, password, token=None, ip="127.0.0.1", next_url=None):
    """Submit the login form (from address `ip`)."""
    data = {"username": username, "password": password, "csrf_token": token or get_csrf(client)}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": ip})


def test_login_lands_on_the_role_home_and_logout_ends_the_session(app, client, accounts):
    response = post_login(client, "publisher", STAFF_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/publish/"
    assert "测试publisher" in client.get("/publish/").get_data(as_text=True)
    with client.session_transaction() as session:
        token, csrf = session["sid"], session["csrf"]
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert db.session.scalar(select(UserSession.id)) is None
    with client.session_transaction() as session:  # replaying the old cookie does not help
        session["sid"] = token
    assert client.get("/publish/").status_code == 302


def test_login_follows_only_local_next(app, client, accounts):
    token = get_csrf(client)
    ok = client.post("/login", data={"username": "reviewer", "password": STAFF_PASSWORD, "csrf_token": token,
                                     "next": "/review/?org=1"})
    assert ok.headers["Location"] == "/review/?org=1"
    client.post("/logout", data={"csrf_token": get_csrf(client)})
    evil = client.post("/login", data={"username": "reviewer", "password": STAFF_PASSWORD,
                                       "csrf_token": get_csrf(client), "next": "//evil.example/"})
    assert evil.headers["Location"] == "/review/"


def test_passwords_are_hashed(app, accounts):
    user = db.session.get(User, accounts.publisher.id)
    assert STAFF_PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app, client, accounts):
    wrong_password = post_login(client, "publisher", "nope")
    unknown_user = post_login(client, "nobody", "nope")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "用户名或密码错误" in wrong_password.get_data(as_text=True)
    assert "用户名或密码错误" in unknown_user.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/\t/example.com", "/\n/example.com", "/\\example.com", "//example.com",
                                    "https://example.com/", " /publish/", "/publish/\r\nSet-Cookie: x=1",
                                    "/%09/example.com"])
def test_next_can_only_be_a_plain_local_path(app, client, accounts, target):
    """/\t/example.com redirected to //example.com and a newline in next gave a 500."""
    response = post_login(client, "reviewer", STAFF_PASSWORD, next_url=target)
    assert response.status_code == 302 and response.headers["Location"] in ("/review/", target)
    assert response.headers["Location"] == "/review/" or target == "/%09/example.com"


def test_failures_block_the_name_from_that_address_only(app, client, accounts):
    """Five wrong passwords from one address block that name there; the real user elsewhere logs in."""
    for _ in range(5):
        assert post_login(client, "publisher", "wrong-password-1", ip="10.0.0.66").status_code == 401
    blocked = post_login(client, "publisher", STAFF_PASSWORD, ip="10.0.0.66")
    assert blocked.status_code == 429 and "频繁" in blocked.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent.id).filter_by(action="user.lockout")) is not None
    assert post_login(client, "publisher", STAFF_PASSWORD, ip="10.0.0.7").status_code == 302
    assert accounts.publisher.id in auth_service.lockouts()


def test_a_blocked_unknown_name_is_answered_like_a_real_one(app, client, accounts):
    for name in ("publisher", "no-such-person"):
        for _ in range(5):
            post_login(client, name, "wrong-password-1", ip="10.0.0.66")
    real = post_login(client, "publisher", "wrong-password-1", ip="10.0.0.66")
    unknown = post_login(client, "no-such-person", "wrong-password-1", ip="10.0.0.66")
    assert real.status_code == unknown.status_code == 429
    text = lambda r: r.get_data(as_text=True).replace("no-such-person", "NAME").replace("publisher", "NAME")  # noqa: E731
    assert text(real) == text(unknown)


def test_blocks_expire_and_double_with_each_round(app, client, accounts):
    from app.models import LoginAttempt

    def age_attempts(minutes):
        for row in db.session.scalars(select(LoginAttempt)):
            row.created_at -= dt.timedelta(minutes=minutes)
        db.session.commit()

    for _ in range(5):
        post_login(client, "publisher", "wrong-password-1", ip="10.0.0.66")
    age_attempts(16)  # the first block (15 minutes) is over
    for _ in range(5):
        post_login(client, "publisher", "wrong-password-1", ip="10.0.0.66")
    until = auth_service.blocked_until("publisher", "10.0.0.66", auth_service.utcnow())
    assert until is not None and 29 <= (until - auth_service.utcnow()).total_seconds() / 60 <= 30
    age_attempts(31)
    assert post_login(client, "publisher", STAFF_PASSWORD, ip="10.0.0.66").status_code == 302


def test_admin_unlocks_a_blocked_name(app, client, accounts):
    for _ in range(5):
        post_login(client, "publisher", "wrong-password-1", ip="10.0.0.66")
    auth_service.unlock(accounts.admin, accounts.publisher.id)
    assert accounts.publisher.id not in auth_service.lockouts()
    assert post_login(client, "publisher", STAFF_PASSWORD, ip="10.0.0.66").status_code == 302


def test_changing_ones_password_ends_the_other_sessions(app, accounts, login):
    first, second = app.test_client(), app.test_client()
    login(first, accounts.publisher)
    login(second, accounts.publisher)
    response = first.post("/account/password", data={"csrf_token": CSRF, "current_password": STAFF_PASSWORD,
                                                     "new_password": "Another-horse-43",
                                                     "new_password_again": "Another-horse-43"})
    assert response.status_code == 302
    assert first.get("/publish/").status_code == 200  # this session goes on
    assert second.get("/publish/").status_code == 302  # the other one is over


def test_many_failures_from_one_address_are_rate_limited(app, client, accounts):
    app.config["LOGIN_IP_LIMIT"] = 3
    for name in ("a1", "a2", "a3"):
        assert post_login(client, name, "x").status_code == 401
    limited = post_login(client, "reviewer", STAFF_PASSWORD)  # even a correct login waits
    assert limited.status_code == 429 and "频繁" in limited.get_data(as_text=True)


def test_sessions_expire_when_idle_and_after_the_maximum_age(app, client, accounts, login):
    login(client, accounts.publisher)
    assert client.get("/publish/").status_code == 200
    row = db.session.scalar(select(UserSession))
    row.last_seen_at -= dt.timedelta(minutes=61)
    db.session.commit()
    assert client.get("/publish/").status_code == 302  # idle for over AUTH_IDLE_MINUTES
    assert db.session.scalar(select(UserSession.id)) is None
    login(client, accounts.publisher)
    row = db.session.scalar(select(UserSession))
    row.created_at -= dt.timedelta(hours=13)
    db.session.commit()
    assert client.get("/publish/").status_code == 302  # older than AUTH_SESSION_HOURS


def test_deactivated_user_is_logged_out(app, client, accounts, login):
    login(client, accounts.publisher)
    auth_service.update_user(accounts.admin, accounts.publisher.id,
                             {"display_name": "x", "role": "publisher", "organisation_id": accounts.org_a.id,
                              "active": False})
    assert client.get("/publish/").status_code == 302
    assert post_login(client, "publisher", STAFF_PASSWORD).status_code == 401


# ---- CSRF ----------------------------------------------------------------------------------
def test_every_form_post_needs_the_csrf_token(app, client, accounts, login):
    login(client, accounts.publisher)
    missing = client.post("/publish/cases/new", data={"title": "x", "op": "save"})
    wrong = client.post("/publish/cases/new", data={"title": "x", "op": "save", "csrf_token": "forged"})
    for response in (missing, wrong):
        assert response.status_code == 400 and "csrf_failed" in response.get_data(as_text=True)
    assert client.post("/login", data={"username": "publisher", "password": STAFF_PASSWORD}).status_code == 400
    assert client.post("/logout").status_code == 400


def test_forms_carry_the_token(app, client, accounts, login):
    login(client, accounts.publisher)
    page = client.get("/publish/cases/new").get_data(as_text=True)
    assert f'name="csrf_token" value="{CSRF}"' in page


# ---- password reset and change -------------------------------------------------------------
def test_admin_reset_ends_sessions_and_forces_a_new_password(app, client, accounts, login):
    other = app.test_client()
    login(other, accounts.publisher)
    token = login(client, accounts.admin)
    page = client.post(f"/admin/users/{accounts.publisher.id}/password", data={"csrf_token": token})
    assert page.status_code == 200 and "临时密码" in page.get_data(as_text=True)
    assert other.get("/publish/").status_code == 302  # the publisher's session ended
    user = db.session.get(User, accounts.publisher.id)
    assert user.must_change_password
    auth_service.reset_password(accounts.admin, user.id, "Temporary-pass-1")
    response = post_login(other, "publisher", "Temporary-pass-1")
    assert response.headers["Location"] == "/account/password"
    assert other.get("/publish/").headers["Location"] == "/account/password"
    with other.session_transaction() as session:
        csrf = session["csrf"]
    weak = other.post("/account/password", data={"csrf_token": csrf, "current_password": "Temporary-pass-1",
                                                 "new_password": "short", "new_password_again": "short"})
    assert weak.status_code == 400 and "至少 10 位" in weak.get_data(as_text=True)
    done = other.post("/account/password", data={"csrf_token": csrf, "current_password": "Temporary-pass-1",
                                                 "new_password": "Brand-new-pass-7", "new_password_again": "Brand-new-pass-7"})
    assert done.status_code == 302 and other.get("/publish/").status_code == 200


def test_admin_creates_accounts_with_validation(app, client, accounts, login):
    token = login(client, accounts.admin)
    bad = client.post("/admin/users/new", data={"csrf_token": token, "username": "x y", "role": "publisher",
                                                "password": "short"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "发布员必须选择所属机构" in text
    ok = client.post("/admin/users/new", data={"csrf_token": token, "username": "new.publisher", "role": "publisher",
                                               "organisation_id": accounts.org_b.id, "password": "Good-password-9"})
    assert ok.status_code == 302
    user = db.session.scalar(select(User).filter_by(username="new.publisher"))
    assert user.organisation_id == accounts.org_b.id
    duplicate = client.post("/admin/users/new", data={"csrf_token": token, "username": "NEW.publisher",
                                                      "role": "reviewer", "password": "Good-password-9"})
    assert "该用户名已被使用" in duplicate.get_data(as_text=True)


def test_admin_adds_an_organisation_with_kind_and_region(app, client, accounts, login):
    token = login(client, accounts.admin)
    client.post("/admin/organisations", data={"csrf_token": token, "name": "某县生态环境局", "kind": "enforcement",
                                              "region": "某省某县"})
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert "某县生态环境局" in page and "某省某县" in page
    bad = client.post("/admin/organisations", data={"csrf_token": token, "name": "", "kind": "nope"})
    assert bad.status_code == 400 and "机构类型无效" in bad.get_data(as_text=True)


# ---- CLI -----------------------------------------------------------------------------------
def test_cli_creates_the_first_admin(app, runner):
    result = runner.invoke(args=["users", "create-admin", "--username", "root", "--password", "Admin-pass-123"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).filter_by(username="root"))
    assert user.role == "admin" and user.password_hash != "Admin-pass-123"
    weak = runner.invoke(args=["users", "create-admin", "--username", "root2", "--password", "weak"])
    assert weak.exit_code == 1 and "至少 10 位" in weak.output
    listed = runner.invoke(args=["users", "list"])
    assert "root" in listed.output and "系统管理员" in listed.output


def test_cli_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["users", "create-admin", "--username", "boss"],
                           input="Admin-pass-123\nAdmin-pass-123\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role).filter_by(username="boss")) == "admin"
