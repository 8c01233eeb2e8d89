"""Celery-mode benchmark: the monitor benchmark's nodes, scheduled here, run by real workers.

    python -m bench.monitor_celery --nodes 2000 --interval 60 --rounds 1 --workers 2

The same fleet as ``bench.monitor`` (``--nodes`` postgres nodes due every ``--interval``
seconds, 50% reaching the real PostgreSQL, 40% a refused port, 10% a socket that never
answers), on a new PostgreSQL database and a Redis queue (``DLV_BENCH_REDIS_URL``, default
redis://127.0.0.1:6379/0) of this run's own. This process holds the lease and enqueues, as a
``dlv serve`` process does in Celery mode; ``--workers`` processes each run the real Celery
worker (``dlv.monitor.queue.run_worker``, 16 threads), wrapped only to hand their figures back
when they stop.

Printed: checks run; the schedule lag as the workers saw it (start of a check minus when it
was due: queueing included), p50/p99/max; CPU per check, the scheduler's and the workers'
together. The baseline, in the same run: the same checks back to back through
``runner.check_all`` (no scheduling, no queue) at concurrency 64: its CPU per check is what a
check costs alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from bench.common import database
from bench.monitor import SECRET, Lags, endpoints, fill, pct, run_baseline
from dlv import migrate
from dlv.config import Settings
from dlv.crypto import SecretBox
from dlv.db import make_engine
from dlv.health.network import NetworkPolicy
from dlv.health.runner import Database
from dlv.monitor.loop import MonitorLoop
from dlv.monitor.queue import Queue
from dlv.ops import metrics

REDIS_URL = os.environ.get("DLV_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
THREADS = 16


def worker(out: Path) -> None:
    """A worker process: the real Celery worker, its lag samples and CPU written at shutdown."""
    from celery.signals import worker_ready, worker_shutdown  # noqa: PLC0415

    from dlv.monitor.queue import run_worker  # noqa: PLC0415

    lags = Lags()
    metrics.monitor_schedule_lag = lags  # type: ignore[assignment]
    ready_cpu = [0.0]

    @worker_ready.connect(weak=False)  # type: ignore[untyped-decorator]
    def ready(**_: object) -> None:
        ready_cpu[0] = time.process_time()  # start-up (imports) is not the checks' cost

    @worker_shutdown.connect(weak=False)  # type: ignore[untyped-decorator]
    def report(**_: object) -> None:
        cpu = time.process_time() - ready_cpu[0]
        out.write_text(json.dumps({"lags": lags.values, "cpu": cpu}))

    run_worker(Settings(), THREADS, "WARNING")


async def schedule(db: Database, box: SecretBox, settings: Settings, seconds: float) -> float:
    queue = Queue(settings)
    loop = MonitorLoop(
        db, box, NetworkPolicy.parse(settings.check_allow, settings.check_deny), settings, queue
    )
    cpu = time.process_time()
    loop.start()
    await asyncio.sleep(seconds)
    await loop.stop()
    queue.close()
    return time.process_time() - cpu


@contextmanager
def redis_keys(prefix: str) -> Iterator[None]:
    """Delete the run's Redis keys at the end, whatever happened."""
    try:
        yield
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--rounds", type=float, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--collect", action="store_true", help="collect after each ok check")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # a worker process
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    configs, slow = endpoints()
    queue_name = f"dlv-bench-{uuid.uuid4().hex[:8]}"
    with (
        database("postgresql") as url,
        tempfile.TemporaryDirectory() as tmp,
        redis_keys(queue_name),
    ):
        migrate.upgrade(url)
        env = {
            "DLV_DATABASE_URL": url,
            "DLV_SECRET_KEY": SECRET,
            "DLV_HOME": tmp,
            "DLV_MONITOR": "celery",
            "DLV_REDIS_URL": REDIS_URL,
            "DLV_MONITOR_QUEUE": queue_name,
        }
        settings = Settings(
            database_url=url,
            secret_key=SECRET,
            monitor="celery",
            redis_url=REDIS_URL,
            monitor_queue=queue_name,
            monitor_min_interval_seconds=1,
            _env_file=None,
        )
        engine = make_engine(url)
        db = Database.of(engine)
        box = SecretBox(SECRET)
        outs = [Path(tmp) / f"worker{i}.json" for i in range(args.workers)]
        logs = [(Path(tmp) / f"worker{i}.log").open("wb") for i in range(args.workers)]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.monitor_celery", "--worker", str(out)],
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for out, log in zip(outs, logs, strict=True)
        ]
        try:
            for path in (Path(tmp) / f"worker{i}.log" for i in range(args.workers)):
                deadline = time.monotonic() + 180  # a loaded machine: imports take a while
                while b"dlv worker ready" not in path.read_bytes():
                    assert time.monotonic() < deadline, path.read_text(errors="replace")[-2000:]
                    time.sleep(0.2)
            fill(db, box, args.nodes, args.interval, configs, args.collect)  # due from now on
            sched_cpu = asyncio.run(schedule(db, box, settings, args.interval * args.rounds))
            time.sleep(3)  # what is running finishes
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(60)
        reports = [json.loads(out.read_text()) for out in outs]
        base = asyncio.run(run_baseline(db, box, settings.model_copy(update={"monitor": "off"})))
        engine.dispose()
    slow.close()
    lags = [v for r in reports for v in r["lags"]]
    cpu = sched_cpu + sum(r["cpu"] for r in reports)
    print(
        f"celery: {args.nodes} nodes every {args.interval} s, {args.workers} workers x "
        f"{THREADS} threads, {args.rounds:g} rounds"
        + (", collecting after ok checks" if args.collect else "")
    )
    print(
        f"workers:  {len(lags)} checks, lag p50 {pct(lags, 0.5):.3f} s, p99 "
        f"{pct(lags, 0.99):.3f} s, max {max(lags):.3f} s; CPU {cpu / len(lags) * 1000:.2f} "
        f"ms/check (scheduler {sched_cpu / len(lags) * 1000:.2f}, workers after start-up)"
    )
    print(
        f"baseline: check-all back to back, {base['checks']:.0f} checks in {base['wall_s']:.1f} s; "
        f"CPU {base['cpu_ms_per_check']:.2f} ms/check"
    )


if __name__ == "__main__":
    main()
