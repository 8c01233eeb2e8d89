"""Lineage subgraphs, impact reports and paths."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from dlv.ingestion.schemas import ColumnFieldsRead, InputFieldRead
from dlv.nodes.models import NodeKind, NodeStatus
from dlv.quality.schemas import AssertionRead


class LineageDirection(StrEnum):
    downstream = "downstream"
    upstream = "upstream"
    both = "both"


class ImpactDirection(StrEnum):
    downstream = "downstream"
    upstream = "upstream"


class ContainerNode(BaseModel):
    """A node that contains some of the answer's nodes (a system, a DAG) without being
    reached itself: containment is shown, but it is not data flow."""

    id: uuid.UUID
    kind: NodeKind
    namespace: str
    name: str
    owner: str | None = Field(description="the first of owners")
    owners: list[str]
    status: NodeStatus
    status_message: str | None
    parent_id: uuid.UUID | None


class LineageNode(ContainerNode):
    distance: int


class CauseNode(ContainerNode):
    distance: int | None = Field(description="hops upstream; null for a system holding nodes")


class EdgeColumns(BaseModel):
    """Column-level lineage of a job -> output edge, from OpenLineage's ``columnLineage``."""

    fields: dict[str, ColumnFieldsRead]
    dataset: list[InputFieldRead]


class LineageEdge(BaseModel):
    source_id: uuid.UUID
    target_id: uuid.UUID
    relation: Literal["flow", "contains"] = Field(
        default="flow",
        description="a data-flow edge, or the source (a system, a DAG) containing the target",
    )
    columns: EdgeColumns | None = Field(
        default=None,
        description="with ?columns=true, on edges an event described column by column",
    )
    stale: bool = Field(
        default=False,
        description=(
            "with ?include_stale=true or ?as_of=: the job's latest successful runs no longer "
            "report this edge"
        ),
    )


class LineageGraph(BaseModel):
    root_id: uuid.UUID
    direction: LineageDirection
    depth: int | None
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    parents: list[ContainerNode] = Field(
        description=(
            "containers of the nodes that are not among them (no flow reaches them); a "
            "node's parent_id names its container"
        )
    )
    truncated: bool
    as_of: datetime | None = Field(description="the time the graph is shown at (null: now)")


class CountByKind(BaseModel):
    kind: NodeKind
    count: int


class CountByDistance(BaseModel):
    distance: int
    count: int


class OwnerToNotify(BaseModel):
    owner: str | None
    nodes: list[LineageNode]


class QualityFailure(BaseModel):
    node: LineageNode
    assertions: list[AssertionRead] = Field(description="its latest report's failed assertions")


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
    at_risk: list[LineageNode] = Field(
        description="affected nodes whose data is stale: a producer's latest run failed"
    )
    late: list[LineageNode] = Field(
        description="affected nodes that missed their SLA (status late)"
    )
    quality_failures: list[QualityFailure] = Field(
        description=(
            "the root and affected nodes whose latest data quality assertions fail "
            "(dbt tests, Great Expectations), whatever their status says"
        )
    )
    likely_root_causes: list[CauseNode] = Field(
        description=(
            "upstream only: the failing nodes (the root included) that nothing failing "
            "upstream explains, furthest first. A failing system (database, Airflow, Spark) "
            "explains what it holds and may be a cause; a DAG never causes its tasks' failure"
        )
    )
    parents: list[ContainerNode] = Field(
        description="containers of the root and the affected nodes, shown apart from flow"
    )
    affected: list[LineageNode]
    as_of: datetime | None = Field(description="the time the graph is shown at (null: now)")


class LineagePath(BaseModel):
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    length: int
