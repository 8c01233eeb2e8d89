"""Lineage subgraphs, impact reports and paths."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from dlv.ingestion.schemas import ColumnFieldsRead, InputFieldRead
from dlv.nodes.models import NodeKind, NodeStatus


class LineageDirection(StrEnum):
    downstream = "downstream"
    upstream = "upstream"
    both = "both"


class ImpactDirection(StrEnum):
    downstream = "downstream"
    upstream = "upstream"


class LineageNode(BaseModel):
    id: uuid.UUID
    kind: NodeKind
    namespace: str
    name: str
    owner: str | None
    status: NodeStatus
    status_message: str | None
    parent_id: uuid.UUID | None
    distance: int


class EdgeColumns(BaseModel):
    """Column-level lineage of a job -> output edge, from OpenLineage's ``columnLineage``."""

    fields: dict[str, ColumnFieldsRead]
    dataset: list[InputFieldRead]


class LineageEdge(BaseModel):
    source_id: uuid.UUID
    target_id: uuid.UUID
    relation: Literal["flow", "contains"] = Field(
        default="flow", description="a data-flow edge, or a system/job containing the target"
    )
    columns: EdgeColumns | None = Field(
        default=None,
        description="with ?columns=true, on edges an event described column by column",
    )


class LineageGraph(BaseModel):
    root_id: uuid.UUID
    direction: LineageDirection
    depth: int | None
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    truncated: bool


class CountByKind(BaseModel):
    kind: NodeKind
    count: int


class CountByDistance(BaseModel):
    distance: int
    count: int


class OwnerToNotify(BaseModel):
    owner: str | None
    nodes: list[LineageNode]


class ImpactReport(BaseModel):
    root: LineageNode
    direction: ImpactDirection
    depth: int | None
    affected_count: int
    truncated: bool
    by_kind: list[CountByKind]
    by_distance: list[CountByDistance]
    owners: list[OwnerToNotify]
    in_error: list[LineageNode]
    likely_root_causes: list[LineageNode]
    affected: list[LineageNode]


class LineagePath(BaseModel):
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    length: int
