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

    @property
    def permissions(self) -> frozenset[Permission]:
        table = _ROLE_PERMISSIONS if self.kind == "user" else _SCOPE_PERMISSIONS
        return table.get(self.grant, frozenset())

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def label(self) -> str:
        """How the audit trail names this caller."""
        return self.name if self.kind == "user" else f"token:{self.name}"


SYSTEM = Principal(kind="user", id=uuid.UUID(int=0), name="system", grant=Role.admin)
