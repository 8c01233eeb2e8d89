"""The result of a collection and its stored history."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class CollectionStatus(StrEnum):
    ok = "ok"
    error = "error"


class CollectionResult(BaseModel):
    """What one run of a node's collectors found and wrote; ``error`` when it failed."""

    status: CollectionStatus
    message: str = Field(description="A summary, or what went wrong (never a secret)")
    discovered: int = Field(description="Objects the system holds now")
    created: int = Field(description="Nodes (datasets or jobs) added to the catalog")
    updated: int = Field(description="Nodes whose collected facts changed (or came back)")
    gone: int = Field(description="Nodes no longer found, marked gone by this run")
    pruned: int = Field(description="Gone nodes deleted (with prune=true)")
    edges_added: int
    edges_removed: int
    duration_ms: int
    started_at: datetime


class CollectionRead(CollectionResult):
    """A stored collection."""

    id: int
    node_id: uuid.UUID
    actor: str


class CollectedRead(BaseModel):
    """What a collector found about a dataset or job node."""

    node_id: uuid.UUID
    source_id: uuid.UUID = Field(description="The system node whose collector found it")
    object_kind: str = Field(
        description=(
            "table, partitioned_table, view, materialized_view or foreign_table (PostgreSQL); "
            "dag or task (Airflow); spark_application (Spark)"
        )
    )
    comment: str | None = Field(
        description=(
            "A relation's comment; for a job, its facts in one line (tasks, paused, the latest "
            "run; a Spark application's id, attempts and duration)"
        )
    )
    row_estimate: int | None = Field(
        description=(
            "The server's estimate (reltuples); null for views, never-analyzed tables and jobs"
        )
    )
    seen_at: datetime = Field(description="When a collection last wrote these facts")
    gone_at: datetime | None = Field(
        description="When a collection no longer found it (the node is kept until pruned)"
    )
