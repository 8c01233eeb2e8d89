"""Writing and reading the audit trail. Secrets are masked before anything is stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dlv.audit import repository
from dlv.audit.models import AuditRecord
from dlv.auth.principal import Principal
from dlv.ops import secrets


def is_secret_key(key: str) -> bool:
    """True for field names whose values must never be written down."""
    return secrets.is_secret_name(key)


def mask(value: Any, text: Callable[[str], str] | None = secrets.scrub) -> Any:
    """A JSON-safe copy of ``value``, secrets masked by the one policy (``dlv.ops.secrets``):
    secret-named fields' values, and what looks secret inside each string (``text``)."""
    return secrets.mask(value, text)


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
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Sequence[AuditRecord]:
    """Audit records, newest first, filtered; one more than ``limit`` when a page follows."""
    return repository.search(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
