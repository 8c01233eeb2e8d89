"""HTTP routes of lineage traversal and impact analysis."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from dlv.auth.dependencies import Reader
from dlv.db import SessionDep
from dlv.impact import service
from dlv.impact.schemas import (
    ImpactDirection,
    ImpactReport,
    LineageDirection,
    LineageGraph,
    LineagePath,
)
from dlv.lineage.live import LiveIndex
from dlv.types import IsoDateTime

router = APIRouter(prefix="/api/v1", tags=["lineage"])

MAX_LINEAGE_LIMIT = 100_000
Depth = Annotated[int | None, Query(ge=0, le=10_000, description="Hops; omit for unbounded")]
AsOf = Annotated[
    IsoDateTime | None,
    Query(
        description=(
            "The graph as it was at this time (RFC 3339 with its offset): edges first seen "
            "by then and not yet stale. Node facts (status, owners) are today's"
        )
    ),
]
IncludeStale = Annotated[
    bool,
    Query(description="Also walk edges a job's latest successful runs no longer report"),
]
CSV_COLUMNS = ("id", "kind", "namespace", "name", "owner", "owners", "status", "distance")


def json_response(data: dict[str, Any]) -> Response:
    # Serialized directly: big answers are plain data already (see impact.service), and
    # FastAPI would otherwise validate every node again against the response model.
    return Response(orjson.dumps(data), media_type="application/json")


def live_index(request: Request) -> LiveIndex:
    """The process's lineage index (impact, dashboards and the Marquez API read it)."""
    live: LiveIndex = request.app.state.lineage_index
    return live


Live = Annotated[LiveIndex, Depends(live_index)]


@router.get("/nodes/{node_id}/lineage", response_model=LineageGraph, operation_id="getLineage")
def get_lineage(
    session: SessionDep,
    _: Reader,
    live: Live,
    node_id: uuid.UUID,
    direction: LineageDirection = LineageDirection.downstream,
    depth: Depth = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LINEAGE_LIMIT)] = 10_000,
    columns: Annotated[
        bool, Query(description="Add each edge's column-level lineage (OpenLineage events)")
    ] = False,
    as_of: AsOf = None,
    include_stale: IncludeStale = False,
) -> Response:
    """The lineage subgraph of a node, at any depth."""
    view = service.View(as_of, include_stale)
    return json_response(
        service.lineage(session, live, node_id, direction, depth, limit, columns=columns, view=view)
    )


@router.get(
    "/nodes/{node_id}/impact",
    response_model=ImpactReport,
    operation_id="getImpact",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def get_impact(
    session: SessionDep,
    _: Reader,
    live: Live,
    node_id: uuid.UUID,
    direction: ImpactDirection = ImpactDirection.downstream,
    depth: Depth = None,
    format: Literal["json", "csv"] = "json",
    as_of: AsOf = None,
    include_stale: IncludeStale = False,
) -> Response:
    """What breaks if this node fails (downstream), or what could have caused it (upstream)."""
    view = service.View(as_of, include_stale)
    report = service.impact(session, live, node_id, direction, depth, view)
    if format == "json":
        return json_response(report)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for node in report["affected"]:
        row = {**node, "owners": "; ".join(node["owners"])}
        writer.writerow([row[column] if row[column] is not None else "" for column in CSV_COLUMNS])
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="impact-{node_id}.csv"'},
    )


@router.get("/lineage/path", response_model=LineagePath, operation_id="getLineagePath")
def get_path(
    session: SessionDep,
    _: Reader,
    live: Live,
    source: Annotated[uuid.UUID, Query(alias="from")],
    target: Annotated[uuid.UUID, Query(alias="to")],
) -> LineagePath:
    """A shortest downstream path between two nodes, or 404."""
    return service.path(session, live, source, target)
