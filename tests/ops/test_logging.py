"""Structured logs: one line per request with its id and caller, and never a secret."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.app import create_app
from dlv.auth.models import TokenScope
from dlv.config import Settings
from dlv.ops.logging import (
    REQUEST_ID_HEADER,
    DlvHandler,
    JsonFormatter,
    SecretFilter,
    configure_logging,
    scrub,
)
from tests.conftest import PASSWORD, SECRET_KEY, Caller, make_token
from tests.ingestion.factories import orders_task, run_id
from tests.nodes.factories import SECRETS, airflow_node, create, postgres_node, spark_node
from tests.ops.conftest import ops_settings

WRONG_PASSWORD = "Wrong-Passw0rd-Tried-Once"
DB_PASSWORD = "db-Pa55word-in-the-url"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # DEBUG: the quietest loggers must not leak either.
    return ops_settings(database_url, tmp_path / "home", log_format="json", log_level="DEBUG")


Lines = Callable[[], list[dict[str, Any]]]


def capture() -> io.StringIO:
    """Point the handler configure_logging installed at a buffer."""
    stream = io.StringIO()
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, DlvHandler)]
    assert len(handlers) == 1
    handlers[0].setStream(stream)
    return stream


@pytest.fixture
def lines(app: FastAPI) -> Lines:
    stream = capture()

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    return read


def requests_logged(entries: list[dict[str, Any]], route: str) -> list[dict[str, Any]]:
    return [e for e in entries if e["logger"] == "dlv.request" and e.get("route") == route]


def test_no_secret_in_any_log_line_of_real_traffic(
    client: TestClient, admin: Caller, lines: Lines
) -> None:
    login = {"username": admin.username, "password": PASSWORD}
    r = client.post("/api/v1/auth/token", data=login)
    assert r.status_code == 200
    jwt = r.json()["access_token"]
    bad = client.post("/api/v1/auth/token", data={**login, "password": WRONG_PASSWORD})
    assert bad.status_code == 401
    user = {"Authorization": f"Bearer {jwt}"}
    r = client.post("/api/v1/tokens", json={"name": "ci", "scope": "admin"}, headers=user)
    assert r.status_code == 201
    api_token = r.json()["token"]
    machine = {"Authorization": f"Bearer {api_token}"}
    for body in (postgres_node(), airflow_node(), spark_node()):
        create(client, Caller(admin.id, admin.username, machine), body)
    query = {"token": api_token, "password": PASSWORD}
    assert client.get("/api/v1/nodes", params=query, headers=machine).status_code == 200

    entries = lines()
    text = "\n".join(json.dumps(e) for e in entries)
    assert requests_logged(entries, "/api/v1/auth/token")  # the capture did see the traffic
    assert len(requests_logged(entries, "/api/v1/nodes")) == 4
    secrets = [PASSWORD, WRONG_PASSWORD, jwt, api_token, api_token[4:], SECRET_KEY, *SECRETS]
    assert [s for s in secrets if s in text] == []


def test_careless_log_calls_are_scrubbed(app: FastAPI, lines: Lines) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl"
    api_token = "dlv_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v"
    log = logging.getLogger("dlv.somewhere")
    log.info("connecting to %s", f"postgresql+psycopg://dlv:{DB_PASSWORD}@db:5432/dlv")
    log.info("login form %s", {"username": "root", "password": PASSWORD})
    log.info("token created: %s", api_token)
    log.warning("headers: Authorization: Bearer %s", jwt)
    log.info("node %s", {"connection": {"host": "h", "password": SECRETS[0]}})
    log.info("retrying with password=%s&token=%s", PASSWORD, SECRETS[2])
    log.info("issued", extra={"token": api_token, "detail": f"secret: {SECRETS[1]}"})
    log.info("config dump: DLV_SECRET_KEY=%s", SECRET_KEY)
    try:
        raise ValueError(f"could not connect to postgresql://u:{DB_PASSWORD}@h/db")
    except ValueError:
        log.exception("connection failed")

    entries = lines()
    assert len(entries) == 9
    text = "\n".join(json.dumps(e) for e in entries)
    secrets = [jwt, api_token, DB_PASSWORD, PASSWORD, SECRET_KEY, *SECRETS]
    assert [s for s in secrets if s in text] == []
    assert entries[0]["message"] == "connecting to postgresql+psycopg://dlv:***@db:5432/dlv"
    assert entries[6]["token"] == "***"
    assert "ValueError" in entries[8]["exc"]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("redis://:pw@redis:6379/0", "redis://:***@redis:6379/0"),
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer ***"),
        ("Basic dXNlcjpwYXNz", "Basic ***"),
        ("dlv_" + "x" * 43, "dlv_***"),
        ("?password=hunter2&limit=5", "?password=***&limit=5"),
        ("access_token=abc; next", "access_token=***; next"),
        ('{"password": "two words"}', '{"password": "***"}'),
        ("{'client_secret': 'x y'}", "{'client_secret': '***'}"),
        ("api_key: abc123", "api_key: ***"),
        # Upper case and mixed case too (scrub looks for a hint before substituting).
        ("PASSWORD=hunter2", "PASSWORD=***"),
        ("BEARER abc", "BEARER ***"),
        ("Private-Key: abc", "Private-Key: ***"),
        ("jwt eyJhbGci.eyJzdWIi.c2ln", "jwt ***"),
        ("MYSQL://root:pw@h/db", "MYSQL://root:***@h/db"),
        # A password holding "/", and Oracle's user/password@ (found missed in events).
        ("postgresql://u:pa/ss@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("jdbc:oracle:thin:scott/tiger@//h:1521/svc", "jdbc:oracle:thin:scott/***@//h:1521/svc"),
    ],
)
def test_scrub_masks(raw: str, clean: str) -> None:
    assert scrub(raw) == clean


@pytest.mark.parametrize(
    "harmless",
    [
        "Wrong username or password",
        "token prefix dlv_AbC123",  # the 10-character prefix DLV shows on purpose
        "GET /api/v1/tokens/6f1c0d8e-6f1c-4d8e-8f1c-0d8e6f1c0d8e 204",
        "https://airflow.internal/api/v1/dags",
        "tag key=team value=sales",  # a field named key holds a name, not a secret
    ],
)
def test_scrub_leaves_ordinary_text(harmless: str) -> None:
    assert scrub(harmless) == harmless


def test_configured_secrets_are_masked_by_value(database_url: str, tmp_path: Path) -> None:
    record = logging.LogRecord("x", logging.INFO, "", 0, "key is %s", (SECRET_KEY,), None)
    SecretFilter([SECRET_KEY]).filter(record)
    assert JsonFormatter().format(record).count("***") == 1


def test_one_json_line_per_request_with_its_fields(
    client: TestClient, admin: Caller, lines: Lines
) -> None:
    r = client.get("/api/v1/nodes?limit=5", headers=admin.headers)
    (entry,) = requests_logged(lines(), "/api/v1/nodes")
    assert entry["level"] == "INFO"
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/v1/nodes"  # never the query string
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], int | float)
    assert entry["user_id"] == str(admin.id)
    assert entry["auth"] == "user"
    assert entry["request_id"] == r.headers[REQUEST_ID_HEADER]
    assert entry["ts"].endswith("Z")


def test_a_request_id_is_generated_when_absent(client: TestClient, lines: Lines) -> None:
    first = client.get("/healthz").headers[REQUEST_ID_HEADER]
    second = client.get("/healthz").headers[REQUEST_ID_HEADER]
    assert len(first) == 32
    assert first != second


def test_the_callers_request_id_is_echoed_and_logged(client: TestClient, lines: Lines) -> None:
    r = client.get("/api/v1/nodes", headers={REQUEST_ID_HEADER: "lb-7f3a.42"})
    assert r.headers[REQUEST_ID_HEADER] == "lb-7f3a.42"
    (entry,) = requests_logged(lines(), "/api/v1/nodes")
    assert entry["request_id"] == "lb-7f3a.42"
    assert entry["status"] == 401
    assert entry["user_id"] is None


@pytest.mark.parametrize("forged", ["two words", "x" * 129, "a\tb", "<script>"])
def test_an_unsafe_request_id_is_replaced(client: TestClient, forged: str) -> None:
    answered = client.get("/healthz", headers={REQUEST_ID_HEADER: forged}).headers
    assert answered[REQUEST_ID_HEADER] != forged
    assert len(answered[REQUEST_ID_HEADER]) == 32


def test_records_logged_during_a_request_carry_its_id(app: FastAPI, lines: Lines) -> None:
    @app.get("/work")
    def work() -> dict[str, str]:
        logging.getLogger("dlv.work").warning("working")
        return {}

    with TestClient(app) as client:
        request_id = client.get("/work").headers[REQUEST_ID_HEADER]
    (entry,) = [e for e in lines() if e["logger"] == "dlv.work"]
    assert entry["request_id"] == request_id


def test_a_server_error_is_logged_and_answered_with_the_request_id(
    app: FastAPI, lines: Lines
) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    (entry,) = requests_logged(lines(), "/boom")
    assert entry["level"] == "ERROR"
    assert entry["status"] == 500
    assert entry["request_id"] == r.headers[REQUEST_ID_HEADER]


def test_probes_log_at_debug(client: TestClient, lines: Lines) -> None:
    client.get("/healthz")
    (entry,) = [e for e in lines() if e["logger"] == "dlv.request"]
    assert entry["level"] == "DEBUG"


def test_accepted_openlineage_events_log_at_debug_refused_ones_at_info(
    client: TestClient, lines: Lines, db: Session
) -> None:
    headers = make_token(db, "airflow", TokenScope.ingest)
    good = orders_task("START", run=run_id(), dag_run=run_id())
    assert client.post("/api/v1/lineage", json=good, headers=headers).status_code == 201
    assert client.post("/api/v1/lineage", json={"x": 1}, headers=headers).status_code == 400
    entries = requests_logged(lines(), "/api/v1/lineage")
    assert [(e["status"], e["level"]) for e in entries] == [(201, "DEBUG"), (400, "INFO")]


def test_human_format_is_one_readable_line(
    database_url: str, tmp_path: Path, admin: Caller
) -> None:
    configure_logging(ops_settings(database_url, tmp_path, log_format="human"))
    stream = capture()
    logging.getLogger("dlv.request").info(
        "GET /api/v1/nodes 200 1.5ms",
        extra={"method": "GET", "path": "/api/v1/nodes", "route": "/api/v1/nodes", "status": 200},
    )
    (line,) = stream.getvalue().splitlines()
    assert line.endswith(" INFO    dlv.request GET /api/v1/nodes 200 1.5ms route=/api/v1/nodes")


def test_configuring_twice_keeps_one_handler(database_url: str, tmp_path: Path) -> None:
    for _ in range(2):
        configure_logging(ops_settings(database_url, tmp_path, log_format="json"))
    assert len([h for h in logging.getLogger().handlers if isinstance(h, DlvHandler)]) == 1


def test_logs_go_to_the_current_stderr(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_logging(ops_settings(database_url, tmp_path, log_format="json"))
    swapped = io.StringIO()  # as a test runner or a daemon does after start-up
    monkeypatch.setattr(sys, "stderr", swapped)
    logging.getLogger("dlv.somewhere").warning("written after stderr was swapped")
    (line,) = swapped.getvalue().splitlines()
    assert json.loads(line)["message"] == "written after stderr was swapped"


# ------------------------------------------------------------------ OpenLineage summary

SUMMARY = re.compile(
    r"openlineage: 3 events in the last \d+ s from 1 namespace \(airflow-prod\), "
    r"1 refused, 0 mapping failures"
)


def summaries(stream: io.StringIO) -> list[str]:
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [
        e["message"]
        for e in entries
        if e["logger"] == "dlv.ingestion" and e["message"].startswith("openlineage:")
    ]


def post_three_events_and_a_bad_one(client: TestClient, db: Session) -> None:
    headers = make_token(db, "airflow", TokenScope.ingest)
    good = [orders_task("COMPLETE", run=run_id(), dag_run=run_id()) for _ in range(3)]
    r = client.post("/api/v1/lineage/batch", json=[*good, {"x": 1}], headers=headers)
    assert r.json()["accepted"] == 3


def wait_for_summary(stream: io.StringIO) -> list[str]:
    deadline = time.monotonic() + 30
    while not summaries(stream) and time.monotonic() < deadline:
        time.sleep(0.02)
    return summaries(stream)


def summary_app(database_url: str, home: Path, seconds: float) -> FastAPI:
    return create_app(
        ops_settings(database_url, home, log_format="json", ingest_summary_seconds=seconds)
    )


def test_openlineage_events_are_summarised_at_info_every_interval(
    database_url: str, tmp_path: Path, db: Session
) -> None:
    with TestClient(summary_app(database_url, tmp_path, 0.05)) as client:
        stream = capture()
        post_three_events_and_a_bad_one(client, db)
        (line,) = wait_for_summary(stream)
    assert SUMMARY.fullmatch(line), line
    entry = next(json.loads(x) for x in stream.getvalue().splitlines() if "openlineage:" in x)
    assert entry["level"] == "INFO"


def test_no_summary_is_logged_for_an_interval_without_events(
    database_url: str, tmp_path: Path, db: Session
) -> None:
    with TestClient(summary_app(database_url, tmp_path, 0.05)) as client:
        stream = capture()
        post_three_events_and_a_bad_one(client, db)
        wait_for_summary(stream)  # the loop runs: the intervals after it had nothing
        time.sleep(0.3)
    assert len(summaries(stream)) == 1


def test_the_last_interval_is_summarised_when_the_server_stops(
    database_url: str, tmp_path: Path, db: Session
) -> None:
    with TestClient(summary_app(database_url, tmp_path, 3600)) as client:
        stream = capture()
        post_three_events_and_a_bad_one(client, db)
    (line,) = summaries(stream)
    assert SUMMARY.fullmatch(line), line


def test_a_summary_interval_of_zero_logs_no_summary(
    database_url: str, tmp_path: Path, db: Session
) -> None:
    with TestClient(summary_app(database_url, tmp_path, 0)) as client:
        stream = capture()
        post_three_events_and_a_bad_one(client, db)
    assert summaries(stream) == []
