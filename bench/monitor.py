"""Monitoring-loop benchmark: N PostgreSQL nodes due every interval, schedule lag and CPU.

    python -m bench.monitor --db postgresql --nodes 2000 --interval 60 --rounds 2
    python -m bench.monitor --db sqlite

A fresh database (SQLite file, or a new PostgreSQL database dropped afterwards) is migrated
and filled with ``--nodes`` postgres nodes, checked every ``--interval`` seconds, their first
due times spread over one interval (the steady state: after one round the jitter spreads a
fleet created at once the same way). Their connections point at local endpoints:

- ``ok``: the real PostgreSQL on 127.0.0.1:5432 (a full check: connect, log in, query);
- ``refused``: a port of this machine where nothing listens (fails at once);
- ``slow``: a socket that listens and never accepts: the check waits out its 2 s timeout.

The loop then runs in this process exactly as ``dlv serve`` runs it (``MonitorLoop``, with
``--concurrency`` slots) for ``--rounds`` intervals. Printed: checks run, schedule lag
(start of a check minus when it was due) p50/p99/max, and this process's CPU per check. The
baseline: the same checks run back to back without the loop, through the existing
``POST /health/check-all`` code path (``runner.check_all``) at the same concurrency, on the
same nodes: its CPU per check is what a check costs without any scheduling.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import text, update

from bench.common import database
from dlv import migrate
from dlv.auth.principal import SYSTEM
from dlv.config import Settings
from dlv.crypto import SecretBox
from dlv.db import make_engine, make_sessionmaker, read_only, utcnow
from dlv.health import runner
from dlv.health.network import NetworkPolicy
from dlv.health.runner import Database
from dlv.monitor.loop import MonitorLoop
from dlv.nodes import service as nodes_service
from dlv.nodes.models import Node
from dlv.nodes.schemas import NodeCreate
from dlv.ops import metrics

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
MIX = (("ok", 0.5), ("refused", 0.4), ("slow", 0.1))


def endpoints() -> tuple[dict[str, dict[str, Any]], socket.socket]:
    """Connection configs per endpoint kind; the slow one's socket must stay open."""
    slow = socket.socket()
    slow.bind(("127.0.0.1", 0))
    slow.listen(4096)  # never accepted: connect succeeds, the server never speaks
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    base = {"kind": "postgres", "database": "postgres", "user": "postgres", "sslmode": "disable"}
    return (
        {
            "ok": {**base, "host": "127.0.0.1", "port": 5432, "connect_timeout": 2},
            "refused": {**base, "host": "127.0.0.1", "port": closed, "connect_timeout": 2},
            "slow": {
                **base,
                "host": "127.0.0.1",
                "port": slow.getsockname()[1],
                "connect_timeout": 2,
            },
        },
        slow,
    )


def fill(
    db: Database,
    box: SecretBox,
    nodes: int,
    interval: int,
    configs: dict[str, Any],
    collect: bool = False,
) -> None:
    rng = random.Random(7)
    kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=nodes)
    with db.factory(bind=db.engine) as session, session.begin():
        for i, kind in enumerate(kinds):
            body = {
                "kind": "postgres",
                "namespace": f"postgres://bench-{kind}",
                "name": f"db{i}",
                "connection": configs[kind],
                "check_interval_seconds": interval,
                # Checks only, by default: a collection of the real PostgreSQL after every ok
                # check measures the collector (bench/collect_postgres.py does), not the loop.
                "collect_on_schedule": collect,
            }
            data = NodeCreate.model_validate(body)
            nodes_service.create(session, SYSTEM, box, data, min_interval=1)
    with db.factory(bind=db.engine) as session, session.begin():
        start = utcnow()
        for pk in session.scalars(text("SELECT pk FROM nodes")).all():
            due = start + timedelta(seconds=rng.uniform(0, interval))
            session.execute(update(Node).where(Node.pk == pk).values(next_check_at=due))


class Lags:
    """Stands in for the lag histogram: keeps every observation."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def observe(self, value: float) -> None:
        self.values.append(value)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run_loop(
    db: Database, box: SecretBox, settings: Settings, seconds: float
) -> dict[str, float]:
    lags = Lags()
    metrics.monitor_schedule_lag = lags  # type: ignore[assignment]
    loop = MonitorLoop(
        db, box, NetworkPolicy.parse(settings.check_allow, settings.check_deny), settings
    )
    cpu, wall = time.process_time(), time.monotonic()
    loop.start()
    await asyncio.sleep(seconds)
    await loop.stop()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    checks = len(lags.values)
    return {
        "checks": checks,
        "per_second": checks / wall,
        "lag_p50": statistics.median(lags.values),
        "lag_p99": pct(lags.values, 0.99),
        "lag_max": max(lags.values),
        "cpu_ms_per_check": cpu / checks * 1000,
        "cpu_share": cpu / wall,
    }


async def run_baseline(db: Database, box: SecretBox, settings: Settings) -> dict[str, float]:
    policy = NetworkPolicy.parse(settings.check_allow, settings.check_deny)
    cpu, wall = time.process_time(), time.monotonic()
    result = await runner.check_all(db, box, policy, SYSTEM, None, settings.monitor_concurrency)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return {
        "checks": result.checked,
        "wall_s": wall,
        "cpu_ms_per_check": cpu / result.checked * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--rounds", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--collect", action="store_true", help="collect after each ok check")
    args = parser.parse_args()
    configs, slow = endpoints()
    with database(args.db) as url:
        migrate.upgrade(url)
        settings = Settings(
            database_url=url,
            secret_key=SECRET,
            monitor_concurrency=args.concurrency,
            monitor_min_interval_seconds=1,
            _env_file=None,
        )
        engine = make_engine(url)
        db = Database(make_sessionmaker(engine), engine, read_only(engine))
        box = SecretBox(SECRET)
        fill(db, box, args.nodes, args.interval, configs, args.collect)
        loop = asyncio.run(run_loop(db, box, settings, args.interval * args.rounds))
        base = asyncio.run(run_baseline(db, box, settings))
        engine.dispose()
    slow.close()
    mix = ", ".join(f"{w:.0%} {k}" for k, w in MIX)
    print(
        f"{args.db}: {args.nodes} nodes every {args.interval} s ({mix}), "
        f"concurrency {args.concurrency}, {args.rounds:g} rounds"
        + (", collecting after ok checks" if args.collect else "")
    )
    print(
        f"loop:     {loop['checks']:.0f} checks, {loop['per_second']:.1f}/s, lag p50 "
        f"{loop['lag_p50']:.3f} s, p99 {loop['lag_p99']:.3f} s, max {loop['lag_max']:.3f} s; "
        f"CPU {loop['cpu_ms_per_check']:.2f} ms/check ({loop['cpu_share']:.0%} of a core)"
    )
    print(
        f"baseline: check-all back to back, {base['checks']:.0f} checks in {base['wall_s']:.1f} s; "
        f"CPU {base['cpu_ms_per_check']:.2f} ms/check"
    )


if __name__ == "__main__":
    main()
