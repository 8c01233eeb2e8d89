"""One root cause is one alert: grouping by root, one recovery, a later failure is new."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dlv.alerts.models import AlertDelivery, Incident
from tests.alerts.conftest import Platform, Receiver, change_status, webhook_rule
from tests.conftest import Caller


def deliveries(db: Session, kind: str | None = None) -> int:
    stmt = select(func.count()).select_from(AlertDelivery)
    if kind:
        stmt = stmt.where(AlertDelivery.kind == kind)
    return int(db.scalar(stmt) or 0)


def test_a_root_failing_200_downstream_nodes_is_one_alert_naming_the_root(
    app: FastAPI, client: TestClient, admin: Caller, db: Session, receiver: Receiver
) -> None:
    p = Platform(client, admin, app, width=200)
    webhook_rule(client, admin, receiver)
    change_status(app, db, [(p.shop, "error", "Connection refused by db.internal:5432")])
    # What ingestion then reports: the jobs fail, then every mart below, one by one.
    change_status(app, db, [(p.load, "error", "task failed"), (p.build, "error", "task failed")])
    for mart in p.marts:
        change_status(app, db, [(mart, "error", "upstream failed")])
    change_status(app, db, [(p.stg, "at_risk", None), (p.raw, "error", "gone")])

    incidents = db.scalars(select(Incident)).all()
    assert [(i.root_node_id.hex, i.status) for i in incidents] == [
        (p.shop.replace("-", ""), "open")
    ]
    assert incidents[0].grouped_count == 203  # load, build, raw, 200 marts (at_risk: no alert)
    assert incidents[0].affected_count == 204  # raw, load, stg, build and the 200 marts
    assert deliveries(db) == 1


def test_recovery_of_the_root_resolves_it_with_one_recovery_message(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    webhook_rule(client, admin, receiver)
    p = platform
    change_status(app, db, [(p.shop, "error", "down")])
    change_status(app, db, [(p.load, "error", "task failed")])
    change_status(app, db, [(p.load, "ok", None)])  # a member recovering says nothing
    change_status(app, db, [(p.shop, "ok", "TCP port 5432 open")])
    change_status(app, db, [(p.shop, "ok", "still fine")])

    (incident,) = db.scalars(select(Incident)).all()
    assert incident.status == "resolved"
    assert incident.resolved_at is not None
    assert (deliveries(db, "alert"), deliveries(db, "recovery")) == (1, 1)


def test_a_second_failure_after_recovery_is_a_new_incident(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    webhook_rule(client, admin, receiver)
    p = platform
    change_status(app, db, [(p.stg, "error", "first")])
    change_status(app, db, [(p.stg, "ok", None)])
    change_status(app, db, [(p.stg, "error", "second")])

    rows = db.scalars(select(Incident).order_by(Incident.opened_at)).all()
    assert [(r.status, r.message) for r in rows] == [("resolved", "first"), ("open", "second")]
    assert deliveries(db, "alert") == 2


def test_an_unrelated_failure_is_its_own_incident(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    webhook_rule(client, admin, receiver)
    change_status(app, db, [(platform.shop, "error", "down"), (platform.island, "error", "bad")])
    assert {i.root_name for i in db.scalars(select(Incident))} == {"shop", "island"}


def test_a_late_node_below_a_failure_joins_its_incident(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    webhook_rule(client, admin, receiver)
    change_status(app, db, [(platform.build, "error", "task failed")])
    change_status(app, db, [(platform.marts[3], "late", "not updated by 06:00")])
    (incident,) = db.scalars(select(Incident)).all()
    assert (incident.root_name, incident.grouped_count) == ("build", 1)


def test_a_late_node_alone_is_a_late_incident(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    webhook_rule(client, admin, receiver, events=("late",))
    change_status(app, db, [(platform.marts[3], "late", "not updated by 06:00")])
    (incident,) = db.scalars(select(Incident)).all()
    assert (incident.event, incident.message) == ("late", "not updated by 06:00")
    assert deliveries(db, "alert") == 1


def selected(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    receiver: Receiver,
    failing: str,
    **selector: Any,
) -> int:
    webhook_rule(client, admin, receiver, **selector)
    change_status(app, db, [(failing, "error", "down")])
    return deliveries(db)


def test_a_tag_rule_matches_a_failure_that_reaches_a_tagged_node(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    assert selected(app, client, admin, db, receiver, platform.stg, tag="Finance") == 1


def test_a_tag_rule_ignores_a_failure_that_reaches_no_tagged_node(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    assert selected(app, client, admin, db, receiver, platform.marts[1], tag="finance") == 0


def test_an_owner_rule_matches_the_owners_downstream(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    assert selected(app, client, admin, db, receiver, platform.build, owner="team-2") == 1


def test_a_namespace_rule_ignores_other_namespaces(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    assert selected(app, client, admin, db, receiver, platform.island, namespace="warehouse") == 0


def test_a_downstream_rule_matches_a_failure_below_its_node(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    p = platform
    assert selected(app, client, admin, db, receiver, p.marts[5], downstream_of=p.stg) == 1


def test_a_downstream_rule_ignores_a_failure_elsewhere(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    p = platform
    assert selected(app, client, admin, db, receiver, p.island, downstream_of=p.stg) == 0


def test_a_dashboard_rule_matches_a_failure_reaching_its_nodes(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    r = client.post(
        "/api/v1/dashboards",
        json={
            "name": "Revenue",
            "layout": {"nodes": [{"node_id": platform.marts[7], "x": 0, "y": 0}]},
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    dashboard = r.json()["id"]
    assert selected(app, client, admin, db, receiver, platform.load, dashboard_id=dashboard) == 1
