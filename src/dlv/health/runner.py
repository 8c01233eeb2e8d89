"""Running checks: the network part async, the database part in short transactions in threads.

Transaction handling (why this differs from the rest of the API): a check waits on the network
for up to its timeout per step. Holding the per-request transaction across that wait would pin
a pooled connection and, on SQLite, the database's write lock (DLV begins writers with
``BEGIN IMMEDIATE``), stalling every other writer for seconds. So a check runs in three phases:

1. read the node and its config in a read-only transaction (a thread, its own session);
2. test the connection on the event loop, with no transaction open;
3. store the check, the node's new status and the audit record of a status change in one
   write transaction (a thread, its own session): all of it is stored or none of it is.

For a single node that is one write transaction per request, as elsewhere. ``check_all`` does
phase 3 once per node as each check finishes, so a long run keeps what it found so far and never
holds a transaction open while it waits.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dlv.auth.principal import Principal
from dlv.crypto import SecretBox
from dlv.db import make_sessionmaker, read_only
from dlv.health import connectors, service
from dlv.health.network import NetworkPolicy
from dlv.health.schemas import CheckAllResult, CheckResult, CheckStatus

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Database:
    """Short sessions of their own, each run in a worker thread (never on the event loop)."""

    factory: sessionmaker[Session]
    engine: Engine
    read_engine: Engine

    @classmethod
    def of(cls, engine: Engine) -> Database:
        """Sessions on ``engine`` (and its read-only twin), as ``create_app`` makes them."""
        return cls(make_sessionmaker(engine), engine, read_only(engine))

    async def read(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(session, ...)`` in a read-only transaction (rolled back at the end)."""

        def work() -> T:
            with self.factory(bind=self.read_engine) as session:
                return fn(session, *args, **kwargs)

        return await anyio.to_thread.run_sync(work)

    async def write(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(session, ...)`` in one transaction: committed if it returns, else rolled back."""

        def work() -> T:
            with self.factory(bind=self.engine) as session, session.begin():
                return fn(session, *args, **kwargs)

        return await anyio.to_thread.run_sync(work)


async def check_node(
    db: Database, box: SecretBox, policy: NetworkPolicy, actor: Principal, node_id: uuid.UUID
) -> CheckResult:
    """Test a stored node's connection now, store the check and update the node's status."""
    target = await db.read(service.load_target, box, node_id)
    result = await connectors.run(target.config, policy)
    await db.write(service.record, actor, target, result)
    return result


async def check_all(
    db: Database,
    box: SecretBox,
    policy: NetworkPolicy,
    actor: Principal,
    kind: str | None,
    concurrency: int,
) -> CheckAllResult:
    """Test every system node with a connection, at most ``concurrency`` at a time."""
    started = time.monotonic()
    targets, skipped = await db.read(service.load_targets, box, kind)
    gate = asyncio.Semaphore(concurrency)

    async def one(target: service.Target) -> tuple[CheckResult, bool] | None:
        async with gate:
            result = await connectors.run(target.config, policy)
        try:
            changed = await db.write(service.record, actor, target, result)
        except service.NodeNotFound:
            return None  # deleted while it was being checked
        return result, changed

    outcomes = await asyncio.gather(*(one(t) for t in targets))
    done = [o for o in outcomes if o is not None]
    return CheckAllResult(
        checked=len(done),
        ok=sum(1 for r, _ in done if r.status is CheckStatus.ok),
        error=sum(1 for r, _ in done if r.status is CheckStatus.error),
        skipped=skipped + len(outcomes) - len(done),
        status_changes=sum(1 for _, changed in done if changed),
        latency_ms=round((time.monotonic() - started) * 1000),
    )
