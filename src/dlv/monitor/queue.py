"""Celery mode: the scheduler's queue on Redis, and the worker that runs what it holds.

Delivery: at least once. A task is acknowledged after it ran (``acks_late``), and a worker
prefetches one task per free thread, so a worker killed mid-task leaves its task unacknowledged;
Redis hands it to another worker once the visibility timeout has passed
(``service.visibility_timeout``: longer than any unit runs, so a slow task is never handed out
twice while it runs). Running a task twice stores one result: see ``dlv.monitor.unit``.

Nothing secret goes into Redis: a task names the node and its claim; the worker reads the
connection from the database with the instance's secret key.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from celery import Celery
from celery.signals import setup_logging, worker_ready

from dlv.config import Settings
from dlv.crypto import SecretBox
from dlv.db import make_engine
from dlv.health.network import NetworkPolicy
from dlv.health.runner import Database
from dlv.monitor import service, unit
from dlv.ops.logging import configure_logging

log = logging.getLogger("dlv.monitor")
TASK = "dlv.monitor.run"
BROKER_TIMEOUT_SECONDS = 5.0
RESTORE_SWEEP_SECONDS = 5


def make_app(settings: Settings) -> Celery:
    """A Celery app on DLV_REDIS_URL whose every key starts with the queue's name, so that
    several DLV instances (or test runs) can share one Redis."""
    app = Celery("dlv", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        task_default_queue=settings.monitor_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,  # a pool child that died: its task goes back
        task_ignore_result=True,  # results are in DLV's database
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,  # a killed worker holds no more tasks than it runs
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": service.visibility_timeout(settings),
            # Look for tasks of dead workers every 5 s (kombu's default: every 100 s).
            "unacked_restore_interval": RESTORE_SWEEP_SECONDS,
            "unacked_restore_throttle": 1,
            "global_keyprefix": f"{settings.monitor_queue}:",
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
            "max_retries": 1,
        },
    )
    return app


class Queue:
    """The scheduler's side: how many tasks wait, and sending more."""

    def __init__(self, settings: Settings) -> None:
        self.app = make_app(settings)
        self.name = settings.monitor_queue

    def length(self) -> int:
        """Tasks waiting in Redis (not those a worker holds)."""
        with self.app.connection_for_write() as conn:
            ok = conn.default_channel.queue_declare(
                queue=self.name, durable=True, auto_delete=False
            )
            return int(ok.message_count)

    def send(self, works: Sequence[unit.Work]) -> None:
        with self.app.producer_or_acquire() as producer:
            for work in works:
                self.app.send_task(TASK, args=work.to_args(), queue=self.name, producer=producer)

    def close(self) -> None:
        self.app.close()


@dataclass(frozen=True)
class Resources:
    """What a worker needs of DLV, built from Settings as ``create_app`` builds its own."""

    db: Database
    box: SecretBox
    policy: NetworkPolicy
    timeouts: unit.Timeouts

    @classmethod
    def of(cls, settings: Settings) -> Resources:
        return cls(
            Database.of(make_engine(settings.resolved_database_url)),
            SecretBox(settings.resolved_secret_key()),
            NetworkPolicy.parse(settings.check_allow, settings.check_deny),
            unit.Timeouts.of(settings),
        )


def worker_app(settings: Settings, resources: Resources) -> Celery:
    """The Celery app of ``dlv worker``, with the task that runs one unit of work."""
    app = make_app(settings)
    # One event loop per pool thread, kept: a loop per task would start new helper threads
    # for its database calls each time.
    loops = threading.local()

    @app.task(name=TASK)  # type: ignore[untyped-decorator]
    def run(pk: int, node_id: str, token: str, collect: bool, due_at: str) -> None:
        runner = getattr(loops, "runner", None)
        if runner is None:
            runner = loops.runner = asyncio.Runner()
        work = unit.Work.from_args(pk, node_id, token, collect, due_at)
        r = resources
        runner.run(unit.run(r.db, r.box, r.policy, r.timeouts, work))

    return app


def run_worker(settings: Settings, concurrency: int, loglevel: str) -> None:
    """Run a Celery worker on the monitor's queue until it is stopped (blocks)."""
    app = worker_app(settings, Resources.of(settings))

    # DLV's logging, not Celery's (a receiver of setup_logging replaces Celery's own setup):
    # the same format and secret scrubbing as the server's.
    @setup_logging.connect(weak=False)  # type: ignore[untyped-decorator]
    def logs(**_: object) -> None:
        configure_logging(settings)
        # "received" and "succeeded" for every task: two lines per check, thousands a minute.
        for name in ("celery.worker.strategy", "celery.app.trace"):
            logging.getLogger(name).setLevel(logging.WARNING)

    @worker_ready.connect(weak=False)  # type: ignore[untyped-decorator]
    def ready(**_: object) -> None:
        log.info("dlv worker ready: queue %s, %d threads", settings.monitor_queue, concurrency)

    app.worker_main(
        [
            "worker",
            "--pool=threads",  # the work waits on the network and the database
            f"--concurrency={concurrency}",
            f"--queues={settings.monitor_queue}",
            f"--hostname=dlv-{os.getpid()}@%h",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
