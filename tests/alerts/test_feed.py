"""The alert engine fed by the event log: status changes made by a real check and by an
OpenLineage event become one incident and one delivery, each change acted on once, whichever
process reads it; ids that PostgreSQL commits out of order are waited for."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from dlv.alerts.feed import CURSOR, AlertFeed
from dlv.alerts.models import AlertDelivery, Incident
from dlv.db import make_engine, make_sessionmaker, utcnow
from dlv.events import service as events
from dlv.events.models import Event
from tests.alerts.conftest import Platform, rule, webhook_channel
from tests.conftest import Caller


def feed_of(app: FastAPI) -> AlertFeed:
    state = app.state
    return AlertFeed(state.sessionmaker, state.lineage_index, public_url=None, grace_seconds=5)


def count(db: Session, model: Any) -> int:
    # Ends its transaction: on SQLite an open one would hold off the feed's writes.
    found = int(db.scalar(select(func.count()).select_from(model)) or 0)
    db.rollback()
    return found


def fail(job: str) -> dict[str, Any]:
    return {
        "eventType": "FAIL",
        "eventTime": datetime.now(UTC).isoformat(),
        "producer": "https://example.com/feed-test",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "prod_airflow", "name": job},
        "inputs": [],
        "outputs": [],
    }


def test_a_failing_check_and_a_failed_run_below_it_are_one_incident_one_delivery(
    app: FastAPI, client: TestClient, admin: Caller, db: Session, platform: Platform
) -> None:
    rule(client, admin, [webhook_channel(client, admin, "http://127.0.0.1:9/hook")["id"]])
    feed = feed_of(app)
    assert feed.run_once() == 0  # starts at the newest event: history is not replayed
    checked = client.post(f"/api/v1/nodes/{platform.shop}/test-connection", headers=admin.headers)
    assert checked.json()["status"] == "error", checked.text
    r = client.post("/api/v1/lineage", json=fail("build"), headers=admin.headers)
    assert r.status_code == 201, r.text

    assert feed.run_once() > 0
    incidents = [(str(i.root_node_id), i.grouped_count) for i in db.scalars(select(Incident))]
    db.rollback()
    assert len(incidents) == 1
    assert incidents[0][0] == platform.shop
    assert incidents[0][1] >= 1  # the failed run joined the check's incident
    assert count(db, AlertDelivery) == 1
    assert feed.run_once() == 0  # nothing is acted on twice
    assert count(db, AlertDelivery) == 1


def test_two_feeds_on_one_database_act_on_each_change_once(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    database_url: str,
) -> None:
    rule(client, admin, [webhook_channel(client, admin, "http://127.0.0.1:9/hook")["id"]])
    first = feed_of(app)
    engine = make_engine(database_url)
    try:
        second = AlertFeed(
            make_sessionmaker(engine), app.state.lineage_index, public_url=None, grace_seconds=5
        )
        assert first.run_once() == 0
        r = client.post("/api/v1/lineage", json=fail("load"), headers=admin.headers)
        assert r.status_code == 201, r.text
        read = [second.run_once(), first.run_once()]
    finally:
        engine.dispose()
    assert read[0] > 0
    assert read[1] == 0
    assert count(db, Incident) == 1
    assert count(db, AlertDelivery) == 1


def _event(db: Session, event_id: int, created_at: datetime) -> None:
    db.execute(
        insert(Event).values(
            id=event_id, kind="check.finished", node_id=None, payload={}, created_at=created_at
        )
    )
    db.commit()


def test_a_missing_id_holds_later_events_back_until_the_grace_has_passed(db: Session) -> None:
    now = utcnow()
    grace = timedelta(seconds=5)
    _event(db, 100, now)
    assert events.consume(db, CURSOR, now, grace=grace) == []  # starts after 100
    db.commit()
    _event(db, 102, now)  # 101 drew its id first and has not committed yet
    assert events.consume(db, CURSOR, now, grace=grace) == []
    db.commit()
    _event(db, 101, now)
    assert [row.id for row in events.consume(db, CURSOR, now, grace=grace)] == [101, 102]
    db.commit()
    _event(db, 104, now)  # 103 never commits (rolled back)
    assert events.consume(db, CURSOR, now, grace=grace) == []
    db.rollback()
    later = now + timedelta(seconds=6)
    assert [row.id for row in events.consume(db, CURSOR, later, grace=grace)] == [104]
    db.commit()
    assert events.consume(db, CURSOR, later, grace=grace) == []
