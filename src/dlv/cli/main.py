"""The ``dlv`` command."""

from __future__ import annotations

from typing import Annotated

import typer

from dlv import migrate
from dlv.cli import tokens, users
from dlv.config import get_settings

# No rich tracebacks: they print local variables, which can hold passwords and tokens.
app = typer.Typer(
    help="DLV: self-hosted data lineage.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    migrate.upgrade(get_settings().resolved_database_url)
    typer.echo("Database is up to date")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    typer.echo(migrate.current(get_settings().resolved_database_url) or "(empty)")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use PostgreSQL for >1)")] = 1,
) -> None:
    """Apply pending migrations, then serve the API."""
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    settings = get_settings()
    migrate.upgrade(settings.resolved_database_url)
    settings.resolved_secret_key()  # generate (and announce) it once, before workers fork
    typer.echo(f"DLV API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "dlv.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )
