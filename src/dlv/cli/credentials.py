"""Where ``dlv login`` keeps the server URL and a token: the user's config directory.

``$XDG_CONFIG_HOME/dlv/credentials.json`` (``~/.config/dlv/`` when unset), the directory 0700
and the file 0600 from the moment it exists: written to a private temporary file first and
renamed over the old one, so a reader never sees it half written or readable by others.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dlv.files import create_private, private_dir

FILE_NAME = "credentials.json"


@dataclass(frozen=True)
class Credentials:
    """A server and the token to send it; ``expires_at`` only for a login session."""

    url: str
    token: str
    username: str | None = None
    expires_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and (now or datetime.now(UTC)) >= self.expires_at

    def __repr__(self) -> str:  # the token never ends up in a traceback or a log line
        return f"Credentials(url={self.url!r}, username={self.username!r}, token=***)"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    # The XDG spec: a relative value is invalid and must be ignored.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "dlv"


def path() -> Path:
    return config_dir() / FILE_NAME


def load() -> Credentials | None:
    """The stored login, or None when there is none (or it cannot be read as one)."""
    try:
        data: Any = json.loads(path().read_text(encoding="utf-8"))
        expires = data.get("expires_at")
        return Credentials(
            url=str(data["url"]),
            token=str(data["token"]),
            username=data.get("username"),
            expires_at=datetime.fromisoformat(expires) if expires else None,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(credentials: Credentials) -> Path:
    """Store ``credentials`` (replacing any), private to this user; the file's path."""
    target = path()
    private_dir(target.parent)
    os.chmod(target.parent, 0o700)  # an existing directory too: it holds a token now
    data = {
        "url": credentials.url,
        "token": credentials.token,
        "username": credentials.username,
        "expires_at": credentials.expires_at.isoformat() if credentials.expires_at else None,
    }
    temporary = target.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    with os.fdopen(create_private(temporary), "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(temporary, target)
    return target


def remove() -> bool:
    """Forget the stored login; whether there was one."""
    try:
        path().unlink()
    except FileNotFoundError:
        return False
    return True
