"""One root cause is one alert: grouping by root, one recovery, a later failure is new."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dlv.alerts.models import AlertDelivery, Incident
from tests.alerts.conftest import Platform, Receiver, change_status, rule, webhook_channel
from tests.conftest import Caller


def deliveries(db: Session, kind: str | None = None) -> int:
    stmt = select(func.count()).select_from(AlertDelivery)
    if kind:
        stmt = stmt.where(AlertDelivery.kind == kind)
    return int(db.scalar(stmt) or 0)


def test_a_root_failing_many_downstream_nodes_is_one_alert_naming_the_root(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    channel = webhook_channel(client, admin, receiver.url)
    rule(client, admin, [channel["id"]])
    p = platform
    change_status(app, db, [(p.shop, "error", "Connection refused by db.internal:5432")])
    # What ingestion then reports: the jobs fail, every dataset they write goes stale.
    change_status(app, db, [(p.load, "error", "task failed"), (p.build, "error", "task failed")])
    change_status(app, db, [(m, "at_risk", "producer failed") for m in p.marts])
    change_status(app, db, [(p.stg, "at_risk", None), (p.raw, "error", "gone")])

    incidents = db.scalars(select(Incident)).all()
    assert [(i.root_node_id.hex, i.status) for i in incidents] == [
        (p.shop.replace("-", ""), "open")
    ]
    assert incidents[0].grouped_count == 3  # load, build, raw: the at_risk ones are no alert
    assert incidents[0].affected_count == 16  # raw, load, stg, build and the 12 marts
    assert deliveries(db) == 1
