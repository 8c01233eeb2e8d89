"""Stopping the server: every database connection is closed, none left to the garbage collector."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text

from tests.ops.conftest import ops_app, ops_settings

WAIT_SECONDS = 30


def _server_connections(watch: Connection, database: str, lock_pid: int) -> int:
    """Connections to ``database`` other than the test's own two, once the closed ones are gone
    (a server process ends just after its client closed the connection)."""
    sql = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = :d AND pid NOT IN (pg_backend_pid(), :p)"
    )
    deadline = time.monotonic() + WAIT_SECONDS
    while (count := watch.execute(text(sql), {"d": database, "p": lock_pid}).scalar_one()) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    return int(count)


def test_stopping_waits_for_a_background_query_and_closes_its_connection(
    pg_url: str, tmp_path: Path
) -> None:
    # The drain's first query waits for a lock this test holds, so the server is stopped while
    # the drain's thread is inside it; the lock is let go only once the stop has begun.
    locker, watcher = create_engine(pg_url), create_engine(pg_url, isolation_level="AUTOCOMMIT")
    lock = locker.connect()
    lock.begin()
    lock.execute(text("LOCK TABLE openlineage_events IN ACCESS EXCLUSIVE MODE"))
    lock_pid = lock.execute(text("SELECT pg_backend_pid()")).scalar_one()
    stopping = threading.Event()

    def let_go() -> None:
        stopping.wait()
        time.sleep(0.5)  # the stop is under way, the drain's query still waits
        lock.rollback()

    releaser = threading.Thread(target=let_go)
    releaser.start()
    try:
        with watcher.connect() as watch:
            database = watch.execute(text("SELECT current_database()")).scalar_one()
            with TestClient(ops_app(ops_settings(pg_url, tmp_path / "home"))):
                waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> :p"
                deadline = time.monotonic() + WAIT_SECONDS
                while not watch.execute(text(waiting), {"p": lock_pid}).scalar_one():
                    assert time.monotonic() < deadline, "the drain never queried"
                    time.sleep(0.02)
                stopping.set()
            releaser.join()
            assert _server_connections(watch, database, lock_pid) == 0
    finally:
        stopping.set()
        releaser.join()
        lock.close()
        locker.dispose()
        watcher.dispose()
