"""Two processes mapping at once on PostgreSQL: they wait for each other, never deadlock.

SQLite has one writer at a time, so this is PostgreSQL's. Each test makes the worst case
happen on purpose: a third transaction holds the middle one of the rows both mappers write.
A mapper writing them from the first one on and one writing from the last one back both
stop there; when it rolls back, one of them takes it and goes on into the rows the other
holds, while the other waits for it: PostgreSQL's deadlock detector kills one (seen in the
benchmark as "mapping ... failed (DeadlockDetected)"). Mappers that write in one order
queue behind each other instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from dlv.db import make_engine, make_sessionmaker
from dlv.ingestion import catalog
from dlv.ingestion.mapping import Key, Plan, Sender
from dlv.lineage.models import Edge
from dlv.nodes.models import Node, NodeKind

SENDER = Sender("token", None, "test")
KEYS: list[Key] = [("postgres://db:5432", f"shop.public.t{i}") for i in range(40)]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: nothing to interleave")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def plan_of(nodes: list[Key], edges: tuple[tuple[Key, Key], ...] = ()) -> Plan:
    plan = Plan()
    for key in nodes:
        plan.node(key, NodeKind.dataset, SENDER)
    for pair in edges:
        plan.edges[pair] = SENDER
    return plan


def waiting_on_locks(engine: Engine) -> int:
    with engine.connect() as conn:
        return (
            conn.scalar(
                select(func.count())
                .select_from(text("pg_stat_activity"))
                .where(text("wait_event_type = 'Lock' AND datname = current_database()"))
            )
            or 0
        )


Work = Callable[[Session], None]


def race(factory: sessionmaker[Session], engine: Engine, hold: Work, work: Work) -> list[object]:
    """``hold`` rows, start ``work`` twice, roll back the hold: what the two ran into."""
    errors: list[object] = []

    def run() -> None:
        try:
            with factory.begin() as session:
                work(session)
        except Exception as exc:
            errors.append(type(exc.__cause__ or exc).__name__)

    with factory() as blocker, blocker.begin():
        hold(blocker)
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while waiting_on_locks(engine) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waiting_on_locks(engine) == 2, "both mappers should queue behind the blocker"
        blocker.rollback()
    for t in threads:
        t.join(30)
    return errors


def test_two_mappers_creating_the_same_nodes_in_opposite_orders_both_succeed(
    engine: Engine,
) -> None:
    factory = make_sessionmaker(engine)
    orders = iter([KEYS, KEYS[::-1]])
    lock = threading.Lock()

    def load(session: Session) -> None:
        with lock:
            keys = next(orders)
        catalog.load(session, plan_of(keys))

    def hold(session: Session) -> None:
        catalog.load(session, plan_of([KEYS[len(KEYS) // 2]]))

    errors = race(factory, engine, hold, load)

    assert errors == []
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Node)) == len(KEYS)


def test_two_mappers_drawing_the_same_edges_in_opposite_orders_both_succeed(
    engine: Engine,
) -> None:
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        catalog.load(session, plan_of(KEYS))  # the nodes exist; the edges are new
    pairs = [(KEYS[i], KEYS[i + 1]) for i in range(0, len(KEYS), 2)]
    orders = iter([pairs, pairs[::-1]])
    lock = threading.Lock()

    def draw(session: Session) -> None:
        with lock:
            edges = next(orders)
        plan = plan_of(KEYS, tuple(edges))
        catalog.apply_edges(catalog.load(session, plan), plan)

    def hold(session: Session) -> None:
        plan = plan_of(KEYS, (pairs[len(pairs) // 2],))
        catalog.apply_edges(catalog.load(session, plan), plan)

    errors = race(factory, engine, hold, draw)

    assert errors == []
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Edge)) == len(pairs)
