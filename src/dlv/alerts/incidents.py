"""The alert engine: status changes -> incidents keyed by their root cause -> queued deliveries.

A failing node (``error``, or ``late`` from an SLA) is traced upstream with the impact
analysis; the likely root causes (``lineage.causes``, ADR 10) name the incident it belongs
to. A root with an open incident absorbs the change (``grouped_count``): one root failing 200
downstream nodes is one alert. A root without one opens it: the downstream impact is computed
once, the rules are matched, and one delivery per channel is queued. When the root recovers,
the incident is resolved and one recovery message goes to the channels whose rules asked for
``recovered``. Everything happens in the caller's transaction; sending is the worker's.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dlv.alerts import repository
from dlv.alerts.models import (
    AlertDelivery,
    AlertEvent,
    AlertRule,
    DeliveryKind,
    Incident,
    IncidentStatus,
)
from dlv.dashboards import repository as dashboards_repository
from dlv.impact import service as impact_service
from dlv.impact.schemas import ImpactDirection
from dlv.lineage.live import LiveIndex

FAILING = frozenset({AlertEvent.error.value, AlertEvent.late.value})
TOP_AFFECTED = 10
# Listed first among the top affected: what is already broken, then what is stale.
_STATUS_RANK = {"error": 0, "late": 1, "at_risk": 2}

JsonNode = dict[str, Any]


@dataclass(frozen=True)
class StatusChange:
    """A node's status changed (written already, in the caller's transaction)."""

    node_id: uuid.UUID
    old: str | None
    new: str
    message: str | None
    at: datetime


def incident_link(public_url: str | None, node_id: str) -> str:
    """The web UI's incident view of a node (``/nodes/<id>/impact``); absolute when
    DLV_PUBLIC_URL is set."""
    return f"{(public_url or '').rstrip('/')}/nodes/{node_id}/impact"


def on_status_changes(
    session: Session,
    changes: Sequence[StatusChange],
    now: datetime,
    *,
    live: LiveIndex,
    public_url: str | None,
) -> list[Incident]:
    """Open, group or resolve incidents for ``changes`` and queue their deliveries, in the
    caller's transaction (no network); the incidents touched, in order."""
    touched: list[Incident] = []
    for change in changes:
        incident: Incident | None = None
        if change.new in FAILING:
            incident = _on_failure(session, live, change, now, public_url)
        elif change.old in FAILING:
            incident = _on_recovery(session, change, now)
        if incident is not None:
            touched.append(incident)
    return touched


def _on_failure(
    session: Session, live: LiveIndex, change: StatusChange, now: datetime, public_url: str | None
) -> Incident | None:
    try:
        upstream = impact_service.reach(session, live, change.node_id, ImpactDirection.upstream)
    except impact_service.NodeNotFound:
        return None  # deleted meanwhile
    me = str(change.node_id)
    causes = [str(c["id"]) for c in upstream.likely_root_causes]
    # Nothing failing explains it (or it is a cause itself): its own incident.
    candidates = [me] if me in causes or not causes else causes
    existing = repository.open_incidents_among(session, [uuid.UUID(c) for c in candidates])
    if existing:
        return _group(existing[0])
    return _open(session, live, uuid.UUID(candidates[0]), change, now, public_url)


def _group(incident: Incident) -> Incident:
    incident.grouped_count += 1
    return incident


def _open(
    session: Session,
    live: LiveIndex,
    root_id: uuid.UUID,
    change: StatusChange,
    now: datetime,
    public_url: str | None,
) -> Incident | None:
    try:
        below = impact_service.reach(session, live, root_id, ImpactDirection.downstream)
    except impact_service.NodeNotFound:
        return None
    root, affected = below.root, below.affected
    own = root_id == change.node_id
    event = change.new if own else (root["status"] if root["status"] in FAILING else "error")
    message = (change.message if own else None) or root.get("status_message")
    summary = _summary(root, affected, event, message, len(affected), public_url)
    alert_to, recover_to = _channels_for(session, live, event, [root, *affected])
    incident = Incident(
        id=uuid.uuid4(),  # now, not at flush: the summary names it
        root_node_id=root_id,
        root_name=str(root["name"]),
        event=event,
        status=IncidentStatus.open,
        message=message,
        affected_count=len(affected),
        grouped_count=0 if own else 1,
        summary=summary,
        recovery_channel_ids=recover_to,
        opened_at=change.at,
    )
    summary["incident_id"] = str(incident.id)
    summary["opened_at"] = change.at.isoformat()
    try:
        with session.begin_nested():  # another process opened it first: group into that
            repository.add(session, incident)
    except IntegrityError:
        other = repository.open_incident(session, root_id)
        return _group(other) if other is not None else None
    _queue(session, incident, DeliveryKind.alert, summary, alert_to, now)
    return incident


def _on_recovery(session: Session, change: StatusChange, now: datetime) -> Incident | None:
    incident = repository.open_incident(session, change.node_id)
    if incident is None:
        return None  # not a root: its incident ends when the root recovers
    incident.status = IncidentStatus.resolved
    incident.resolved_at = change.at
    payload = {
        **incident.summary,
        "type": DeliveryKind.recovery.value,
        "root": {**incident.summary["root"], "status": change.new},
        "resolved_at": change.at.isoformat(),
    }
    _queue(session, incident, DeliveryKind.recovery, payload, incident.recovery_channel_ids, now)
    return incident


