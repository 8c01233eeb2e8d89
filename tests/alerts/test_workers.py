"""Several delivery workers on one database never send a delivery twice; a receiver that
hangs costs the worker its timeout, never the status change."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.alerts.models import AlertDelivery
from dlv.alerts.worker import DeliveryWorker
from dlv.app import create_app
from dlv.config import Settings
from dlv.db import make_engine, make_sessionmaker
from tests.alerts.conftest import (
    Platform,
    Receiver,
    change_status,
    rule,
    webhook_channel,
    webhook_rule,
)
from tests.conftest import Caller

CHANNELS = 24
WORKERS = 2


def test_two_workers_never_send_one_delivery_twice(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
    database_url: str,
) -> None:
    ids = [
        webhook_channel(client, admin, f"{receiver.url}/{i}", name=f"hook-{i}")["id"]
        for i in range(CHANNELS)
    ]
    rule(client, admin, ids)
    change_status(app, db, [(platform.shop, "error", "down")])

    engines = [make_engine(database_url) for _ in range(WORKERS)]
    state = app.state
    workers = [
        DeliveryWorker(
            make_sessionmaker(e), state.secret_box, state.network_policy, state.settings, batch=3
        )
        for e in engines
    ]
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def drain(worker: DeliveryWorker) -> None:
        try:
            start.wait()
            while worker.run_once():
                pass
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()

    assert errors == []
    sent = Counter(r.headers["X-DLV-Delivery"] for r in receiver.received)
    assert len(sent) == CHANNELS
    assert set(sent.values()) == {1}
    db.expire_all()
    statuses = db.scalars(select(AlertDelivery.status)).all()
    assert Counter(statuses) == {"delivered": CHANNELS}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield int(server.getsockname()[1])
    server.close()


def test_a_hanging_receiver_never_blocks_the_status_change(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    worker: DeliveryWorker,
    silent_port: int,
) -> None:
    rule(client, admin, [webhook_channel(client, admin, f"http://127.0.0.1:{silent_port}/")["id"]])
    # Queued, not sent: the change commits without touching the network.
    (incident,) = change_status(app, db, [(platform.shop, "error", "down")])
    assert db.scalar(select(AlertDelivery.status)) == "pending"
    db.rollback()  # SQLite: this session's transaction holds the write lock

    assert worker.run_once() == 1  # bounded by DLV_ALERTS_SEND_TIMEOUT_SECONDS (3 s here)
    r = client.get(
        "/api/v1/alert-deliveries", params={"incident_id": str(incident.id)}, headers=admin.headers
    )
    (delivery,) = r.json()["items"]
    assert delivery["status"] == "pending"
    assert "Timed out" in delivery["attempt_log"][0]["error"]


def test_a_delivery_whose_sender_died_is_sent_after_its_lease(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    from datetime import timedelta  # noqa: PLC0415

    from dlv.alerts import repository  # noqa: PLC0415
    from dlv.db import utcnow  # noqa: PLC0415

    webhook_rule(client, admin, receiver)
    change_status(app, db, [(platform.stg, "error", "down")])
    now = utcnow()
    # A worker claims it and dies before sending: the row stays ``sending`` under its lease.
    (claimed,) = repository.claim(db, now, now + timedelta(seconds=40), 10)
    db.commit()
    assert worker.run_once(now + timedelta(seconds=10)) == 0  # leased: nobody else takes it
    assert worker.run_once(now + timedelta(seconds=41)) == 1
    assert len(receiver.received) == 1
    db.expire_all()
    assert db.get(type(claimed), claimed.pk).status == "delivered"  # type: ignore[union-attr]


def test_the_server_runs_a_worker_that_delivers_what_is_queued(
    settings: Settings, db: Session, admin: Caller, receiver: Receiver
) -> None:
    embedded = settings.model_copy(update={"alerts": "embedded", "alerts_poll_seconds": 0.2})
    app = create_app(embedded)
    with TestClient(app) as client:
        platform = Platform(client, admin, app, width=2)
        webhook_rule(client, admin, receiver)
        change_status(app, db, [(platform.shop, "error", "down")])
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [r.json()["root"]["name"] for r in receiver.received] == ["shop"]
