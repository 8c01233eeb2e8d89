"""Writing and reading the audit trail. Secrets are masked before anything is stored."""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy.orm import Session

from dlv.audit import repository
from dlv.audit.models import AuditRecord
from dlv.auth.principal import Principal

MASK = "***"
# Any key naming one of these is a secret, whatever system it configures.
_SECRET_MARKERS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "credential",
    "private",
)
# "key" as a word of a dotted or snake name: Spark's fs.azure.account.key.<account>, ssh_key.
_KEY_WORD = re.compile(r"(?:^|[._-])key(?:[._-]|$)")


def is_secret_key(key: str) -> bool:
    """True for field names whose values must never be written down."""
    lowered = key.lower()
    return any(marker in lowered for marker in _SECRET_MARKERS) or bool(_KEY_WORD.search(lowered))


def mask(value: Any, text: Callable[[str], str] | None = None) -> Any:
    """A JSON-safe copy of ``value`` with every secret-named field replaced by ``***``;
    ``text``, if given, masks what looks secret inside each string too (in the same pass)."""
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, Mapping):
        return {
            str(k): (MASK if is_secret_key(str(k)) and v is not None else mask(v, text))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [mask(v, text) for v in value]
    if isinstance(value, str) and text is not None:
        return text(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``{field: {"from": old, "to": new}}`` for the fields that changed, masked."""
    changed: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changed[key] = {"from": old, "to": new}
    return dict(mask(changed))


def record(
    session: Session,
    actor: Principal,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str | None,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """Write one audit record in the caller's transaction (so it exists iff the change does)."""
    repository.add(
        session,
        AuditRecord(
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor=actor.label,
            action=action,
            target_type=target_type,
            target_id=str(target_id) if target_id is not None else None,
            changes=mask(dict(changes or {})),
        ),
    )


def search(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Sequence[AuditRecord]:
    """Audit records, newest first, filtered; one more than ``limit`` when a page follows."""
    return repository.search(
        session,
        actor=actor,
        action=action,
        target_id=target_id,
        since=since,
        cursor=cursor,
        limit=limit,
    )
