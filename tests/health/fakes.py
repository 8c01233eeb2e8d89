"""A small local HTTP server that answers as Airflow's and Spark's REST APIs document.

The bodies follow the projects' documentation: Airflow's HealthInfo (metadatabase, scheduler,
triggerer, dag_processor) at ``/api/v1/health`` (Airflow 2) and ``/api/v2/monitor/health``
(Airflow 3), VersionInfo at ``/version``, Airflow 3's ``POST /auth/token``; Spark's
``/api/v1/version`` (``{"spark": ...}``), ``/api/v1/applications`` (applications with attempts),
and a standalone master's ``/json/``. The real servers are exercised in test_real_servers.py.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, str, bytes]
Handler = Callable[[dict[str, str], bytes], Answer]

HEARTBEAT = "2026-11-26T12:00:00.000000+00:00"
AIRFLOW_TOKEN = "eyJhbGciOiJIUzUxMiJ9.fake-airflow-jwt"


def as_json(status: int, body: Any, content_type: str = "application/json") -> Answer:
    return status, content_type, json.dumps(body).encode()


def airflow_health(scheduler: str = "healthy") -> dict[str, Any]:
    return {
        "metadatabase": {"status": "healthy"},
        "scheduler": {
            "status": scheduler,
            "latest_scheduler_heartbeat": HEARTBEAT if scheduler == "healthy" else None,
        },
        "triggerer": {"status": None, "latest_triggerer_heartbeat": None},
        "dag_processor": {"status": None, "latest_dag_processor_heartbeat": None},
    }


@dataclass
class FakeApi:
    url: str = ""
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    # Extra response headers per route (a redirect's Location).
    headers: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    @classmethod
    @contextlib.contextmanager
    def serve(cls) -> Iterator[FakeApi]:
        api = cls()

        class RequestHandler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                api.seen.append((method, self.path, headers))
                handler = api.routes.get((method, self.path))
                status, content_type, payload = (
                    handler(headers, body) if handler else as_json(404, {"detail": "Not Found"})
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in api.headers.get((method, self.path), {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        api.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield api
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)

    def get(self, path: str, handler: Handler) -> None:
        self.routes[("GET", path)] = handler

    def post(self, path: str, handler: Handler) -> None:
        self.routes[("POST", path)] = handler

    # --- Airflow -------------------------------------------------------------------------

    def airflow2(self, username: str, password: str, scheduler: str = "healthy") -> None:
        """Airflow 2: public health and version, basic auth on the DAG list."""
        expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.get("/api/v1/health", lambda h, b: as_json(200, airflow_health(scheduler)))
        self.get(
            "/api/v1/version",
            lambda h, b: as_json(200, {"version": "2.10.5", "git_version": None}),
        )

        def dags(headers: dict[str, str], _: bytes) -> Answer:
            if headers.get("authorization") != expected:
                return as_json(
                    401,
                    {"detail": None, "status": 401, "title": "Unauthorized", "type": "about:blank"},
                    "application/problem+json",
                )
            return as_json(200, {"dags": [], "total_entries": 0})

        self.get("/api/v1/dags?limit=1", dags)

    def airflow3(self, username: str, password: str, scheduler: str = "healthy") -> None:
        """Airflow 3: public health and version, a JWT from /auth/token for the DAG list."""
        self.get("/api/v2/monitor/health", lambda h, b: as_json(200, airflow_health(scheduler)))
        self.get(
            "/api/v2/version",
            lambda h, b: as_json(200, {"version": "3.1.3", "git_version": ".release:abc"}),
        )

        def token(_: dict[str, str], body: bytes) -> Answer:
            sent = json.loads(body or b"{}")
            if sent.get("username") == username and sent.get("password") == password:
                return as_json(201, {"access_token": AIRFLOW_TOKEN})
            return as_json(401, {"detail": "Invalid credentials"})

        def dags(headers: dict[str, str], _: bytes) -> Answer:
            auth = headers.get("authorization")
            if auth is None:
                return as_json(401, {"detail": "Not authenticated"})
            if auth != f"Bearer {AIRFLOW_TOKEN}":
                return as_json(403, {"detail": "Invalid JWT token"})
            return as_json(200, {"dags": [], "total_entries": 0})

        self.post("/auth/token", token)
        self.get("/api/v2/dags?limit=1", dags)

    # --- Spark ---------------------------------------------------------------------------

    def spark_history(self) -> None:
        """A history server: two applications, one still running."""

        def app(app_id: str, completed: bool) -> dict[str, Any]:
            return {
                "id": app_id,
                "name": app_id,
                "attempts": [
                    {
                        "startTime": "2026-11-26T10:00:00.000GMT",
                        "endTime": "2026-11-26T10:05:00.000GMT",
                        "lastUpdated": "2026-11-26T10:05:00.000GMT",
                        "duration": 300000,
                        "sparkUser": "etl",
                        "completed": completed,
                        "appSparkVersion": "3.5.1",
                    }
                ],
            }

        self.get("/api/v1/version", lambda h, b: as_json(200, {"spark": "3.5.1"}))
        self.get(
            "/api/v1/applications",
            lambda h, b: as_json(200, [app("app-1", True), app("app-2", False)]),
        )

    def spark_master(self, status: str = "ALIVE") -> None:
        """A standalone master: HTML where the REST API would be, its state at /json/."""
        html = (200, "text/html;charset=utf-8", b"<!DOCTYPE html><html>Spark Master</html>")
        self.get("/api/v1/version", lambda h, b: html)
        body = {
            "url": "spark://127.0.0.1:7077",
            "workers": [],
            "aliveworkers": 2,
            "cores": 8,
            "coresused": 2,
            "memory": 8192,
            "memoryused": 1024,
            "activeapps": [{"id": "app-3"}],
            "completedapps": [{"id": "app-1"}, {"id": "app-2"}],
            "activedrivers": [],
            "completeddrivers": [],
            "status": status,
        }
        self.get("/json/", lambda h, b: as_json(200, body, "text/json;charset=utf-8"))
