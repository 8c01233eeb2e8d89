"""Real DLV servers in subprocesses that a test may also kill -9.

Like tests.servers.dlv_server, with the process exposed and extra environment (settings).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import SECRET_KEY
from tests.servers import STARTUP_SECONDS, free_port

APP = "dlv.app:create_app"


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, nothing is flushed."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def _start(database_url: str, home: Path, port: int, extra_env: dict[str, str]) -> Server:
    env = {
        **os.environ,
        "DLV_DATABASE_URL": database_url,
        "DLV_SECRET_KEY": SECRET_KEY,
        "DLV_HOME": str(home),
        **extra_env,
    }
    home.mkdir(parents=True, exist_ok=True)
    with (home / f"server-{port}.log").open("ab") as log:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", APP, "--factory", "--port", str(port)),
                *("--host", "127.0.0.1", "--log-level", "warning"),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return Server(url, proc)
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"DLV server did not start (exit {proc.poll()})")
        time.sleep(0.1)


@contextmanager
def ingest_server(
    database_url: str, home: Path, extra_env: dict[str, str] | None = None, port: int = 0
) -> Iterator[Server]:
    """A server on a free port (or ``port``); stopped at the end unless the test killed it."""
    server = _start(database_url, home, port or free_port(), extra_env or {})
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.proc.terminate()
            try:
                server.proc.wait(10)
            except subprocess.TimeoutExpired:
                server.proc.kill()


class CatalogReads:
    """Reading what a real integration run left in DLV, through its API (``api``); dataset
    names are ``database.schema.table``, shown without the ``database``."""

    api: httpx.Client
    database: str

    def get(self, path: str, **params: Any) -> Any:
        r = self.api.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def node(self, namespace: str, name: str) -> dict[str, Any]:
        items = self.get("/api/v1/nodes", namespace=namespace, name=name)["items"]
        assert len(items) == 1, (namespace, name, items)
        return dict(items[0])

    def sources(self, node: dict[str, Any]) -> set[str]:
        """The names of the nodes with an edge into ``node`` (a table's: without database)."""
        edges = self.get("/api/v1/edges", target_id=node["id"], limit=500)["items"]
        names = {self.get(f"/api/v1/nodes/{e['source_id']}")["name"] for e in edges}
        return {n.removeprefix(f"{self.database}.") for n in names}
