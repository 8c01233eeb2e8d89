"""The ``dlv`` command."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from dlv import demo as demo_data
from dlv import files, migrate
from dlv.auth import service as auth_service
from dlv.cli import backup, dbt_import, graph, remote, runs, secret_key, tokens, users
from dlv.cli.context import fail, instance_secret_key, instance_url, shown_url, transaction
from dlv.cli.errors import DlvGroup
from dlv.config import SECRET_KEY_FILE, Settings, get_settings
from dlv.crypto import SecretBox
from dlv.files import create_private, private_dir
from dlv.ingestion.inbox import inbox_url
from dlv.ops.logging import configure_logging
from dlv.ops.multiproc import prepare_multiprocess_dir

# No rich tracebacks: they print local variables, which can hold passwords and tokens. An
# unexpected error is one line (DlvGroup); `init`, `serve`, `db upgrade` and `restore` may
# make a new instance, every other command refuses one that does not exist (cli.context).
app = typer.Typer(
    cls=DlvGroup,
    help="DLV: self-hosted data lineage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(secret_key.app, name="secret-key")
app.add_typer(graph.app, name="graph")
app.add_typer(runs.app, name="runs")
app.add_typer(dbt_import.app, name="import")
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
remote.register(app)  # login, logout, lineage, impact: a running server's API


@app.callback()
def main(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", envvar="DLV_DEBUG", help="Print the traceback of an unexpected error too"
        ),
    ] = False,
) -> None:
    """DLV: self-hosted data lineage."""


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (creates the database if it does not exist)."""
    url = get_settings().resolved_database_url
    done = migrate.upgrade_counted(url)
    after = ", ".join(done.after)
    if not done.applied:
        typer.echo(f"{shown_url(url)} is already at {after}")
        return
    before = f"from {', '.join(done.before)}" if done.before else "from an empty database"
    plural = "" if done.applied == 1 else "s"
    typer.echo(f"migrated {shown_url(url)} {before} to {after} ({done.applied} revision{plural})")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    typer.echo(migrate.current(instance_url()) or "(empty)")


INITIAL_PASSWORD_FILE = "initial_admin_password"


def _private_paths(settings: Settings) -> list[Path]:
    """DLV_HOME and what DLV keeps there or beside its SQLite database."""
    url = settings.resolved_database_url
    inbox = inbox_url(url)
    return [
        settings.home,
        settings.home / SECRET_KEY_FILE,
        settings.home / INITIAL_PASSWORD_FILE,
        *files.sqlite_files(url),
        *(files.sqlite_files(inbox) if inbox else []),
    ]


@app.command()
def init() -> None:
    """Create the first admin if there are no users: with DLV_BOOTSTRAP_ADMIN_PASSWORD when it
    is set, else with a generated password put in a 0600 file (never printed)."""
    settings = get_settings()
    migrate.upgrade(settings.resolved_database_url)
    settings.resolved_secret_key()  # generated now (and announced) if it is not configured
    # `make run` runs init before serve: a configured password must not lose to a generated one.
    bootstrap = settings.bootstrap_admin_password
    password = bootstrap.get_secret_value() if bootstrap else secrets.token_urlsafe(18)
    try:
        with transaction() as session:
            user = auth_service.ensure_bootstrap_admin(session, password)
    except auth_service.WeakPassword as exc:
        raise fail(exc.detail) from None
    path = settings.home / INITIAL_PASSWORD_FILE
    if user is not None and bootstrap:
        typer.echo("Created the first admin: user 'admin', password DLV_BOOTSTRAP_ADMIN_PASSWORD")
    elif user is not None:
        private_dir(settings.home)
        path.unlink(missing_ok=True)
        fd = create_private(path)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        typer.echo(f"Created the first admin: user 'admin', password in {path}")
    elif path.exists():
        typer.echo(f"First admin: user 'admin', password in {path} (delete it once changed)")
    typer.echo(
        "Sign in to the web UI at / (or the API: /docs, POST /api/v1/auth/token); add users with "
        "`dlv users create NAME --role admin|viewer`; load an example platform with `dlv demo`."
    )


@app.command()
def demo() -> None:
    """Load a small example platform (PostgreSQL shop, Airflow DAG, Spark job) to explore."""
    # Into the instance a server reads: never a new one (`dlv init` or `dlv serve` make it).
    url, box = instance_url(), SecretBox(instance_secret_key())
    migrate.upgrade(url)
    with transaction() as session:
        loaded = demo_data.load(session, box)
    typer.echo("Loaded the example platform." if loaded else "The example is already loaded.")
    typer.echo(
        "Try: GET /api/v1/nodes?q=revenue, then /api/v1/nodes/{id}/impact?direction=upstream"
    )


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(help="Checks and collections run at once (threads)", min=1, max=256)
    ] = 16,
) -> None:
    """Run a Celery worker for DLV_MONITOR=celery: scheduled checks and collections."""
    from dlv.monitor.queue import run_worker  # noqa: PLC0415 - only this command needs Celery

    settings = get_settings()
    configure_logging(settings)
    if settings.monitor != "celery":
        raise fail("error: `dlv worker` runs with DLV_MONITOR=celery (and DLV_REDIS_URL)")
    instance_url()  # the instance must exist: a worker creates nothing
    instance_secret_key()
    run_worker(settings, concurrency, settings.log_level.upper())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use PostgreSQL for >1)")] = 1,
) -> None:
    """Apply pending migrations, then serve the API."""
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    settings = get_settings()
    configure_logging(settings)  # from the first line on: migrations log too
    migrate.upgrade(settings.resolved_database_url)
    settings.resolved_secret_key()  # generate (and announce) it once, before workers fork
    files.warn_if_readable_by_others(_private_paths(settings))
    prepare_multiprocess_dir()  # last run's metric files would add to this run's totals
    # Once, before the workers start: workers racing to create the first admin clash on
    # the unique username, and uvicorn stops the whole server when one fails to start.
    bootstrap = settings.bootstrap_admin_password
    try:
        with transaction() as session:
            auth_service.ensure_bootstrap_admin(
                session, bootstrap.get_secret_value() if bootstrap else None
            )
    except auth_service.WeakPassword as exc:
        raise fail(exc.detail) from None
    typer.echo(f"DLV on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    # Which instance: a `dlv` command run elsewhere names the one it looked at, compare.
    typer.echo(f"Database: {shown_url(settings.resolved_database_url)}")
    uvicorn.run(
        "dlv.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
        # The event stream's messages are small JSON: compressing each per connection cost
        # 40 KiB of RSS per idle client (92 -> 52 KiB, bench/stream.py) for little gain.
        ws_per_message_deflate=False,
        log_config=None,
        access_log=False,
    )
