"""Pruning the lineage change log, and a process that finds its unread changes pruned."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from dlv.db import utcnow
from dlv.lineage import changes
from dlv.lineage.live import LiveIndex
from dlv.lineage.models import LineageChange
from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.nodes.factories import create, dataset


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_engine(database_url)
    yield sessionmaker(engine)
    engine.dispose()


def link(client: TestClient, admin: Caller, a: str, b: str) -> None:
    r = client.post("/api/v1/edges", json={"source_id": a, "target_id": b}, headers=admin.headers)
    assert r.status_code == 201, r.text


def test_prune_keeps_recent_changes_and_always_the_newest(
    client: TestClient, admin: Caller, factory: sessionmaker[Session]
) -> None:
    ids = [create(client, admin, dataset(f"t{i}"))["id"] for i in range(4)]
    for a, b in itertools.pairwise(ids):
        link(client, admin, a, b)
    with factory() as session:
        before = session.scalar(select(func.count()).select_from(LineageChange))
        newest = changes.last_seq(session)
    assert before == 3
    assert changes.prune(factory, timedelta(hours=1)) == 0  # all recent
    later = utcnow() + timedelta(days=2)
    assert changes.prune(factory, timedelta(days=1), batch=1, now=later) == 2  # in batches
    with factory() as session:
        assert changes.bounds(session) == (newest, newest)


def test_an_index_whose_unread_changes_were_pruned_rebuilds(
    client: TestClient, admin: Caller, factory: sessionmaker[Session]
) -> None:
    a, b, c = (create(client, admin, dataset(name))["id"] for name in ("a", "b", "c"))
    live = LiveIndex()
    with factory() as session:
        live.rebuild(session)
        pk = {n.name: n.pk for n in session.scalars(select(Node))}
    link(client, admin, a, b)
    link(client, admin, b, c)  # the newest change: kept, the first one is pruned
    assert changes.prune(factory, timedelta(0), now=utcnow() + timedelta(seconds=1)) == 1
    with factory() as session, live.lock:
        index = live.current(session)
        reached = index.traverse([pk["a"]], "downstream").nodes.tolist()  # type: ignore[arg-type]
    assert reached == [pk["a"], pk["b"], pk["c"]]


def test_the_log_keeps_its_numbers_after_pruning(
    client: TestClient, admin: Caller, factory: sessionmaker[Session]
) -> None:
    a, b, c = (create(client, admin, dataset(name))["id"] for name in ("a", "b", "c"))
    link(client, admin, a, b)
    with factory() as session:
        first = changes.last_seq(session)
    changes.prune(factory, timedelta(0), now=utcnow() + timedelta(seconds=1))
    link(client, admin, b, c)
    with factory() as session:
        assert changes.last_seq(session) > first  # never handed out again
