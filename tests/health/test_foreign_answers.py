"""A check reports in DLV's own words: nothing a remote server sends comes back through DLV.

Local servers answer what a foreign or hostile server might (garbage bytes, odd JSON, error
pages, a PostgreSQL error with text of its own); the marker they send must never appear in
the result.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.health.fakes import FakeApi, airflow_health, as_json

MARKER = "Lk7-REMOTE-MARKER"


def check(client: TestClient, admin: Caller, kind: str, connection: dict[str, Any]) -> Any:
    r = client.post(
        "/api/v1/connections/test",
        json={"kind": kind, "connection": connection},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    return r.json()


def spark_version(api: FakeApi) -> None:
    api.get("/api/v1/version", lambda h, b: as_json(200, {"spark": MARKER}))


def spark_error_page(api: FakeApi) -> None:
    api.get("/api/v1/version", lambda h, b: (500, "text/plain", MARKER.encode()))


def spark_redirect(api: FakeApi) -> None:
    api.get("/api/v1/version", lambda h, b: (302, "text/plain", b""))
    api.headers[("GET", "/api/v1/version")] = {"Location": f"http://{MARKER}.example/"}


def spark_master(api: FakeApi) -> None:
    api.get("/api/v1/version", lambda h, b: (404, "text/html", b"<html></html>"))
    odd = {"status": MARKER, "aliveworkers": MARKER, "activeapps": [], "completedapps": []}
    api.get("/json/", lambda h, b: as_json(200, odd))


def spark_not_json(api: FakeApi) -> None:
    api.get("/api/v1/version", lambda h, b: (200, f"x/{MARKER}", MARKER.encode()))


def airflow_statuses(api: FakeApi) -> None:
    health = airflow_health()
    health["scheduler"] = {"status": MARKER, "latest_scheduler_heartbeat": MARKER}
    health["triggerer"] = {"status": MARKER}
    api.get("/api/v2/monitor/health", lambda h, b: as_json(200, health))


def airflow_version(api: FakeApi) -> None:
    api.get("/api/v2/monitor/health", lambda h, b: as_json(200, airflow_health()))
    api.get("/api/v2/version", lambda h, b: as_json(200, {"version": MARKER}))


def airflow_token(api: FakeApi) -> None:
    airflow_version(api)
    api.post("/auth/token", lambda h, b: as_json(201, {"detail": MARKER}))


AIRFLOW = {"api_version": 3, "auth": {"type": "basic", "username": "u", "password": "p"}}


@pytest.mark.parametrize(
    ("kind", "answer", "message"),
    [
        pytest.param(
            "spark",
            spark_version,
            "/api/v1/version did not answer Spark's {'spark': version} object",
            id="spark-version-field",
        ),
        pytest.param(
            "spark",
            spark_error_page,
            "HTTP 500 at /api/v1/version (Internal Server Error)",
            id="error-page",
        ),
        pytest.param("spark", spark_redirect, None, id="redirect-location"),
        pytest.param("spark", spark_master, None, id="spark-master-fields"),
        pytest.param(
            "spark",
            spark_not_json,
            "/api/v1/version did not answer JSON (it answered something else)",
            id="not-json",
        ),
        pytest.param("airflow", airflow_statuses, None, id="airflow-health-fields"),
        pytest.param("airflow", airflow_version, None, id="airflow-version-field"),
        pytest.param(
            "airflow",
            airflow_token,
            "/auth/token answered without an access_token",
            id="airflow-token-answer",
        ),
    ],
)
def test_an_http_answer_is_never_echoed(
    client: TestClient,
    admin: Caller,
    fake_api: FakeApi,
    kind: str,
    answer: Callable[[FakeApi], None],
    message: str | None,
) -> None:
    answer(fake_api)
    key = "base_url" if kind == "airflow" else "url"
    extra = AIRFLOW if kind == "airflow" else {}
    result = check(client, admin, kind, {key: fake_api.url, **extra})
    assert fake_api.seen, "the fake server was not asked"
    assert MARKER not in json.dumps(result)
    if message is not None:
        assert result["message"] == message


# -- PostgreSQL ----------------------------------------------------------------------------------

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


def error_response(sqlstate: str, text: str) -> bytes:
    fields = b"".join(
        code + value.encode() + b"\0"
        for code, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", text))
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


def garbage(conn: socket.socket) -> None:
    """Whatever is asked, answer bytes that are not PostgreSQL's protocol."""
    conn.recv(1024)
    conn.sendall(f"{MARKER} garbage\r\n".encode())


def postgres_error(sqlstate: str) -> Callable[[socket.socket], None]:
    def serve(conn: socket.socket) -> None:
        """Speak just enough protocol to refuse the login with an error of its own words."""
        while True:
            header = conn.recv(8, socket.MSG_WAITALL)
            if len(header) < 8:
                return
            length, code = struct.unpack("!ii", header)
            rest = length - 8
            if rest:
                conn.recv(rest, socket.MSG_WAITALL)
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                conn.sendall(b"N")  # no TLS, no GSSAPI: go on in plain text
                continue
            conn.sendall(error_response(sqlstate, f"{MARKER} says no"))
            return

    return serve


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """Start a local TCP server running ``serve(conn)`` for each connection; its port."""
    servers: list[tuple[socket.socket, threading.Thread]] = []
    stop = threading.Event()

    def start(serve: Callable[[socket.socket], None]) -> int:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(0.05)

        def loop() -> None:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                with conn:
                    conn.settimeout(5)
                    with contextlib.suppress(OSError):  # the client hung up first
                        serve(conn)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        servers.append((server, thread))
        return int(server.getsockname()[1])

    yield start
    stop.set()
    for server, thread in servers:
        thread.join(5)
        server.close()


def pg(port: int, sslmode: str) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "database": "x",
        "user": "u",
        "password": "pw-not-echoed-1",
        "sslmode": sslmode,
        "connect_timeout": 3,
    }


@pytest.mark.parametrize("sslmode", ["disable", "prefer", "require"])
def test_a_server_answering_garbage_is_not_a_postgres_server_and_its_bytes_are_not_echoed(
    client: TestClient,
    admin: Caller,
    raw_server: Callable[[Callable[[socket.socket], None]], int],
    sslmode: str,
) -> None:
    port = raw_server(garbage)
    result = check(client, admin, "postgres", pg(port, sslmode))
    assert result["status"] == "error"
    assert result["steps"][-1]["name"] == "login"
    assert result["message"] == (
        f"Not a PostgreSQL server: 127.0.0.1:{port} does not answer the PostgreSQL protocol"
    )


def test_a_postgres_error_text_is_not_echoed(
    client: TestClient,
    admin: Caller,
    raw_server: Callable[[Callable[[socket.socket], None]], int],
) -> None:
    port = raw_server(postgres_error("XX000"))
    result = check(client, admin, "postgres", pg(port, "prefer"))
    assert result["status"] == "error"
    assert result["message"] == (
        f"Login to 127.0.0.1:{port} failed: the server refused it (DLV does not repeat a "
        "server's own words; its log says why)"
    )
    assert MARKER not in json.dumps(result)
