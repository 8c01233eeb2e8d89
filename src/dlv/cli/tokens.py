"""``dlv tokens``: issue API tokens for machines."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from dlv.auth import service as auth_service
from dlv.auth.models import TokenScope
from dlv.auth.principal import SYSTEM
from dlv.auth.schemas import TokenCreate
from dlv.cli.context import fail, transaction

app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


@app.command("create")
def create(
    name: str,
    scope: Annotated[TokenScope, typer.Option(help="admin, read or ingest")],
    expires_days: Annotated[int | None, typer.Option(help="Days until it expires")] = None,
) -> None:
    """Issue a token and print it once."""
    try:
        data = TokenCreate(name=name, scope=scope, expires_days=expires_days)
    except ValidationError as exc:
        raise fail(f"Invalid token: {exc.errors()[0]['msg']}") from None
    with transaction() as session:
        token, secret = auth_service.create_token(session, SYSTEM, data)
    typer.echo(secret)
    typer.secho(
        f"Token {token.name!r} ({token.scope}) created; it is shown only this once.",
        err=True,
    )
