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
