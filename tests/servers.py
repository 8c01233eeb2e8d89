"""Real DLV servers in subprocesses, for tests that need a real HTTP peer or several processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from integration import realservers

from tests.conftest import SECRET_KEY

STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def dlv_server(
    database_url: str, home: Path, extra_env: dict[str, str] | None = None, port: int = 0
) -> Iterator[str]:
    """``dlv serve``-equivalent uvicorn process on a free port; yields its base URL."""
    with dlv_process(database_url, home, extra_env, port) as server:
        yield server.url


@contextmanager
def dlv_process(
    database_url: str, home: Path, extra_env: dict[str, str] | None = None, port: int = 0
) -> Iterator[Server]:
    """As ``dlv_server``, yielding the process too (a test may kill it)."""
    port = port or free_port()
    env = {
        **os.environ,
        "DLV_DATABASE_URL": database_url,
        "DLV_SECRET_KEY": SECRET_KEY,
        "DLV_HOME": str(home),
        **(extra_env or {}),
    }
    home.mkdir(parents=True, exist_ok=True)
    log = (home / f"server-{port}.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "dlv.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # A cap, not a measure: an import-heavy start took over 30 s once on a loaded machine.
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (home / f"server-{port}.log").read_text(errors="replace")[-2000:]
                msg = f"DLV server did not start in {STARTUP_SECONDS} s (exit {proc.poll()}):\n"
                raise RuntimeError(msg + output)
            time.sleep(0.1)
        yield Server(url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def require_real(name: str) -> None:
    """Skip, outside CI, while the ``name`` virtualenv of the integration servers is not built
    (building it takes minutes); in CI, or with DLV_INTEGRATION set, the test builds it."""
    if realservers.is_ready(name) or os.environ.get("CI") or os.environ.get("DLV_INTEGRATION"):
        return
    pytest.skip(f"the {name} virtualenv is not built yet: run `make integration-prepare` once")
