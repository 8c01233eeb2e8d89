"""Keep-alive connections are recycled: one response in ``DLV_KEEPALIVE_REQUESTS`` (on
average) closes its connection, so clients reconnect and the server's workers share them."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from dlv.app import create_app
from dlv.config import Settings
from tests.servers import dlv_server


def _closing(settings: Settings, requests: int, count: int) -> int:
    """How many of ``count`` answers asked to close their connection."""
    app = create_app(settings.model_copy(update={"keepalive_requests": requests}))
    with TestClient(app) as client:
        answers = [client.get("/healthz") for _ in range(count)]
    assert all(a.status_code == 200 for a in answers)
    return sum(a.headers.get("connection") == "close" for a in answers)


def test_every_answer_closes_at_one_request(settings: Settings) -> None:
    assert _closing(settings, 1, 50) == 50


def test_no_answer_closes_when_off(settings: Settings) -> None:
    assert _closing(settings, 0, 500) == 0


def test_one_answer_in_n_closes_on_average(settings: Settings) -> None:
    # Binomial(2000, 1/10): mean 200, standard deviation 13.4; the bounds are 7 deviations
    # away, so this fails by chance less than once in 10^11 runs.
    assert 100 < _closing(settings, 10, 2000) < 300


def _get(sock: socket.socket, host: str) -> bytes:
    """One request and its whole answer on ``sock`` (b"" if the server closed it)."""
    sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(65536)
        if not chunk:
            return answer
        answer += chunk
    head, body = answer.split(b"\r\n\r\n", 1)
    length = re.search(rb"(?i)content-length: *(\d+)", head)
    assert length is not None
    while len(body) < int(length.group(1)):
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _two_on_one_connection(url: str) -> tuple[bytes, bytes]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        first = _get(sock, f"{host}:{port}")
        try:
            second = _get(sock, f"{host}:{port}")
        except OSError:  # reset or broken pipe: closed too
            second = b""
    return first, second


def test_a_real_server_closes_the_connection(database_url: str, tmp_path: Path) -> None:
    with dlv_server(database_url, tmp_path / "home", {"DLV_KEEPALIVE_REQUESTS": "1"}) as url:
        first, second = _two_on_one_connection(url)
        # An HTTP client reconnects on its own: every request answered, each on a new one.
        with httpx.Client(base_url=url) as client:
            statuses = {client.get("/healthz").status_code for _ in range(20)}
    assert first.startswith(b"HTTP/1.1 200")
    assert b"connection: close" in first.lower()
    assert second == b""  # the server closed the connection after its answer
    assert statuses == {200}


def test_a_real_server_keeps_it_when_off(database_url: str, tmp_path: Path) -> None:
    with dlv_server(database_url, tmp_path / "home", {"DLV_KEEPALIVE_REQUESTS": "0"}) as url:
        first, second = _two_on_one_connection(url)
    assert first.startswith(b"HTTP/1.1 200")
    assert second.startswith(b"HTTP/1.1 200")
