"""Who is calling, and what they may do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from dlv.auth.models import Role, TokenScope


class Permission(StrEnum):
    read = "read"  # every GET of the catalog, lineage, dashboards, health
    admin = "admin"  # every change, and user/token/audit administration
    ingest = "ingest"  # posting OpenLineage events


_ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.viewer: frozenset({Permission.read}),
}
_SCOPE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    TokenScope.admin: frozenset(Permission),
    TokenScope.read: frozenset({Permission.read}),
    # A machine that only ships events must not be able to read the catalog with its key.
    TokenScope.ingest: frozenset({Permission.ingest}),
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user (login token) or a machine (API token)."""

    kind: Literal["user", "token"]
    id: uuid.UUID
    name: str
    grant: str  # the user's role or the token's scope
    # A token made by a user acts for them: its owner's id and role as read with the token,
    # on every request. None for users and for operator tokens.
    owner_id: uuid.UUID | None = None
    owner_role: str | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.kind == "user":
            return _ROLE_PERMISSIONS.get(self.grant, frozenset())
        scope = _SCOPE_PERMISSIONS.get(self.grant, frozenset())
        if self.owner_id is None:
            return scope
        # Never more than the owner may do now: an admin token of a demoted user reads only.
        return scope & _ROLE_PERMISSIONS.get(self.owner_role or "", frozenset())

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def label(self) -> str:
        """How the audit trail names this caller."""
        return self.name if self.kind == "user" else f"token:{self.name}"


SYSTEM = Principal(kind="user", id=uuid.UUID(int=0), name="system", grant=Role.admin)
