"""HTTP routes: the OpenLineage endpoints (the HTTP transport's defaults) and runs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response

from dlv.auth import service as auth_service
from dlv.auth.dependencies import BearerToken, Reader
from dlv.auth.principal import Permission, Principal
from dlv.db import SessionDep, in_thread
from dlv.errors import DATABASE_RETRY_AFTER, DlvError, Forbidden, NotAuthenticated
from dlv.ingestion import activity, decoding, events, service
from dlv.ingestion.events import InvalidEvent
from dlv.ingestion.mapping import Sender, Sent
from dlv.ingestion.models import OpenLineageEvent, OpenLineageNode, Run, RunState
from dlv.ingestion.runtime import IngestRuntime
from dlv.ingestion.schemas import (
    EVENT_SCHEMA,
    BatchItem,
    BatchResult,
    ColumnLineageRead,
    EventError,
    HealthRead,
    IngestionNamespaces,
    IngestionStatus,
    IngestResult,
    NodeOpenLineage,
    RunDetail,
    RunEventRead,
    RunRead,
)
from dlv.ingestion.writer import StoreFailed
from dlv.ops import metrics
from dlv.pagination import MAX_LIMIT, CursorQuery, LimitQuery, Page, page_of
from dlv.types import IsoDateTime

MAX_BATCH_EVENTS = 10_000
MAX_RUN_EVENTS = 1_000


class Unavailable(DlvError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime = IngestRuntime(app.state.sessionmaker, app.state.settings)
    app.state.ingestion = runtime
    runtime.start()
    try:
        yield
    finally:
        await runtime.stop()


router = APIRouter(prefix="/api/v1", lifespan=lifespan)


def _runtime(request: Request) -> IngestRuntime:
    runtime: IngestRuntime = request.app.state.ingestion
    return runtime


def _authenticate(request: Request, bearer: str) -> Principal | None:
    state = request.app.state
    with state.sessionmaker(bind=state.read_engine) as session:
        return auth_service.principal_from_bearer(session, state.secret_key, bearer)


async def ingest_caller(request: Request, bearer: BearerToken) -> Sender:
    """``Ingester``, with a one-second cache: an event stream must not cost a token lookup
    (and, on SQLite, a write lock) per event. Revocation takes effect within that second."""
    if not bearer:
        raise NotAuthenticated()
    cache = _runtime(request).principals
    principal = cache.get(bearer)
    if principal is None:
        principal = await in_thread(_authenticate, request, bearer)
        if principal is None:
            raise NotAuthenticated("The token is invalid, expired or revoked")
        cache.put(bearer, principal)
    if not principal.can(Permission.ingest):
        raise Forbidden(f"This needs the {Permission.ingest.value!r} permission")
    request.state.principal = principal
    request.app.state.token_usage.seen(principal)
    return Sender(principal.kind, principal.id, principal.label)


Ingest = Annotated[Sender, Depends(ingest_caller)]

_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "The event could not be stored; nothing was kept, retry",
        "content": {"application/problem+json": {"schema": {"type": "object"}}},
    }
}


async def _body(request: Request) -> str:
    limit = request.app.state.settings.max_body_bytes
    return events.body_text(await request.body(), request.headers.get("content-encoding"), limit)


def _keep_raw(request: Request) -> bool:
    keep: bool = request.app.state.settings.ingest_store_raw_secrets
    return keep


async def _write(request: Request, batch: list[Sent]) -> list[int]:
    try:
        return await _runtime(request).writer.write(batch)
    except StoreFailed:
        raise Unavailable(
            "The event store is unavailable; nothing was kept, retry",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        ) from None


@router.post(
    "/lineage",
    status_code=201,
    response_model=IngestResult,
    operation_id="postLineageEvent",
    tags=["openlineage"],
    responses=_UNAVAILABLE,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": EVENT_SCHEMA}},
        }
    },
)
async def post_event(request: Request, sender: Ingest) -> Response:
    """Accept one OpenLineage event (JSON, optionally gzip); 201 once it is stored."""
    summary = _runtime(request).summary
    try:
        parsed = decoding.parse_event(await _body(request), keep_raw=_keep_raw(request))
        if isinstance(parsed, list):
            metrics.events_rejected.inc()
            fields = ", ".join(e["field"] for e in parsed[:5])
            raise InvalidEvent(f"Invalid OpenLineage event: {fields}", errors=parsed)
        ids = await _write(request, [(parsed, sender)])
    except DlvError:
        if summary is not None:
            summary.refused()
        raise
    metrics.events_ingested.inc()
    if summary is not None:
        summary.accepted((parsed.namespace,))
    # The IngestResult body, written directly: this answer is sent once per event.
    return Response(b'{"id":%d}' % ids[0], status_code=201, media_type="application/json")


@router.post(
    "/lineage/batch",
    response_model=BatchResult,
    operation_id="postLineageBatch",
    tags=["openlineage"],
    responses=_UNAVAILABLE,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A JSON array of events; each is validated on its own",
            "content": {
                "application/json": {
                    "schema": {"type": "array", "maxItems": MAX_BATCH_EVENTS, "items": {}}
                }
            },
        }
    },
)
async def post_batch(request: Request, sender: Ingest) -> BatchResult:
    """Accept an array of events; each gets its own result, so bad ones spare the good ones."""
    summary = _runtime(request).summary
    try:
        parsed_items = decoding.parse_batch(
            await _body(request), MAX_BATCH_EVENTS, keep_raw=_keep_raw(request)
        )
    except DlvError:
        if summary is not None:
            summary.refused()  # the whole body: how many events it held is unknown
        raise
    results: list[BatchItem] = []
    valid: list[Sent] = []
    for index, parsed in enumerate(parsed_items):
        if isinstance(parsed, list):
            errors = [EventError(field=e["field"], message=e["message"]) for e in parsed]
            results.append(BatchItem(index=index, status=400, errors=errors))
        else:
            results.append(BatchItem(index=index, status=201))
            valid.append((parsed, sender))
    try:
        ids = iter(await _write(request, valid) if valid else [])
    except DlvError:
        if summary is not None:
            summary.refused(len(results))
        raise
    metrics.events_ingested.inc(len(valid))
    metrics.events_rejected.inc(len(results) - len(valid))
    if summary is not None:
        summary.accepted(event.namespace for event, _ in valid)
        if len(results) > len(valid):
            summary.refused(len(results) - len(valid))
    for result in results:
        if result.status == 201:
            result.id = next(ids)
    return BatchResult(accepted=len(valid), rejected=len(results) - len(valid), results=results)


def _run_read(run: Run, job_ids: dict[int, uuid.UUID]) -> RunRead:
    return RunRead(
        id=run.id,
        job_id=job_ids.get(run.job_pk) if run.job_pk is not None else None,
        job_namespace=run.job_namespace,
        job_name=run.job_name,
        parent_run_id=run.parent_run_id,
        state=RunState(run.state),
        started_at=run.started_at,
        ended_at=run.ended_at,
        duration_seconds=run.duration_seconds,
        error_message=run.error_message,
        first_event_time=run.first_event_time,
        last_event_time=run.last_event_time,
        event_count=run.event_count,
        created_at=run.created_at,
        updated_at=run.updated_at,
    )


@router.get("/runs", response_model=Page[RunRead], operation_id="listRuns", tags=["runs"])
def list_runs(
    session: SessionDep,
    _: Reader,
    node_id: Annotated[uuid.UUID | None, Query(description="The job's node")] = None,
    state: RunState | None = None,
    since: Annotated[
        IsoDateTime | None, Query(description="Runs with an event at or after this time")
    ] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[RunRead]:
    """Job runs, newest first."""
    rows = service.search_runs(
        session, node_id=node_id, state=state, since=since, cursor=cursor, limit=limit
    )
    items, next_cursor = page_of(rows, limit, lambda r: [r.created_at, r.id])
    job_ids = service.job_ids(session, items)
    return Page(items=[_run_read(r, job_ids) for r in items], next_cursor=next_cursor)


def _payload(text: str) -> dict[str, Any]:
    payload = decoding.masked_object(text)
    if payload is None:  # stored as sent, too deep to walk: not shown rather than unmasked
        return {"_dlv": "not shown: nested too deeply to mask its secrets"}
    return payload


def _event_read(row: OpenLineageEvent) -> RunEventRead:
    return RunEventRead(
        id=row.id,
        event_type=RunState(row.event_type) if row.event_type else None,
        event_time=row.event_time,
        received_at=row.received_at,
        sender=row.sender,
        mapped=row.processed_at is not None and row.error is None,
        error=row.error,
        # Masked when stored, by the same policy; again here for events stored as sent
        # (DLV_INGEST_STORE_RAW_SECRETS) and before events were masked when stored. An
        # event without a secret costs one pass of the policy's automaton.
        payload=_payload(row.payload),
    )


@router.get("/runs/{run_id}", response_model=RunDetail, operation_id="getRun", tags=["runs"])
def get_run(session: SessionDep, _: Reader, run_id: uuid.UUID) -> RunDetail:
    """One run with its events (as received, oldest first)."""
    run = service.get_run(session, run_id)
    rows = service.run_events(session, run_id)
    read = _run_read(run, service.job_ids(session, [run]))
    return RunDetail(
        **read.model_dump(),
        events=[_event_read(r) for r in rows[:MAX_RUN_EVENTS]],
        events_truncated=len(rows) > MAX_RUN_EVENTS,
    )


def _facts_read(node_id: uuid.UUID, facts: OpenLineageNode | None) -> NodeOpenLineage:
    if facts is None:
        return NodeOpenLineage(
            node_id=node_id,
            owners=None,
            tags=None,
            derived=None,
            description=None,
            columns=None,
            sql=None,
            sql_dialect=None,
            job_type=None,
            health=None,
            field_times={},
        )
    health = None
    if facts.health_run_id is not None and facts.health_time is not None:
        health = HealthRead(
            run_id=facts.health_run_id,
            state=RunState(facts.health_state or RunState.OTHER),
            time=facts.health_time,
            message=facts.health_message,
        )
    return NodeOpenLineage.model_validate(
        {
            "node_id": node_id,
            "owners": facts.owners,
            "tags": facts.tags,
            "derived": facts.derived,
            "description": facts.description,
            "columns": facts.columns,
            "sql": facts.sql,
            "sql_dialect": facts.sql_dialect,
            "job_type": facts.job_type,
            "health": health,
            "field_times": {k: datetime.fromisoformat(v[0]) for k, v in facts.field_times.items()},
        }
    )


@router.get(
    "/nodes/{node_id}/openlineage",
    response_model=NodeOpenLineage,
    operation_id="getNodeOpenLineage",
    tags=["runs"],
)
def get_node_openlineage(session: SessionDep, _: Reader, node_id: uuid.UUID) -> NodeOpenLineage:
    """What OpenLineage events said about a node: columns, query, job type, latest outcome."""
    return _facts_read(*service.node_facts(session, node_id))


@router.get(
    "/edges/{edge_id}/columns",
    response_model=ColumnLineageRead,
    operation_id="getEdgeColumns",
    tags=["edges"],
)
def get_edge_columns(session: SessionDep, _: Reader, edge_id: uuid.UUID) -> ColumnLineageRead:
    """Column-level lineage of an edge (empty when no event described it)."""
    lineage = service.edge_columns(session, edge_id)
    if lineage is None:
        return ColumnLineageRead(edge_id=edge_id, fields={}, dataset=[], event_time=None)
    return ColumnLineageRead.model_validate(
        {
            "edge_id": edge_id,
            "fields": lineage.fields,
            "dataset": lineage.dataset,
            "event_time": lineage.event_time,
        }
    )


@router.get(
    "/ingestion/status",
    response_model=IngestionStatus,
    operation_id="getIngestionStatus",
    tags=["openlineage"],
)
def get_status(request: Request, session: SessionDep, _: Reader) -> IngestionStatus:
    """Events waiting to be mapped into the catalog, and events that could not be."""
    pending, failed, oldest = service.backlog(session, _runtime(request).inbox)
    return IngestionStatus(pending=pending, failed=failed, oldest_pending_received_at=oldest)


@router.get(
    "/ingestion/namespaces",
    response_model=IngestionNamespaces,
    operation_id="getIngestionNamespaces",
    tags=["openlineage"],
)
def get_namespaces(
    session: SessionDep,
    _: Reader,
    since: IsoDateTime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> IngestionNamespaces:
    """Events received per namespace since a time: mapped, pending, failed, the latest."""
    return activity.by_namespace(session, since, limit)
