"""HTTP routes of the Marquez-compatible read API (Marquez's paths, under /api/v1).

Names in paths are percent-encoded as Marquez's clients send them (``RawPathRoute``).
Read-only: Marquez's writes (PUT namespaces, datasets, jobs, tags) are not served; events go
to ``POST /api/v1/lineage`` as before.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from dlv.auth.dependencies import Reader
from dlv.db import SessionDep
from dlv.impact.router import Live
from dlv.marquez import service
from dlv.marquez.paths import RawPathRoute
from dlv.marquez.schemas import (
    MarquezDataset,
    MarquezDatasetList,
    MarquezJob,
    MarquezJobList,
    MarquezLineageGraph,
    MarquezNamespace,
    MarquezNamespaceList,
    MarquezRun,
    MarquezRunList,
    MarquezSearchResultList,
    MarquezTagList,
)

router = APIRouter(prefix="/api/v1", tags=["marquez"], route_class=RawPathRoute)

MAX_PAGE = 1_000
MAX_GRAPH_NODES = 100_000
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size (Marquez's default)")]
# Bounded: a database refuses an OFFSET beyond its integers (a 500, not the client's 422).
MAX_OFFSET = 1_000_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]


@router.get(
    "/namespaces", response_model=MarquezNamespaceList, operation_id="marquezListNamespaces"
)
def list_namespaces(
    session: SessionDep, _: Reader, limit: Limit = 100, offset: Offset = 0
) -> MarquezNamespaceList:
    """Marquez: namespaces of OpenLineage datasets and jobs."""
    return service.list_namespaces(session, limit, offset)


@router.get(
    "/namespaces/{namespace}", response_model=MarquezNamespace, operation_id="marquezGetNamespace"
)
def get_namespace(session: SessionDep, _: Reader, namespace: str) -> MarquezNamespace:
    """Marquez: one namespace."""
    return service.get_namespace(session, namespace)


@router.get(
    "/namespaces/{namespace}/datasets",
    response_model=MarquezDatasetList,
    operation_id="marquezListDatasets",
)
def list_datasets(
    session: SessionDep, _: Reader, namespace: str, limit: Limit = 100, offset: Offset = 0
) -> MarquezDatasetList:
    """Marquez: a namespace's datasets."""
    return service.list_datasets(session, namespace, limit, offset)


@router.get(
    "/namespaces/{namespace}/datasets/{dataset}",
    response_model=MarquezDataset,
    operation_id="marquezGetDataset",
)
def get_dataset(session: SessionDep, _: Reader, namespace: str, dataset: str) -> MarquezDataset:
    """Marquez: one dataset with its fields, tags and facets."""
    return service.get_dataset(session, namespace, dataset)


@router.get(
    "/namespaces/{namespace}/jobs", response_model=MarquezJobList, operation_id="marquezListJobs"
)
def list_jobs(
    session: SessionDep, _: Reader, namespace: str, limit: Limit = 100, offset: Offset = 0
) -> MarquezJobList:
    """Marquez: a namespace's jobs."""
    return service.list_jobs(session, namespace, limit, offset)


@router.get(
    "/namespaces/{namespace}/jobs/{job}", response_model=MarquezJob, operation_id="marquezGetJob"
)
def get_job(session: SessionDep, _: Reader, namespace: str, job: str) -> MarquezJob:
    """Marquez: one job with its inputs, outputs and latest runs."""
    return service.get_job(session, namespace, job)


@router.get(
    "/namespaces/{namespace}/jobs/{job}/runs",
    response_model=MarquezRunList,
    operation_id="marquezListRuns",
)
def list_runs(
    session: SessionDep,
    _: Reader,
    namespace: str,
    job: str,
    limit: Limit = 100,
    offset: Offset = 0,
) -> MarquezRunList:
    """Marquez: a job's runs, newest first."""
    return service.list_runs(session, namespace, job, limit, offset)


@router.get("/jobs/runs/{run_id}", response_model=MarquezRun, operation_id="marquezGetRun")
def get_run(session: SessionDep, _: Reader, run_id: uuid.UUID) -> MarquezRun:
    """Marquez: one run with its facets."""
    return service.get_run(session, run_id)


@router.get("/lineage", response_model=MarquezLineageGraph, operation_id="marquezGetLineage")
def get_lineage(
    session: SessionDep,
    _: Reader,
    live: Live,
    node_id: Annotated[
        str,
        Query(
            alias="nodeId",
            max_length=4000,
            pattern=r"^(dataset|job):[\s\S]*:",
            description="dataset:<namespace>:<name> or job:<namespace>:<name>",
        ),
    ],
    depth: Annotated[int, Query(ge=0, le=1_000, description="Jobs away, as Marquez")] = 20,
    limit: Annotated[
        int, Query(ge=1, le=MAX_GRAPH_NODES, description="DLV: most nodes in the answer")
    ] = 10_000,
) -> Response:
    """Marquez: the lineage graph around a dataset or job (both directions)."""
    # Plain data serialized directly, as DLV's own lineage route: a big graph would cost more
    # validated again, node by node, against the response model than it took to walk.
    graph = service.lineage(session, live, node_id, depth, limit)
    return Response(orjson.dumps(graph), media_type="application/json")


@router.get("/search", response_model=MarquezSearchResultList, operation_id="marquezSearch")
def search(
    session: SessionDep,
    _: Reader,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    filter: Annotated[Literal["dataset", "job", "DATASET", "JOB"] | None, Query()] = None,
    sort: Literal["name", "updated_at", "NAME", "UPDATED_AT"] = "name",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 10,
    namespace: Annotated[str | None, Query(max_length=1024)] = None,
) -> MarquezSearchResultList:
    """Marquez: datasets and jobs whose name contains q (% and _ are wildcards)."""
    return service.search(session, q, filter, sort, limit, namespace)


@router.get("/tags", response_model=MarquezTagList, operation_id="marquezListTags")
def list_tags(session: SessionDep, _: Reader) -> MarquezTagList:
    """Marquez: every tag of a dataset or job."""
    return service.list_tags(session)
