"""Celery mode end to end: a real server schedules, real ``dlv worker`` processes on the real
Redis run the checks and collections, and the results land as the embedded loop stores them.
A worker killed mid-task: its task runs on another worker, its check is stored once."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.audit.models import AuditRecord
from dlv.collectors.models import Collection
from dlv.config import Settings
from dlv.health.models import HealthCheck
from dlv.monitor.queue import Queue
from dlv.nodes.models import Node
from tests.collectors.conftest import Scratch
from tests.conftest import BACKEND, SECRET_KEY, Caller
from tests.health.conftest import SilentServer
from tests.monitor.celery_helpers import REDIS_URL, celery_env, dlv_worker
from tests.monitor.conftest import REAL_PG, pg_node, refused, wait_for
from tests.monitor.test_collection import scratch_node
from tests.servers import dlv_process

INTERVAL = 2
needs_postgres = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="Celery mode refuses SQLite (see test_celery_mode_refuses_sqlite): runs with "
    "DLV_TEST_DB=postgresql",
)
pytestmark = pytest.mark.redis


def create(http: httpx.Client, url: str, admin: Caller, body: dict[str, Any]) -> dict[str, Any]:
    r = http.post(f"{url}/api/v1/nodes", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def checks_by_node(db: Session) -> dict[int, list[HealthCheck]]:
    db.expire_all()
    found: dict[int, list[HealthCheck]] = defaultdict(list)
    for check in db.scalars(select(HealthCheck).order_by(HealthCheck.checked_at)):
        found[check.node_pk].append(check)
    db.rollback()
    return found


@needs_postgres
def test_workers_check_and_collect_due_nodes_as_the_embedded_loop_does(
    database_url: str, tmp_path: Path, admin: Caller, db: Session, scratch: Scratch
) -> None:
    with (
        celery_env() as celery,
        dlv_process(database_url, tmp_path / "server", celery.env) as server,
        dlv_worker(database_url, tmp_path / "w1", celery.env),
        dlv_worker(database_url, tmp_path / "w2", celery.env),
        httpx.Client(timeout=10) as http,
    ):
        down = [
            create(
                http,
                server.url,
                admin,
                pg_node(f"down{i}", refused(), check_interval_seconds=INTERVAL),
            )
            for i in range(2)
        ]
        up = create(http, server.url, admin, scratch_node(scratch))

        def done() -> bool:
            by_node = checks_by_node(db)
            return len(by_node) == 3 and all(len(c) >= 2 for c in by_node.values())

        wait_for("two rounds of checks", done)
        wait_for("a collection", lambda: collections(db) > 0)
        state = http.get(f"{server.url}/api/v1/monitor", headers=admin.headers).json()
        assert state["mode"] == "celery"
        assert state["leader"] is not None

    db.expire_all()
    status = {str(n.id): n.status for n in db.scalars(select(Node).where(Node.kind == "postgres"))}
    assert status == {down[0]["id"]: "error", down[1]["id"]: "error", up["id"]: "ok"}
    by_node = checks_by_node(db)
    assert {c.actor for series in by_node.values() for c in series} == {"monitor"}
    for series in by_node.values():
        gaps = [
            (b.checked_at - a.checked_at).total_seconds() for a, b in itertools.pairwise(series)
        ]
        assert min(gaps) >= INTERVAL / 2, gaps  # no slot checked twice
    audited = db.scalars(select(AuditRecord).where(AuditRecord.action == "node.status")).all()
    assert {str(a.target_id) for a in audited} == set(status)
    runs = db.scalars(select(Collection)).all()
    assert {(r.actor, r.status) for r in runs} == {("monitor", "ok")}


@needs_postgres
def test_a_task_of_a_killed_worker_runs_on_another_and_is_stored_once(
    database_url: str, tmp_path: Path, admin: Caller, db: Session, silent_server: SilentServer
) -> None:
    silent = {**REAL_PG, "port": silent_server.port, "connect_timeout": 30}
    with (
        celery_env() as celery,
        dlv_process(database_url, tmp_path / "server", celery.env) as server,
        httpx.Client(timeout=10) as http,
    ):
        with dlv_worker(database_url, tmp_path / "first", celery.env) as first:
            node = create(
                http,
                server.url,
                admin,
                pg_node("hangs", silent, check_interval_seconds=3600, collect_on_schedule=False),
            )
            wait_for("the first worker to be mid-check", silent_server.accepted.is_set)
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        assert checks_by_node(db) == {}  # it died before storing anything
        with dlv_worker(database_url, tmp_path / "second", celery.env):
            wait_for("the check, by the second worker", lambda: bool(checks_by_node(db)))
            wait_for("the claim to end", lambda: claim_ended(db))

    [series] = checks_by_node(db).values()
    assert len(series) == 1
    assert series[0].message == "The check did not finish within 4 s"
    assert str(db.scalars(select(Node.id).where(Node.kind == "postgres")).one()) == node["id"]


def collections(db: Session) -> int:
    db.expire_all()
    count = len(db.scalars(select(Collection.id)).all())
    db.rollback()
    return count


def claim_ended(db: Session) -> bool:
    db.expire_all()
    started = db.scalars(select(Node.check_started_at)).one()
    db.rollback()
    return started is None


@needs_postgres
def test_the_scheduler_enqueues_no_more_than_the_outstanding_bound(
    database_url: str, tmp_path: Path, admin: Caller, db: Session
) -> None:
    with (
        celery_env({"DLV_MONITOR_MAX_OUTSTANDING": "3"}) as celery,
        dlv_process(database_url, tmp_path / "server", celery.env) as server,
        httpx.Client(timeout=10) as http,
    ):
        for i in range(8):  # no worker runs: every task waits
            create(http, server.url, admin, pg_node(f"n{i}", refused(), check_interval_seconds=1))
        settings = Settings(
            database_url=database_url,
            secret_key=SECRET_KEY,
            monitor="celery",
            redis_url=REDIS_URL,
            monitor_queue=celery.queue,
            _env_file=None,
        )
        queue = Queue(settings)
        try:
            wait_for("three tasks", lambda: queue.length() == 3)
            time.sleep(3)  # a few more scheduler ticks, every node long overdue
            assert queue.length() == 3
        finally:
            queue.close()
        db.expire_all()
        claimed = db.scalars(select(Node.pk).where(Node.check_started_at.is_not(None))).all()
        assert len(claimed) == 3


def refused_worker(env: dict[str, str]) -> str:
    """What ``dlv worker`` said refusing to start (exit 1, no traceback)."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dlv"), "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def test_celery_mode_refuses_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="DLV_MONITOR=celery needs PostgreSQL"):
        Settings(home=tmp_path, monitor="celery", redis_url=REDIS_URL, _env_file=None)
    env = {
        **os.environ,
        "DLV_HOME": str(tmp_path),
        "DLV_DATABASE_URL": f"sqlite:///{tmp_path / 'dlv.db'}",
        "DLV_MONITOR": "celery",
        "DLV_REDIS_URL": REDIS_URL,
    }
    assert "DLV_MONITOR=celery needs PostgreSQL" in refused_worker(env)


def test_celery_mode_needs_a_redis_url(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="DLV_REDIS_URL"):
        Settings(
            home=tmp_path,
            monitor="celery",
            database_url="postgresql+psycopg://x@127.0.0.1/x",
            _env_file=None,
        )


def test_a_worker_outside_celery_mode_says_how_to_run_it(tmp_path: Path) -> None:
    env = {**os.environ, "DLV_HOME": str(tmp_path), "DLV_MONITOR": "embedded"}
    assert "DLV_MONITOR=celery" in refused_worker(env)
