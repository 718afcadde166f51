"""Flask CLI for accounts: `flask users create-admin`, `users reset-password`, `users list`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from marshmallow import ValidationError
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from app.services import auth as auth_service
from schemas.errors import flatten

users_cli = AppGroup("users", help="管理后台账号。")


def _fail(exc: ValidationError) -> None:
    """Print Chinese validation messages and exit non-zero."""
    for item in flatten(exc.messages):
        click.echo(f"错误 [{item['field']}] {'；'.join(item['messages'])}", err=True)
    raise SystemExit(1)


@users_cli.command("create-admin")
@click.option("--username", prompt="用户名", help="登录名（字母、数字、_.-，3 到 80 位）。")
@click.option("--display-name", default="系统管理员", show_default=True, help="显示名称。")
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码",
                       help="至少 10 位，含字母和数字（不给则交互输入）。")
def create_admin(username: str, display_name: str, password: str) -> None:
    """Create an admin account (the first one, or another)."""
    try:
        user = auth_service.create_user(None, {"username": username, "display_name": display_name,
                                               "role": "admin", "password": password}, system=True)
    except ValidationError as exc:
        _fail(exc)
    click.echo(f"已创建管理员 {user.username}。")


@users_cli.command("reset-password")
@click.argument("username")
@click.password_option("--password", prompt="新密码", confirmation_prompt="再次输入新密码")
def reset_password(username: str, password: str) -> None:
    """Set a temporary password for any account (for a locked-out last admin)."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        click.echo(f"错误 没有用户 {username}。", err=True)
        raise SystemExit(1)
    try:
        auth_service.reset_password(None, user.id, password, system=True)
    except ValidationError as exc:
        _fail(exc)
    click.echo(f"已重置 {user.username} 的密码，并解除锁定；下次登录时须修改密码。")


@users_cli.command("list")
def list_users() -> None:
    """Every account with role, organisation and state."""
    for user in db.session.scalars(select(User).order_by(User.role, User.username)):
        org = user.organisation.name if user.organisation else "-"
        state = "启用" if user.active else "停用"
        click.echo(f"{user.username}\t{user.role_label}\t{org}\t{state}")


def register(app: Flask) -> None:
    """Attach the users command group."""
    app.cli.add_command(users_cli)
