"""HTTP routes of alerts (admin only), and the lifespan that runs the feed and the delivery
worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from dlv.alerts import channels, repository, service
from dlv.alerts.feed import AlertFeed
from dlv.alerts.models import AlertDelivery, DeliveryKind, DeliveryStatus, Incident, IncidentStatus
from dlv.alerts.repository import DeliveryFilter
from dlv.alerts.schemas import (
    AlertChannelCreate,
    AlertChannelRead,
    AlertChannelUpdate,
    AlertRuleCreate,
    AlertRuleRead,
    AlertRuleUpdate,
    AttemptRead,
    ChannelTestResult,
    DeliveryRead,
    IncidentRead,
)
from dlv.alerts.worker import DeliveryWorker
from dlv.auth.dependencies import Admin
from dlv.config import Settings
from dlv.crypto import SecretBox
from dlv.db import SessionDep, every, in_thread
from dlv.health.network import NetworkPolicy
from dlv.pagination import CursorQuery, LimitQuery, Page, page_of


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    state = app.state
    worker = DeliveryWorker(
        state.sessionmaker,
        state.secret_box,
        state.network_policy,
        settings,
        read_bind=state.read_engine,
    )
    state.alert_worker = worker
    if settings.alerts != "embedded":
        yield
        return
    feed = AlertFeed(
        state.sessionmaker,
        state.lineage_index,
        public_url=settings.public_url,
        grace_seconds=settings.stream_gap_grace_seconds,
        read_bind=state.read_engine,
    )
    await in_thread(feed.tick)  # starts its cursor: changes from now on are alerted
    async with (
        every(FEED_SECONDS, feed.tick, "dlv-alerts-feed"),
        every(settings.alerts_poll_seconds, worker.tick, "dlv-alerts-delivery"),
    ):
        yield


# Status changes become incidents within about a second (the stream's poll is 0.2 s).
FEED_SECONDS = 1.0

router = APIRouter(prefix="/api/v1", tags=["alerts"], lifespan=lifespan)


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


Box = Annotated[SecretBox, Depends(_box)]


@router.get(
    "/alert-channels", response_model=list[AlertChannelRead], operation_id="listAlertChannels"
)
def list_channels(session: SessionDep, _: Admin) -> list[AlertChannelRead]:
    """Every alert channel (secrets shown only as ``*_set`` flags)."""
    return [service.channel_read(c) for c in service.list_channels(session)]


@router.post(
    "/alert-channels",
    response_model=AlertChannelRead,
    status_code=status.HTTP_201_CREATED,
    operation_id="createAlertChannel",
)
def create_channel(
    session: SessionDep, actor: Admin, box: Box, body: AlertChannelCreate
) -> AlertChannelRead:
    """Create a webhook, Slack or email channel; its secrets are encrypted at rest."""
    return service.channel_read(service.create_channel(session, actor, box, body))


@router.get(
    "/alert-channels/{channel_id}",
    response_model=AlertChannelRead,
    operation_id="getAlertChannel",
)
def get_channel(session: SessionDep, _: Admin, channel_id: uuid.UUID) -> AlertChannelRead:
    """One alert channel."""
    return service.channel_read(service.get_channel(session, channel_id))


@router.patch(
    "/alert-channels/{channel_id}",
    response_model=AlertChannelRead,
    operation_id="updateAlertChannel",
)
def update_channel(
    session: SessionDep, actor: Admin, box: Box, channel_id: uuid.UUID, body: AlertChannelUpdate
) -> AlertChannelRead:
    """Change a channel; a secret not sent keeps its stored value, an empty one clears it."""
    return service.channel_read(service.update_channel(session, actor, box, channel_id, body))


@router.delete(
    "/alert-channels/{channel_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteAlertChannel",
)
def delete_channel(session: SessionDep, actor: Admin, channel_id: uuid.UUID) -> Response:
    """Delete a channel, its deliveries, and its place in the rules."""
    service.delete_channel(session, actor, channel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/alert-channels/{channel_id}/test",
    response_model=ChannelTestResult,
    operation_id="testAlertChannel",
)
async def send_channel_test(
    session: SessionDep, _: Admin, box: Box, request: Request, channel_id: uuid.UUID
) -> ChannelTestResult:
    """Send a sample alert through the channel now and say how it went (nothing is stored)."""
    settings: Settings = request.app.state.settings
    policy: NetworkPolicy = request.app.state.network_policy
    job = await run_in_threadpool(
        service.test_send,
        session,
        box,
        policy,
        channel_id,
        public_url=settings.public_url,
        timeout=settings.alerts_send_timeout_seconds,
    )
    # The network wait happens outside the request's transaction (on SQLite, the write lock).
    await run_in_threadpool(session.commit)
    outcome = await channels.send(job)
    return ChannelTestResult(
        ok=outcome.ok,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
    )


@router.get("/alert-rules", response_model=list[AlertRuleRead], operation_id="listAlertRules")
def list_rules(session: SessionDep, _: Admin) -> list[AlertRuleRead]:
    """Every alert rule."""
    return [service.rule_read(r) for r in service.list_rules(session)]


@router.post(
    "/alert-rules",
    response_model=AlertRuleRead,
    status_code=status.HTTP_201_CREATED,
    operation_id="createAlertRule",
)
def create_rule(session: SessionDep, actor: Admin, body: AlertRuleCreate) -> AlertRuleRead:
    """Create a rule: which events, for which nodes, to which channels."""
    return service.rule_read(service.create_rule(session, actor, body))


@router.get("/alert-rules/{rule_id}", response_model=AlertRuleRead, operation_id="getAlertRule")
def get_rule(session: SessionDep, _: Admin, rule_id: uuid.UUID) -> AlertRuleRead:
    """One alert rule."""
    return service.rule_read(service.get_rule(session, rule_id))


@router.patch(
    "/alert-rules/{rule_id}", response_model=AlertRuleRead, operation_id="updateAlertRule"
)
def update_rule(
    session: SessionDep, actor: Admin, rule_id: uuid.UUID, body: AlertRuleUpdate
) -> AlertRuleRead:
    """Change a rule's fields."""
    return service.rule_read(service.update_rule(session, actor, rule_id, body))


