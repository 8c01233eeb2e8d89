"""The in-memory node facts (pure) and the trigger that keeps them current."""

from __future__ import annotations

import json
import uuid
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dlv.lineage import changes
from dlv.lineage.facts import NodeFacts
from dlv.lineage.models import LineageChange
from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.nodes.factories import create, dataset


def uid(n: int) -> str:
    return str(uuid.UUID(int=n))


def row(n: int, name: str, owner: str | None = None, message: str | None = None) -> list[Any]:
    owners = json.dumps([owner] if owner else [])
    return [uid(n), "dataset", "ns", name, owners, "ok", message]


def pks(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_set_pick_and_remove() -> None:
    facts = NodeFacts()
    facts.set(3, row(3, "a", "etl", "late"))
    facts.set(1000, row(1000, "b"))  # far beyond the current capacity: grows
    assert len(facts) == 2
    assert facts.missing(pks(3, 1000, 4, 5000, 0, -1)) == [4, 5000, 0, -1]
    got = facts.pick(pks(1000, 3))
    assert got.ids == [uid(1000), uid(3)]
    assert got.names == ["b", "a"]
    assert got.kinds == ["dataset", "dataset"]
    assert got.namespaces == ["ns", "ns"]
    assert got.owners == [[], ["etl"]]
    assert got.statuses == ["ok", "ok"]
    assert got.messages == [None, "late"]
    assert facts.pick(pks(3)).names == ["a"]
    assert facts.pick(pks()).ids == []
    assert facts.ids(pks(3, -1, 7, 99999)) == [uid(3), "", "", ""]
    facts.set(3, row(3, "a2", "bi"))  # replace: still two nodes, the message is gone
    assert len(facts) == 2
    assert facts.pick(pks(3)).messages == [None]
    assert facts.pick(pks(3)).owners == [["bi"]]
    held = facts.nbytes()
    facts.remove(3)
    assert facts.nbytes() < held  # its name and message are no longer counted
    facts.remove(3)  # twice is fine
    facts.remove(123456)  # never held is fine, and reads as empty afterwards
    assert len(facts) == 1
    assert facts.missing(pks(3, 123456)) == [3, 123456]
    assert facts.pick(pks(3, 123456)).ids == ["", ""]


def test_bulk_load_equals_one_by_one() -> None:
    rows = [
        (n, *row(n, f"t{n}", f"owner{n % 3}", "m" if n % 5 == 0 else None))
        for n in (1, 5, 9, 10, 42)
    ]
    loaded = NodeFacts.load(iter(rows), capacity=50)
    single = NodeFacts()
    single.set_many((r[0], r[1:]) for r in rows)
    assert len(loaded) == len(single) == 5
    every = pks(1, 5, 9, 10, 42)
    assert loaded.pick(every) == single.pick(every)
    with pytest.raises(ValueError, match="capacity"):
        NodeFacts.load(iter(rows), capacity=42)


def test_bad_pks_and_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="pk"):
        NodeFacts().set(0, row(1, "a"))
    with pytest.raises(ValueError, match="UUID"):
        NodeFacts().set(1, ["not-a-uuid", "dataset", "ns", "a", None, "ok", None])


def node_fact_changes(db: Session) -> list[int]:
    stmt = select(LineageChange.a).where(LineageChange.op == changes.NODE_FACTS)
    found = list(db.scalars(stmt.order_by(LineageChange.seq)))
    db.rollback()  # end the read: on SQLite it would block the API's writes
    return found


def test_the_trigger_logs_shown_facts_only(client: TestClient, admin: Caller, db: Session) -> None:
    node = create(client, admin, dataset("t.orders", owner="etl"))
    pk = db.scalar(select(Node.pk).where(Node.name == "t.orders"))
    assert pk is not None
    assert node_fact_changes(db) == []  # creating a node is not a change of known facts
    db.execute(update(Node).where(Node.pk == pk).values(description="not shown in lineage"))
    db.commit()
    assert node_fact_changes(db) == []
    db.execute(update(Node).where(Node.pk == pk).values(owner="etl"))  # same value
    db.commit()
    assert node_fact_changes(db) == []
    for values in ({"owner": "bi"}, {"status": "error"}, {"status_message": "boom"}):
        db.execute(update(Node).where(Node.pk == pk).values(**values))
        db.commit()
    assert node_fact_changes(db) == [pk, pk, pk]
    r = client.patch(
        f"/api/v1/nodes/{node['id']}", json={"name": "t.orders2"}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    assert node_fact_changes(db) == [pk, pk, pk, pk]
