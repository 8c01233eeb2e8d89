"""``dlv users``: create users and reset passwords from the shell."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from pydantic import ValidationError

from dlv.auth import repository
from dlv.auth import service as auth_service
from dlv.auth.models import Role
from dlv.auth.principal import SYSTEM
from dlv.auth.schemas import MAX_PASSWORD, MIN_PASSWORD, UserCreate, UserUpdate
from dlv.cli.context import fail, instance_url, transaction
from dlv.errors import DlvError

app = typer.Typer(help="Manage users.", no_args_is_help=True)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@app.command("create")
def create(
    name: str,
    role: Annotated[Role, typer.Option(help="admin or viewer")] = Role.viewer,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin")] = False,
) -> None:
    """Create a user."""
    instance_url()  # before asking for a password
    password = _read_password(password_stdin)
    try:
        data = UserCreate.model_validate({"username": name, "password": password, "role": role})
        with transaction() as session:
            user = auth_service.create_user(session, SYSTEM, data)
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise fail(f"Invalid user: {fields}") from None
    except DlvError as exc:
        raise fail(exc.detail) from None
    typer.echo(f"Created {user.role} {user.username} ({user.id})")


@app.command("list")
def list_users() -> None:
    """List users."""
    with transaction() as session:
        for user in repository.list_users(session, cursor=None, limit=100_000):
            typer.echo(f"{user.username}\t{user.role}\t{user.id}")


@app.command("set-password")
def set_password(
    name: str,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin")] = False,
) -> None:
    """Set a user's password (their login tokens stop working)."""
    instance_url()
    password = _read_password(password_stdin)
    try:
        data = UserUpdate.model_validate({"password": password})
        with transaction() as session:
            user = auth_service.find_user_by_name(session, name)
            if user is None:
                raise fail(f"No user named {name!r}")
            auth_service.update_user(session, SYSTEM, user.id, data)
    except ValidationError:
        raise fail(f"The password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters") from None
    except DlvError as exc:
        raise fail(exc.detail) from None
    typer.echo(f"Password of {name} changed")
