"""Real receivers (HTTP in a thread, SMTP by aiosmtpd), a small platform, and helpers that
change a node's status the way a check does and hand the change to the alert engine."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from dlv.alerts import service as alerts
from dlv.alerts.worker import DeliveryWorker
from dlv.config import Settings
from dlv.db import make_engine, make_sessionmaker, utcnow
from dlv.nodes.models import Node
from tests.conftest import SECRET_KEY, Caller
from tests.nodes.factories import create, dataset, postgres_node
from tests.servers import free_port

PUBLIC_URL = "https://dlv.example.test"
SIGNING_SECRET = "whsec-Sign1ng-Secret-Value-77"
SMTP_PASSWORD = "smtp-Pa55word-Value-78"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server in a thread: records each POST, answers the next queued code."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                code = receiver.codes.pop(0) if receiver.codes else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A ``Receiver`` listening on a free port of 127.0.0.1 until the block ends."""
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found


class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Any) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        secret_key=SECRET_KEY,
        public_url=PUBLIC_URL,
        alerts="off",
        alerts_send_timeout_seconds=3,
        alerts_max_attempts=3,
        alerts_backoff_seconds=60,
        _env_file=None,
    )


@pytest.fixture
def worker(app: FastAPI, client: TestClient) -> DeliveryWorker:
    found: DeliveryWorker = app.state.alert_worker
    return found


def webhook_channel(
    client: TestClient, admin: Caller, url: str, name: str = "ops-webhook", **extra: Any
) -> dict[str, Any]:
    r = client.post(
        "/api/v1/alert-channels",
        json={"name": name, "config": {"kind": "webhook", "url": url, "secret": SIGNING_SECRET}},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def rule(
    client: TestClient,
    admin: Caller,
    channel_ids: list[str],
    name: str = "everything",
    events: tuple[str, ...] = ("error", "late", "recovered"),
    **selector: Any,
) -> dict[str, Any]:
    r = client.post(
        "/api/v1/alert-rules",
        json={"name": name, "events": list(events), "channel_ids": channel_ids, **selector},
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def webhook_rule(
    client: TestClient, admin: Caller, receiver: Receiver, **rule_args: Any
) -> dict[str, Any]:
    """A webhook channel to ``receiver`` and a rule sending to it (every event by default)."""
    return rule(client, admin, [webhook_channel(client, admin, receiver.url)["id"]], **rule_args)


class Platform:
    """shop (postgres) holds raw.orders; raw.orders -> job load -> stg.orders -> job build ->
    ``width`` marts (owners team-0..team-2, tagged finance on mart-0); another island."""

    def __init__(self, client: TestClient, admin: Caller, app: FastAPI, width: int = 12) -> None:
        self.client, self.admin, self.app = client, admin, app
        self.shop = self.node(postgres_node(owner="dba"))
        self.raw = self.node(dataset("raw.orders", parent_id=self.shop, owner="ingest"))
        self.load = self.node(_job("load", owner="etl"))
        self.stg = self.node(dataset("stg.orders", owner="etl"))
        self.build = self.node(_job("build", owner="analytics"))
        self.marts = [
            self.node(
                dataset(
                    f"mart.m{i}",
                    namespace="warehouse",
                    owners=[f"team-{i % 3}"],
                    tags=["finance"] if i == 0 else [],
                )
            )
            for i in range(width)
        ]
        self.island = self.node(dataset("island", namespace="elsewhere", owner="nobody"))
        for s, t in [(self.raw, self.load), (self.load, self.stg), (self.stg, self.build)]:
            self.edge(s, t)
        for mart in self.marts:
            self.edge(self.build, mart)

    def node(self, payload: dict[str, Any]) -> str:
        return str(create(self.client, self.admin, payload)["id"])

    def edge(self, s: str, t: str) -> None:
        r = self.client.post(
            "/api/v1/edges", json={"source_id": s, "target_id": t}, headers=self.admin.headers
        )
        assert r.status_code == 201, r.text


def _job(name: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "job", "namespace": "prod_airflow", "name": name, **extra}


@pytest.fixture
def platform(client: TestClient, admin: Caller, app: FastAPI) -> Platform:
    return Platform(client, admin, app)


def change_status(
    app: FastAPI, db: Session, changes: list[tuple[str, str, str | None]]
) -> list[Any]:
    """Set each node's status (as a check or ingestion does) and give the changes to the alert
    engine, in one transaction; the incidents it touched."""
    now = utcnow()
    found: list[alerts.StatusChange] = []
    for node_id, new, message in changes:
        node = db.query(Node).filter(Node.id == uuid.UUID(node_id)).one()
        old = node.status
        db.execute(
            update(Node)
            .where(Node.id == uuid.UUID(node_id))
            .values(status=new, status_message=message, status_changed_at=now)
        )
        found.append(alerts.StatusChange(uuid.UUID(node_id), old, new, message, now))
    touched = alerts.on_status_changes(
        db,
        found,
        now,
        live=app.state.lineage_index,
        public_url=app.state.settings.public_url,
    )
    db.commit()
    return touched


@pytest.fixture
def other_db(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()
