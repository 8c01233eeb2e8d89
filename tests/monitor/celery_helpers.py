"""Celery mode under test: the real Redis here (a queue, and keys, of each test's own) and real
``dlv worker`` processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.conftest import SECRET_KEY

REDIS_URL = os.environ.get("DLV_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STARTUP_SECONDS = 120


@dataclass(frozen=True)
class CeleryEnv:
    env: dict[str, str]
    queue: str


@contextmanager
def celery_env(extra: dict[str, str] | None = None) -> Iterator[CeleryEnv]:
    """The environment of a server and its workers on a queue no other run uses; every key of
    that queue is deleted afterwards. Redis unreachable: a skip, a failure in CI."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {type(exc).__name__}")
    queue = f"dlv-test-{uuid.uuid4().hex[:12]}"
    env = {
        "DLV_MONITOR": "celery",
        "DLV_REDIS_URL": REDIS_URL,
        "DLV_MONITOR_QUEUE": queue,
        "DLV_MONITOR_MIN_INTERVAL_SECONDS": "1",
        "DLV_MONITOR_LEASE_SECONDS": "2",
        "DLV_MONITOR_CHECK_TIMEOUT_SECONDS": "4",
        "DLV_MONITOR_COLLECT_TIMEOUT_SECONDS": "10",
        "DLV_MONITOR_JITTER": "0",
        **(extra or {}),
    }
    try:
        yield CeleryEnv(env, queue)
    finally:
        for key in client.scan_iter(match=f"{queue}:*"):
            client.delete(key)
        client.close()


@contextmanager
def dlv_worker(
    database_url: str, home: Path, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``dlv worker`` process, once it says it is ready; stopped (or killed) after."""
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "worker.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dlv"), "worker", "--concurrency", "4"],
        env={
            **os.environ,
            "DLV_DATABASE_URL": database_url,
            "DLV_SECRET_KEY": SECRET_KEY,
            "DLV_HOME": str(home),
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while b"dlv worker ready" not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"dlv worker did not start (exit {proc.poll()}):\n{output}")
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        log.close()


def worker_log(home: Path) -> str:
    return (home / "worker.log").read_text(errors="replace")
