"""``dlv backup FILE`` and ``dlv restore FILE``: the whole instance, SQLite or PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dlv.cli.context import fail, instance_secret_key, instance_url
from dlv.config import get_settings
from dlv.ops import backup as ops_backup
from dlv.ops import restore as ops_restore
from dlv.ops.backup import BackupError

STDIO = "-"


def backup(
    file: Annotated[str, typer.Argument(help="File to write (gzip JSON lines); - for stdout")],
) -> None:
    """Write a consistent snapshot of the whole instance to FILE (mode 0600)."""
    url, key = instance_url(), instance_secret_key()
    try:
        if file == STDIO:
            summary = ops_backup.backup(url, sys.stdout.buffer, key)
        else:
            summary = ops_backup.backup_file(url, Path(file), key)
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(
        f"Backed up {summary.total} rows of {len(summary.rows)} tables "
        f"(revision {', '.join(summary.revisions)}) to {file}. It holds password hashes and "
        "encrypted secrets: store it like a secret, and keep DLV_SECRET_KEY with it.",
        err=file == STDIO,  # stdout is the backup itself
    )


def restore(
    file: Annotated[str, typer.Argument(help="Backup to read; - for stdin")],
    force: Annotated[
        bool, typer.Option("--force", help="Delete everything in the database first")
    ] = False,
    different_key: Annotated[
        bool,
        typer.Option(
            "--different-key",
            help="Restore although the backup was made with another DLV_SECRET_KEY "
            "(its connection secrets become unreadable)",
        ),
    ] = False,
) -> None:
    """Restore FILE into the configured database (empty, or emptied with --force)."""
    settings = get_settings()
    url, key = settings.resolved_database_url, settings.resolved_secret_key()
    try:
        if file == STDIO:
            summary = ops_restore.restore(
                url, sys.stdin.buffer, key, force=force, other_key=different_key
            )
        else:
            summary = ops_restore.restore_file(
                url, Path(file), key, force=force, other_key=different_key
            )
    except BackupError as exc:
        raise fail(str(exc)) from None
    then = " and upgraded the database to this version" if summary.upgraded else ""
    typer.echo(
        f"Restored {summary.total} rows into {len(summary.rows)} tables "
        f"(revision {', '.join(summary.revisions)}){then}. Restart DLV."
    )