def _queue(
    session: Session,
    incident: Incident,
    kind: DeliveryKind,
    payload: dict[str, Any],
    channel_ids: Sequence[str],
    now: datetime,
) -> None:
    existing = repository.channels_by_id(session, [uuid.UUID(c) for c in channel_ids])
    rows = [
        AlertDelivery(
            incident_id=incident.id,
            channel_id=channel_id,
            kind=kind.value,
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        )
        for channel_id in existing
    ]
    if rows:
        repository.add(session, *rows)


def _node(node: JsonNode) -> JsonNode:
    keys = ("id", "kind", "namespace", "name", "status", "owners", "distance")
    return {k: node.get(k) for k in keys if k in node}


def _summary(
    root: JsonNode,
    affected: list[JsonNode],
    event: str,
    message: str | None,
    count: int,
    public_url: str | None,
) -> dict[str, Any]:
    """The alert every channel renders (``dlv.alerts.message``) and a webhook receives."""
    ranked = sorted(affected, key=lambda n: (_STATUS_RANK.get(n["status"], 3), n["distance"]))
    owners: dict[str, None] = {}
    for node in sorted(affected, key=lambda n: n["distance"]):
        owners.update(dict.fromkeys(node["owners"] or []))
    return {
        "type": DeliveryKind.alert.value,
        "event": event,
        "root": {**_node(root), "message": message},
        "message": message,
        "affected_count": count,
        "affected_top": [_node(n) for n in ranked[:TOP_AFFECTED]],
        "owners": list(owners),
        "root_owners": list(root.get("owners") or []),
        "link": incident_link(public_url, str(root["id"])),
        "resolved_at": None,
    }


def _channels_for(
    session: Session, live: LiveIndex, event: str, nodes: list[JsonNode]
) -> tuple[list[str], list[str]]:
    """(channels to alert, channels to tell of the recovery), from the rules that match."""
    alert_to: dict[str, None] = {}
    recover_to: dict[str, None] = {}
    for rule in repository.rules(session, enabled_only=True):
        wants_alert = event in rule.events
        wants_recovery = AlertEvent.recovered.value in rule.events
        if not (wants_alert or wants_recovery) or not _selects(session, live, rule, nodes):
            continue
        if wants_alert:
            alert_to.update(dict.fromkeys(rule.channel_ids))
        if wants_recovery:
            recover_to.update(dict.fromkeys(rule.channel_ids))
    return list(alert_to), list(recover_to)


def _selects(session: Session, live: LiveIndex, rule: AlertRule, nodes: list[JsonNode]) -> bool:
    """Whether one of ``nodes`` (a root and what it affects) meets every selector field."""
    picked = nodes
    if rule.tag:
        tagged = repository.node_ids_with_tag(session, rule.tag)
        picked = [n for n in picked if n["id"] in tagged]
    if rule.owner:
        picked = [n for n in picked if rule.owner in (n["owners"] or [])]
    if rule.namespace:
        picked = [n for n in picked if n["namespace"] == rule.namespace]
    if rule.dashboard_id and picked:
        layouts = dashboards_repository.layouts(session, [rule.dashboard_id])
        layout = layouts.get(rule.dashboard_id, {})
        on_it = {str(n.get("node_id")) for n in layout.get("nodes", [])}
        picked = [n for n in picked if n["id"] in on_it]
    if rule.downstream_of and picked:
        try:
            below = impact_service.reach(
                session, live, rule.downstream_of, ImpactDirection.downstream
            )
        except impact_service.NodeNotFound:
            return False
        reach = {str(rule.downstream_of), *(str(n["id"]) for n in below.affected)}
        picked = [n for n in picked if n["id"] in reach]
    return bool(picked)


def sample_payload(public_url: str | None) -> dict[str, Any]:
    """A made-up alert for a channel's test: shaped like a real one, marked ``test``."""
    root_id = "00000000-0000-4000-8000-000000000000"
    return {
        "type": DeliveryKind.alert.value,
        "test": True,
        "event": AlertEvent.error.value,
        "incident_id": None,
        "root": {
            "id": root_id,
            "kind": "postgres",
            "namespace": "postgres://example:5432",
            "name": "example",
            "status": "error",
            "owners": ["data-platform"],
            "message": "This is a test alert from DLV: the channel works.",
        },
        "message": "This is a test alert from DLV: the channel works.",
        "affected_count": 1,
        "affected_top": [
            {
                "id": "00000000-0000-4000-8000-000000000001",
                "kind": "dataset",
                "namespace": "postgres://example:5432",
                "name": "analytics.public.orders",
                "status": "at_risk",
                "owners": ["analytics"],
                "distance": 1,
            }
        ],
        "owners": ["analytics"],
        "root_owners": ["data-platform"],
        "link": incident_link(public_url, root_id),
        "opened_at": None,
        "resolved_at": None,
    }
