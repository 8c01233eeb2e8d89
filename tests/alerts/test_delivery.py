"""Delivery through real receivers: a signed webhook, Slack's Block Kit, an email over SMTP;
retries with backoff, every attempt logged, a receiver that is down."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.alerts.worker import DeliveryWorker
from dlv.db import utcnow
from tests.alerts.conftest import (
    PUBLIC_URL,
    SIGNING_SECRET,
    SMTP_PASSWORD,
    Inbox,
    Platform,
    Receiver,
    change_status,
    rule,
    webhook_channel,
    webhook_rule,
)
from tests.conftest import Caller
from tests.servers import free_port


def later(minutes: float) -> Any:
    return utcnow() + timedelta(minutes=minutes)


def deliveries(client: TestClient, admin: Caller, **params: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/alert-deliveries", params=params, headers=admin.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_the_webhook_is_signed_and_names_root_downstream_owners_and_link(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    webhook_rule(client, admin, receiver)
    change_status(
        app,
        db,
        [
            (platform.shop, "error", "Connection refused by db.internal:5432"),
            (platform.build, "error", "task failed"),  # the same batch: one alert
        ],
    )

    assert worker.run_once() == 1
    (got,) = receiver.received
    timestamp = got.headers["X-DLV-Timestamp"]
    expected = hmac.new(
        SIGNING_SECRET.encode(), timestamp.encode() + b"." + got.body, hashlib.sha256
    ).hexdigest()
    assert got.headers["X-DLV-Signature"] == f"sha256={expected}"
    assert abs(time.time() - int(timestamp)) < 300
    alert = got.json()
    assert (alert["type"], alert["event"]) == ("alert", "error")
    assert alert["root"]["name"] == "shop"
    assert alert["message"] == "Connection refused by db.internal:5432"
    assert alert["affected_count"] == 16
    assert alert["affected_top"][0]["name"] == "build"  # already in error: named first
    assert len(alert["affected_top"]) == 10
    assert set(alert["owners"]) == {"ingest", "etl", "analytics", "team-0", "team-1", "team-2"}
    assert alert["link"] == f"{PUBLIC_URL}/nodes/{platform.shop}/impact"
    assert got.headers["X-DLV-Delivery"] == deliveries(client, admin)[0]["id"]


def test_recovery_is_sent_once_after_the_alert(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    webhook_rule(client, admin, receiver)
    change_status(app, db, [(platform.stg, "error", "down")])
    worker.run_once()
    change_status(app, db, [(platform.stg, "ok", None)])
    worker.run_once()
    worker.run_once(later(600))
    assert [r.json()["type"] for r in receiver.received] == ["alert", "recovery"]
    assert receiver.received[1].json()["root"]["status"] == "ok"


def test_slack_gets_a_block_kit_message(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    r = client.post(
        "/api/v1/alert-channels",
        json={"name": "slack", "config": {"kind": "slack", "url": receiver.url + "/T0/B0/xyz"}},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    rule(client, admin, [r.json()["id"]])
    change_status(app, db, [(platform.shop, "error", "Connection refused")])
    worker.run_once()

    (got,) = receiver.received
    assert got.path == "/hook/T0/B0/xyz"
    message = got.json()
    assert "shop" in message["text"]
    blocks = message["blocks"]
    assert blocks[0]["type"] == "header"
    assert "16 downstream affected" in blocks[0]["text"]["text"]
    assert all(b["type"] in {"header", "section"} for b in blocks)
    text = str(blocks)
    assert "Connection refused" in text
    assert "team-1" in text
    assert f"<{PUBLIC_URL}/nodes/{platform.shop}/impact|Open the incident view>" in text


def test_email_arrives_over_smtp(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    smtp: tuple[Inbox, int],
    worker: DeliveryWorker,
) -> None:
    inbox, port = smtp
    r = client.post(
        "/api/v1/alert-channels",
        json={
            "name": "mail",
            "config": {
                "kind": "email",
                "host": "127.0.0.1",
                "port": port,
                "from_address": "dlv@example.test",
                "to": ["oncall@example.test", "data@example.test"],
                "starttls": False,
            },
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    rule(client, admin, [r.json()["id"]])
    change_status(app, db, [(platform.shop, "error", "Connection refused")])
    worker.run_once()

    ((sender, recipients, raw),) = inbox.messages
    assert (sender, recipients) == (
        "dlv@example.test",
        ["oncall@example.test", "data@example.test"],
    )
    mail = message_from_bytes(raw, policy=policy.default)
    assert (
        mail["Subject"]
        == "[DLV] failing: postgres://db.internal:5432/shop (16 downstream affected)"
    )
    body = str(mail.get_payload())
    assert "Message: Connection refused" in body
    assert "team-2" in body
    assert f"{PUBLIC_URL}/nodes/{platform.shop}/impact" in body


def test_a_500_is_retried_later_and_both_attempts_are_logged(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    webhook_rule(client, admin, receiver)
    receiver.codes = [500, 200]
    change_status(app, db, [(platform.stg, "error", "down")])
    assert worker.run_once() == 1
    assert worker.run_once() == 0  # backing off: not due yet
    assert worker.run_once(later(2)) == 1

    (delivery,) = deliveries(client, admin)
    assert delivery["status"] == "delivered"
    assert [(a["ok"], a["status_code"]) for a in delivery["attempt_log"]] == [
        (False, 500),
        (True, 200),
    ]
    assert "HTTP 500" in delivery["attempt_log"][0]["error"]
    assert len(receiver.received) == 2


def test_a_receiver_that_is_down_fails_after_the_last_attempt(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    worker: DeliveryWorker,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    rule(client, admin, [webhook_channel(client, admin, url)["id"]])
    # Queuing is all a status change does: nothing waits on the receiver.
    change_status(app, db, [(platform.stg, "error", "down")])
    for minutes in (0, 2, 10):  # backoff 1, 2 minutes: max attempts is 3
        assert worker.run_once(later(minutes)) == 1
    assert worker.run_once(later(60)) == 0

    (delivery,) = deliveries(client, admin, status="failed")
    assert delivery["attempts"] == 3
    assert all("Connection refused" in a["error"] for a in delivery["attempt_log"])
    incident = client.get("/api/v1/incidents", headers=admin.headers).json()["items"][0]
    assert deliveries(client, admin, incident_id=incident["id"]) == [delivery]


def test_incidents_list_the_root_and_its_impact(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
) -> None:
    webhook_rule(client, admin, receiver)
    change_status(app, db, [(platform.shop, "error", "down")])
    change_status(app, db, [(platform.load, "error", "failed")])
    r = client.get("/api/v1/incidents", params={"status": "open"}, headers=admin.headers)
    (incident,) = r.json()["items"]
    assert (incident["root_name"], incident["affected_count"], incident["grouped_count"]) == (
        "shop",
        16,
        1,
    )
    one = client.get(f"/api/v1/incidents/{incident['id']}", headers=admin.headers).json()
    assert one["summary"]["root"]["id"] == platform.shop


def test_email_logs_in_with_the_stored_password(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    worker: DeliveryWorker,
) -> None:
    logins: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password.decode() == SMTP_PASSWORD)

    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        r = client.post(
            "/api/v1/alert-channels",
            json={
                "name": "mail",
                "config": {
                    "kind": "email",
                    "host": "127.0.0.1",
                    "port": port,
                    "from_address": "dlv@example.test",
                    "to": ["oncall@example.test"],
                    "starttls": False,
                    "username": "dlv",
                    "password": SMTP_PASSWORD,
                },
            },
            headers=admin.headers,
        )
        assert r.status_code == 201, r.text
        rule(client, admin, [r.json()["id"]])
        change_status(app, db, [(platform.shop, "error", "down")])
        worker.run_once()
    finally:
        controller.stop()
    assert logins == [("dlv", SMTP_PASSWORD)]
    assert len(inbox.messages) == 1