@router.delete(
    "/alert-rules/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteAlertRule",
)
def delete_rule(session: SessionDep, actor: Admin, rule_id: uuid.UUID) -> Response:
    """Delete a rule."""
    service.delete_rule(session, actor, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _delivery_reads(session: SessionDep, rows: list[AlertDelivery]) -> list[DeliveryRead]:
    attempts = repository.attempts_of(session, [d.pk for d in rows])
    return [
        DeliveryRead(
            id=d.id,
            incident_id=d.incident_id,
            channel_id=d.channel_id,
            kind=DeliveryKind(d.kind),
            status=DeliveryStatus(d.status),
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if d.status == DeliveryStatus.pending else None,
            last_error=d.last_error,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
            attempt_log=[
                AttemptRead.model_validate(a, from_attributes=True) for a in attempts[d.pk]
            ],
        )
        for d in rows
    ]


@router.get(
    "/alert-deliveries", response_model=Page[DeliveryRead], operation_id="listAlertDeliveries"
)
def list_deliveries(
    session: SessionDep,
    _: Admin,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    kind: DeliveryKind | None = None,
    channel_id: uuid.UUID | None = None,
    incident_id: uuid.UUID | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[DeliveryRead]:
    """Deliveries, newest first, each with its attempts (status code or error, duration)."""
    where = DeliveryFilter(
        status=status_.value if status_ else None,
        channel_id=channel_id,
        incident_id=incident_id,
        kind=kind.value if kind else None,
    )
    rows = repository.search_deliveries(session, where, cursor, limit)
    items, next_cursor = page_of(rows, limit, lambda d: [d.pk])
    return Page(items=_delivery_reads(session, items), next_cursor=next_cursor)


def _incident_read(incident: Incident) -> IncidentRead:
    return IncidentRead.model_validate(incident, from_attributes=True)


@router.get("/incidents", response_model=Page[IncidentRead], operation_id="listIncidents")
def list_incidents(
    session: SessionDep,
    _: Admin,
    status_: Annotated[IncidentStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[IncidentRead]:
    """Incidents, newest first: one per root cause, open until the root recovers."""
    rows = repository.search_incidents(session, status_.value if status_ else None, cursor, limit)
    items, next_cursor = page_of(rows, limit, lambda i: [i.opened_at, i.id])
    return Page(items=[_incident_read(i) for i in items], next_cursor=next_cursor)


@router.get("/incidents/{incident_id}", response_model=IncidentRead, operation_id="getIncident")
def get_incident(session: SessionDep, _: Admin, incident_id: uuid.UUID) -> IncidentRead:
    """One incident."""
    return _incident_read(service.get_incident(session, incident_id))
