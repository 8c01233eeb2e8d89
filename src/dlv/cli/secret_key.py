"""``dlv secret-key rotate``: re-encrypt connection secrets under a new DLV_SECRET_KEY."""

from __future__ import annotations

import os
import secrets
import sys
from typing import Annotated

import typer

from dlv.alerts import service as alerts_service
from dlv.audit import service as audit
from dlv.auth.principal import SYSTEM
from dlv.cli.context import fail, instance_secret_key, instance_url, transaction
from dlv.config import MIN_SECRET_KEY_LENGTH, SECRET_KEY_FILE, get_settings
from dlv.crypto import SecretBox, SecretsUnreadable
from dlv.nodes import service as nodes_service

app = typer.Typer(help="Manage DLV_SECRET_KEY.", no_args_is_help=True)


@app.command("rotate")
def rotate(
    new_key_stdin: Annotated[
        bool, typer.Option(help="Read the new key from stdin (required when DLV_SECRET_KEY is set)")
    ] = False,
) -> None:
    """Re-encrypt every connection and alert channel secret with a new key, in one transaction.

    Login tokens are signed with the key too: everyone logs in again afterwards.
    """
    instance_url()
    settings = get_settings()
    from_env = bool(settings.secret_key and settings.secret_key.get_secret_value())
    if from_env and not new_key_stdin:
        raise fail(
            "DLV_SECRET_KEY is set in the environment: pass the new key with "
            "--new-key-stdin, then set DLV_SECRET_KEY to it and restart."
        )
    new_key = sys.stdin.readline().strip() if new_key_stdin else secrets.token_urlsafe(48)
    if len(new_key) < MIN_SECRET_KEY_LENGTH:
        raise fail(f"The new key must be at least {MIN_SECRET_KEY_LENGTH} characters")
    old_box, new_box = SecretBox(instance_secret_key()), SecretBox(new_key)
    path = settings.home / SECRET_KEY_FILE
    staged = path.with_suffix(".new")
    if not from_env:
        # Written before the commit: once the secrets are re-encrypted, the new key must
        # already be safely on disk, or they would be unreadable.
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_key)
            f.flush()
            os.fsync(f.fileno())
    try:
        with transaction() as session:
            count = nodes_service.reseal_secrets(session, old_box, new_box)
            channels = alerts_service.reseal_secrets(session, old_box, new_box)
            changed = {"nodes": count, "alert_channels": channels}
            audit.record(session, SYSTEM, "secrets.rotate", "instance", None, changed)
    except SecretsUnreadable:
        staged.unlink(missing_ok=True)
        raise fail(
            "Some stored secrets cannot be decrypted with the current key; nothing was changed."
        ) from None
    if from_env:
        typer.echo(
            f"Re-encrypted {count} node(s), {channels} alert channel(s). "
            "Set DLV_SECRET_KEY to the new key and restart."
        )
        return
    staged.replace(path)
    typer.echo(
        f"Re-encrypted {count} node(s), {channels} alert channel(s); "
        f"the new key is in {path}. Restart DLV."
    )
