"""Check results, check history, the health summary and the unsaved-config test body."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dlv.nodes.connections import ConnectionConfig
from dlv.nodes.models import NodeKind, NodeStatus


class CheckStatus(StrEnum):
    ok = "ok"
    error = "error"
    # Only in the status history: the SLA evaluator's verdict (dlv.sla), never a check's.
    late = "late"


SystemKind = Literal["postgres", "airflow", "spark"]


class CheckStep(BaseModel):
    """One step of a check (resolve, connect, log in, query, ...), in the order it ran."""

    name: str
    ok: bool
    message: str
    latency_ms: int


class CheckResult(BaseModel):
    """What a connection test found; ``message`` is the first failing step's, or a summary."""

    status: CheckStatus
    latency_ms: int
    message: str
    steps: list[CheckStep]
    checked_at: datetime


class CheckRead(CheckResult):
    """A stored check."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    node_id: uuid.UUID
    actor: str


class ConnectionTest(BaseModel):
    """An unsaved config to test; ``connection.kind`` may be left out (``kind`` says it)."""

    model_config = ConfigDict(extra="forbid")

    kind: SystemKind
    connection: ConnectionConfig

    @model_validator(mode="before")
    @classmethod
    def _inject_kind(cls, data: Any) -> Any:
        # The same convenience as node creation: the outer kind picks the config schema.
        if isinstance(data, dict) and isinstance(data.get("connection"), dict):
            kind = data.get("kind")
            if isinstance(kind, str) and "kind" not in data["connection"]:
                data = {**data, "connection": {**data["connection"], "kind": kind}}
        return data

    @model_validator(mode="after")
    def _kinds_agree(self) -> ConnectionTest:
        if self.connection.kind != self.kind:
            msg = f"connection.kind {self.connection.kind!r} does not match kind {self.kind!r}"
            raise ValueError(msg)
        return self


class CheckAllResult(BaseModel):
    """Counts of one ``check-all`` run."""

    checked: int = Field(description="Nodes whose connection was tested")
    ok: int
    error: int
    skipped: int = Field(description="Nodes whose stored config could not be read")
    status_changes: int
    latency_ms: int


class KindCount(BaseModel):
    kind: NodeKind
    ok: int = 0
    error: int = 0
    unknown: int = 0
    at_risk: int = 0
    late: int = 0
    total: int = 0


class NodeInError(BaseModel):
    id: uuid.UUID
    kind: NodeKind
    namespace: str
    name: str
    owner: str | None
    status_message: str | None
    status_changed_at: datetime | None
    last_checked_at: datetime | None


class HealthSummary(BaseModel):
    """Node counts by status and kind, and the nodes currently in error."""

    total: int
    by_status: dict[NodeStatus, int]
    by_kind: list[KindCount]
    in_error: list[NodeInError]
    in_error_truncated: bool
