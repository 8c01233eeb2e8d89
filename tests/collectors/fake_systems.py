"""Small local HTTP servers that answer as Airflow's and Spark's REST APIs, from the answers
a real Airflow 3.3.2 and a real Spark 4 gave (fixtures/airflow3.json, fixtures/spark4.json).

The fake Airflow pages its listings by ``limit``/``offset`` as Airflow does, checks the auth
each API version takes (Airflow 3: a JWT from ``/auth/token``; Airflow 2: basic auth) and can
be told to stall. The real servers are exercised in test_real_systems.py.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"
USERNAME, PASSWORD = "dlv", "fake-airflow-secret-pw"
TOKEN = "eyJhbGciOiJIUzUxMiJ9.fake-collector-jwt"

Answer = tuple[int, Any]


def recorded(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return value


@dataclass
class Fake:
    """A server whose ``answer`` decides every response."""

    url: str = ""
    seen: list[str] = field(default_factory=list)
    delay: float = 0.0

    def answer(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        raise NotImplementedError

    @contextlib.contextmanager
    def serve(self) -> Iterator[Fake]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                fake.seen.append(f"{method} {self.path}")
                if fake.delay:
                    time.sleep(fake.delay)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = fake.answer(method, parts.path, query, headers, body)
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                kind = "text/html" if isinstance(answer, bytes) else "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(payload)

            def do_GET(self) -> None:
                self._reply("GET")

            def do_POST(self) -> None:
                self._reply("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


def _page(items: list[Any], key: str, query: dict[str, str], default: int) -> Answer:
    limit, offset = int(query.get("limit", default)), int(query.get("offset", 0))
    return 200, {key: items[offset : offset + limit], "total_entries": len(items)}


@dataclass
class FakeAirflow(Fake):
    """Airflow's REST API (v2 for Airflow 3, v1 for Airflow 2) over the recorded answers."""

    version: int = 3
    model: dict[str, Any] = field(default_factory=lambda: recorded("airflow3.json"))

    @property
    def api(self) -> str:
        return "/api/v2" if self.version == 3 else "/api/v1"

    def add_dags(self, count: int) -> None:
        """``count`` more DAGs like the paused one, each with one task and no run."""
        for i in range(count):
            dag = copy.deepcopy(self.model["dags"][1])
            dag_id = f"bulk_{i:04d}"
            dag["dag_id"] = dag_id
            self.model["dags"].append(dag)
            self.model["tasks"][dag_id] = copy.deepcopy(self.model["tasks"]["idle"])
            self.model["dag_runs"][dag_id] = []

    def remove_dag(self, dag_id: str) -> None:
        self.model["dags"] = [d for d in self.model["dags"] if d["dag_id"] != dag_id]

    def set_state(self, task_id: str, state: str) -> None:
        for ti in self.model["task_instances"]["flaky"]:
            if ti["task_id"] == task_id:
                ti["state"] = state

    def _authorized(self, headers: dict[str, str]) -> bool:
        if self.version == 3:
            return headers.get("authorization") == f"Bearer {TOKEN}"
        basic = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        return headers.get("authorization") == f"Basic {basic}"

    def answer(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        if method == "POST" and path == "/auth/token" and self.version == 3:
            sent = json.loads(body or b"{}")
            if sent == {"username": USERNAME, "password": PASSWORD}:
                return 201, {"access_token": TOKEN}
            return 401, self.model["token_rejected"]
        if not path.startswith(self.api + "/"):
            return 404, {"detail": "Not Found"}
        if not self._authorized(headers):
            return 401, {"detail": "Not authenticated"}
        parts = [unquote(p) for p in path[len(self.api) + 1 :].split("/")]
        dags = sorted(self.model["dags"], key=lambda d: d["dag_id"])
        if parts == ["dags"]:
            return _page(dags, "dags", query, 100)
        known = {d["dag_id"] for d in dags}
        if len(parts) < 3 or parts[0] != "dags" or parts[1] not in known:
            return 404, {"detail": "Not Found"}
        dag_id = parts[1]
        if parts[2:] == ["tasks"]:
            tasks = self.model["tasks"][dag_id]
            return 200, {"tasks": tasks, "total_entries": len(tasks)}
        if parts[2:] == ["dagRuns"]:
            return _page(self.model["dag_runs"][dag_id], "dag_runs", query, 50)
        if len(parts) == 5 and parts[2] == "dagRuns" and parts[4] == "taskInstances":
            instances = self.model["task_instances"].get(dag_id, [])
            return _page(instances, "task_instances", query, 50)
        return 404, {"detail": "Not Found"}


@dataclass
class FakeSpark(Fake):
    """Spark's REST API (an application UI or history server) or a standalone master."""

    master: bool = False
    model: dict[str, Any] = field(default_factory=lambda: recorded("spark4.json"))

    def answer(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        if self.master:
            if path == "/json/":
                return 200, self.model["master"]
            return 200, b"<!DOCTYPE html><html>Spark Master</html>"
        if path == "/api/v1/applications":
            apps = self.model["applications"]
            return 200, apps[: int(query.get("limit", len(apps)))]
        if path.startswith("/api/v1/applications/") and path.endswith("/jobs"):
            app_id = unquote(path.split("/")[4])
            jobs = self.model["jobs"].get(app_id, [])
            status = query.get("status", "").upper()
            return 200, [j for j in jobs if not status or j["status"] == status]
        return 404, {"detail": "Not Found"}
