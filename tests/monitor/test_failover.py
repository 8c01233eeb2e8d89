"""Two real servers on one database: one schedules, the other takes over when it is killed,
and no check runs twice."""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.health.models import HealthCheck
from tests.conftest import Caller
from tests.monitor.conftest import get_json, pg_node, refused, wait_for
from tests.servers import Server, dlv_process

INTERVAL = 2
NODES = 8
LOOP_ENV = {
    "DLV_MONITOR": "embedded",
    "DLV_MONITOR_MIN_INTERVAL_SECONDS": "1",
    "DLV_MONITOR_LEASE_SECONDS": "2",
    "DLV_MONITOR_CHECK_TIMEOUT_SECONDS": "5",
    "DLV_MONITOR_JITTER": "0",
}


def holder_pid(state: dict[str, Any]) -> int | None:
    leader = state["leader"]
    return int(leader["holder"].split(":")[-2]) if leader else None


def test_when_the_leader_is_killed_the_other_server_takes_over_and_nothing_runs_twice(
    database_url: str, tmp_path: Path, admin: Caller, db: Session
) -> None:
    with (
        dlv_process(database_url, tmp_path / "a", LOOP_ENV) as a,
        dlv_process(database_url, tmp_path / "b", LOOP_ENV) as b,
        httpx.Client(timeout=10) as http,
    ):
        servers: dict[int, Server] = {a.process.pid: a, b.process.pid: b}
        for i in range(NODES):
            body = pg_node(f"n{i}", refused(), check_interval_seconds=INTERVAL)
            r = http.post(f"{a.url}/api/v1/nodes", json=body, headers=admin.headers)
            assert r.status_code == 201, r.text

        def leader(via: Server) -> int | None:
            return holder_pid(get_json(http, f"{via.url}/api/v1/monitor", admin.headers))

        wait_for("a leader", lambda: leader(a) in servers)
        first = servers[leader(a) or 0]
        other = b if first is a else a
        wait_for("every node checked", lambda: checked_nodes(db) == NODES)

        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(10)
        killed_at = datetime.now(UTC)
        wait_for("the other server to lead", lambda: leader(other) == other.process.pid)
        wait_for("every node checked again", lambda: checked_nodes(db, killed_at) == NODES)
        time.sleep(INTERVAL * 2)  # a few more rounds under the new leader

    db.expire_all()
    times: dict[int, list[datetime]] = defaultdict(list)
    for pk, at in db.execute(select(HealthCheck.node_pk, HealthCheck.checked_at)):
        times[pk].append(at)
    assert len(times) == NODES
    for pk, series in times.items():
        series.sort()
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(series)]
        # A check run twice would be two rows milliseconds apart; every slot is INTERVAL.
        assert min(gaps) >= INTERVAL / 2, (pk, gaps)


def checked_nodes(db: Session, since: datetime | None = None) -> int:
    db.expire_all()
    stmt = select(HealthCheck.node_pk).distinct()
    if since is not None:
        stmt = stmt.where(HealthCheck.checked_at > since)
    count = len(db.scalars(stmt).all())
    db.rollback()  # end the read: SQLite would keep its snapshot otherwise
    return count
