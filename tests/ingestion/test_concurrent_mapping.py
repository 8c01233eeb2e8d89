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
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from dlv.db import make_engine, make_sessionmaker
from dlv.ingestion import catalog, edges
from dlv.ingestion.mapping import Key, Plan, Sender, Sighting
from dlv.lineage.models import Edge
from dlv.nodes.models import Node, NodeKind

SENDER = Sender("token", None, "test")
T = datetime(2026, 12, 6, tzinfo=UTC)
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
        plan.edges[pair] = Sighting(SENDER, T, T, None)
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


Write = Callable[[Session, Plan], None]


def race(engine: Engine, write: Write, hold: Plan, plans: tuple[Plan, Plan]) -> list[str]:
    """``write`` ``hold`` and keep it, ``write`` each of ``plans`` in a thread of its own
    (they queue behind it), roll ``hold`` back: the errors the two ran into."""
    factory = make_sessionmaker(engine)
    errors: list[str] = []

    def run(plan: Plan) -> None:
        try:
            with factory.begin() as session:
                write(session, plan)
        except Exception as exc:
            errors.append(type(exc.__cause__ or exc).__name__)

    with factory() as blocker, blocker.begin():
        write(blocker, hold)
        threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
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


def count(engine: Engine, table: type[Node] | type[Edge]) -> int | None:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def test_two_mappers_creating_the_same_nodes_in_opposite_orders_both_succeed(
    engine: Engine,
) -> None:
    def create(session: Session, plan: Plan) -> None:
        catalog.load(session, plan)

    middle = plan_of([KEYS[len(KEYS) // 2]])
    errors = race(engine, create, middle, (plan_of(KEYS), plan_of(KEYS[::-1])))

    assert errors == []
    assert count(engine, Node) == len(KEYS)


def test_two_mappers_drawing_the_same_edges_in_opposite_orders_both_succeed(
    engine: Engine,
) -> None:
    with make_sessionmaker(engine).begin() as session:
        catalog.load(session, plan_of(KEYS))  # the nodes exist; the edges are new
    pairs = tuple((KEYS[i], KEYS[i + 1]) for i in range(0, len(KEYS), 2))

    def draw(session: Session, plan: Plan) -> None:
        edges.apply_edges(catalog.load(session, plan), plan)

    middle = plan_of(KEYS, (pairs[len(pairs) // 2],))
    errors = race(engine, draw, middle, (plan_of(KEYS, pairs), plan_of(KEYS, pairs[::-1])))

    assert errors == []
    assert count(engine, Edge) == len(pairs)
