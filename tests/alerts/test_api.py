"""Channel and rule administration: validation, secrets that never come back, audit, test."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dlv.alerts.models import AlertChannel
from dlv.alerts.worker import DeliveryWorker
from dlv.audit.models import AuditRecord
from tests.alerts.conftest import (
    SIGNING_SECRET,
    SMTP_PASSWORD,
    Platform,
    Receiver,
    change_status,
    rule,
    webhook_channel,
)
from tests.conftest import Caller
from tests.servers import free_port

SLACK_URL_SECRET = "T000/B000/SlackHookSecretPath99"


def channels_path(suffix: str = "") -> str:
    return "/api/v1/alert-channels" + suffix


def create_all_kinds(client: TestClient, admin: Caller, receiver: Receiver) -> list[dict[str, Any]]:
    webhook = webhook_channel(client, admin, receiver.url)
    slack = client.post(
        channels_path(),
        json={
            "name": "slack",
            "config": {"kind": "slack", "url": f"{receiver.url}/{SLACK_URL_SECRET}"},
        },
        headers=admin.headers,
    )
    email = client.post(
        channels_path(),
        json={
            "name": "mail",
            "config": {
                "kind": "email",
                "host": "127.0.0.1",
                "port": free_port(),
                "from_address": "dlv@example.test",
                "to": ["oncall@example.test"],
                "username": "dlv",
                "password": SMTP_PASSWORD,
            },
        },
        headers=admin.headers,
    )
    assert (slack.status_code, email.status_code) == (201, 201), slack.text + email.text
    return [webhook, slack.json(), email.json()]


SECRETS = (SIGNING_SECRET, SLACK_URL_SECRET, SMTP_PASSWORD)


def no_secret_in(text_: str) -> None:
    for secret in SECRETS:
        assert secret not in text_


def test_responses_show_which_secrets_are_set_never_their_values(
    client: TestClient, admin: Caller, receiver: Receiver
) -> None:
    created = create_all_kinds(client, admin, receiver)
    assert [
        c["config"].get("secret_set", c["config"].get("url_set", c["config"].get("password_set")))
        for c in created
    ] == [True, True, True]
    listed = client.get(channels_path(), headers=admin.headers)
    one = client.get(channels_path(f"/{created[1]['id']}"), headers=admin.headers)
    for response in (listed, one):
        assert response.status_code == 200
        no_secret_in(response.text)
    no_secret_in(str(created))


def test_secrets_are_encrypted_at_rest(
    client: TestClient, admin: Caller, receiver: Receiver, db: Session
) -> None:
    create_all_kinds(client, admin, receiver)
    rows = db.execute(text("SELECT config, secrets FROM alert_channels")).all()
    assert len(rows) == 3
    no_secret_in(str(rows))


def test_the_audit_trail_records_channels_without_secrets(
    client: TestClient, admin: Caller, receiver: Receiver, db: Session
) -> None:
    created = create_all_kinds(client, admin, receiver)
    r = client.patch(
        channels_path(f"/{created[0]['id']}"),
        json={
            "config": {"kind": "webhook", "url": receiver.url, "secret": "new-" + SIGNING_SECRET}
        },
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    records = db.scalars(
        select(AuditRecord).where(AuditRecord.action.like("alert_channel.%"))
    ).all()
    assert len(records) == 4
    no_secret_in(str([r.changes for r in records]))
    audit = client.get("/api/v1/audit", headers=admin.headers)
    no_secret_in(audit.text)


def test_an_update_without_the_secret_keeps_it_and_an_empty_one_clears_it(
    client: TestClient, admin: Caller, receiver: Receiver
) -> None:
    channel = webhook_channel(client, admin, receiver.url)
    path = channels_path(f"/{channel['id']}")
    kept = client.patch(
        path,
        json={"config": {"kind": "webhook", "url": receiver.url + "/v2"}},
        headers=admin.headers,
    ).json()
    assert (kept["config"]["url"], kept["config"]["secret_set"]) == (receiver.url + "/v2", True)
    cleared = client.patch(
        path,
        json={"config": {"kind": "webhook", "url": receiver.url, "secret": ""}},
        headers=admin.headers,
    ).json()
    assert cleared["config"]["secret_set"] is False


def test_secrets_never_reach_the_logs(
    app: FastAPI,
    client: TestClient,
    admin: Caller,
    db: Session,
    platform: Platform,
    receiver: Receiver,
    worker: DeliveryWorker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    channels = create_all_kinds(client, admin, receiver)
    rule(client, admin, [c["id"] for c in channels])
    receiver.codes = [500, 500]
    change_status(app, db, [(platform.shop, "error", "down")])
    worker.run_once()  # the email fails (nothing listens), the webhooks answer 500
    deliveries = client.get("/api/v1/alert-deliveries", headers=admin.headers)
    assert len(deliveries.json()["items"]) == 3
    assert all(d["attempt_log"][0]["ok"] is False for d in deliveries.json()["items"])
    no_secret_in(deliveries.text)
    no_secret_in(caplog.text)
    assert "alert delivery" in caplog.text


def test_the_test_endpoint_sends_a_sample_to_the_receiver(
    client: TestClient, admin: Caller, receiver: Receiver
) -> None:
    channel = webhook_channel(client, admin, receiver.url)
    r = client.post(channels_path(f"/{channel['id']}/test"), headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True
    assert receiver.received[0].json()["test"] is True


def test_the_test_endpoint_reports_a_receiver_that_is_down(
    client: TestClient, admin: Caller
) -> None:
    channel = webhook_channel(client, admin, f"http://127.0.0.1:{free_port()}/hook")
    r = client.post(channels_path(f"/{channel['id']}/test"), headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is False
    assert "Connection refused" in r.json()["error"]


def test_the_network_policy_applies_to_channels(
    settings: Any, client: TestClient, admin: Caller
) -> None:
    channel = webhook_channel(client, admin, "http://169.254.169.254/latest")
    r = client.post(channels_path(f"/{channel['id']}/test"), headers=admin.headers)
    assert r.json()["ok"] is False
    assert "denied by DLV_CHECK_DENY" in r.json()["error"]


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"kind": "webhook", "url": "ftp://x"}, "body.config.webhook.url"),
        ({"kind": "webhook", "url": "https://user:pw@x.test/h"}, "body.config.webhook.url"),
        ({"kind": "slack"}, "body.config.url"),
        ({"kind": "slack", "url": "not a url"}, "body.config.slack.url"),
        (
            {"kind": "email", "host": "smtp", "from_address": "x", "to": ["a@b"]},
            "body.config.email.from_address",
        ),
        (
            {"kind": "email", "host": "smtp", "from_address": "a@b", "to": []},
            "body.config.email.to",
        ),
        ({"kind": "pager"}, "body.config"),
    ],
)
def test_bad_channel_configs_are_422_naming_the_field(
    client: TestClient, admin: Caller, config: dict[str, Any], field: str
) -> None:
    r = client.post(channels_path(), json={"name": "x", "config": config}, headers=admin.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert "pw@" not in r.text


def test_a_duplicate_channel_name_is_409(
    client: TestClient, admin: Caller, receiver: Receiver
) -> None:
    webhook_channel(client, admin, receiver.url)
    r = client.post(
        channels_path(),
        json={"name": "ops-webhook", "config": {"kind": "webhook", "url": receiver.url}},
        headers=admin.headers,
    )
    assert r.status_code == 409


def test_a_rule_naming_a_missing_channel_is_422(client: TestClient, admin: Caller) -> None:
    r = client.post(
        "/api/v1/alert-rules",
        json={
            "name": "r",
            "events": ["error"],
            "channel_ids": ["00000000-0000-4000-8000-000000000009"],
        },
        headers=admin.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.channel_ids"


def test_rules_can_be_changed_and_deleted_with_their_channel(
    client: TestClient, admin: Caller, receiver: Receiver, db: Session
) -> None:
    a = webhook_channel(client, admin, receiver.url, name="a")
    b = webhook_channel(client, admin, receiver.url, name="b")
    created = rule(client, admin, [a["id"], b["id"]], tag="finance")
    path = f"/api/v1/alert-rules/{created['id']}"
    r = client.patch(path, json={"tag": None, "events": ["late"]}, headers=admin.headers)
    assert (r.json()["tag"], r.json()["events"]) == (None, ["late"])
    assert client.delete(channels_path(f"/{a['id']}"), headers=admin.headers).status_code == 204
    assert client.get(path, headers=admin.headers).json()["channel_ids"] == [b["id"]]
    assert client.delete(path, headers=admin.headers).status_code == 204
    assert client.get(path, headers=admin.headers).status_code == 404
    assert db.scalar(select(AlertChannel.name)) == "b"


def test_viewers_cannot_read_channels(client: TestClient, viewer: Caller) -> None:
    assert client.get(channels_path(), headers=viewer.headers).status_code == 403


def test_rotating_the_key_reseals_channel_secrets(
    client: TestClient, admin: Caller, receiver: Receiver, db: Session
) -> None:
    from dlv.alerts import service  # noqa: PLC0415
    from dlv.crypto import SecretBox  # noqa: PLC0415
    from tests.conftest import SECRET_KEY  # noqa: PLC0415

    create_all_kinds(client, admin, receiver)
    new = SecretBox("another-secret-key-0123456789-abcdefghijklmn")
    assert service.reseal_secrets(db, SecretBox(SECRET_KEY), new) == 3
    db.commit()
    opened = [
        new.open(c.secrets) for c in db.scalars(select(AlertChannel).order_by(AlertChannel.name))
    ]
    assert opened == [
        {"password": SMTP_PASSWORD},  # mail
        {"secret": SIGNING_SECRET},  # ops-webhook
        {"url": f"{receiver.url}/{SLACK_URL_SECRET}"},  # slack
    ]
