"""A claimed unit of work stores its check once, however often it is run: a Celery task is
delivered again when its worker dies, maybe after it stored its check, maybe after a newer
claim took the node over."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dlv.collectors.models import Collection
from dlv.crypto import SecretBox
from dlv.db import make_engine, utcnow
from dlv.health.models import HealthCheck
from dlv.health.network import NetworkPolicy
from dlv.health.runner import Database
from dlv.monitor import service, unit
from dlv.nodes.models import Node
from tests.conftest import SECRET_KEY, Caller
from tests.monitor.conftest import get_json, pg_node, refused

BOX = SecretBox(SECRET_KEY)
POLICY = NetworkPolicy.parse("", "")
TIMEOUTS = unit.Timeouts(check=10, collect=10)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url)
    yield Database.of(engine)
    engine.dispose()


def claim_one(db: Session, client: TestClient, admin: Caller) -> service.Claim:
    client.post("/api/v1/nodes", json=pg_node("db", refused()), headers=admin.headers)
    batch = service.claim_due(
        db,
        BOX,
        "test",
        now=utcnow(),
        ttl=timedelta(seconds=10),
        stale_after=timedelta(seconds=60),
        limit=10,
        jitter=0,
    )
    db.commit()
    assert batch is not None
    assert len(batch.claims) == 1
    return batch.claims[0]


def checks(db: Session) -> int:
    db.expire_all()
    count = int(db.scalar(select(func.count()).select_from(HealthCheck)) or 0)
    db.rollback()
    return count


def claim_token(db: Session) -> object:
    db.expire_all()
    token = db.scalars(select(Node.check_started_at)).one()
    db.rollback()
    return token


def run(database: Database, work: unit.Work) -> None:
    asyncio.run(unit.run(database, BOX, POLICY, TIMEOUTS, work))


def test_a_task_run_twice_stores_one_check(
    client: TestClient, admin: Caller, db: Session, database: Database
) -> None:
    work = unit.Work.of(claim_one(db, client, admin))
    run(database, work)
    assert checks(db) == 1
    assert claim_token(db) is None  # the claim ended
    run(database, work)  # delivered again: its worker died before acknowledging it
    assert checks(db) == 1


def test_a_task_whose_worker_died_after_storing_the_check_stores_no_second_one(
    client: TestClient, admin: Caller, db: Session, database: Database
) -> None:
    claim = claim_one(db, client, admin)
    work = unit.Work.of(claim)
    result = asyncio.run(unit.check(claim.target, POLICY, 5))
    assert service.store(db, claim.target, result, work.token, last=False)  # then it died
    db.commit()
    assert service.progress(db, work.pk, work.token) is service.Progress.checked
    db.rollback()
    run(database, work)
    assert checks(db) == 1
    assert claim_token(db) is None  # the second delivery ended the claim


def test_a_task_whose_claim_was_taken_over_is_dropped(
    client: TestClient, admin: Caller, db: Session, database: Database
) -> None:
    old = unit.Work.of(claim_one(db, client, admin))
    newer = old.token + timedelta(minutes=5)  # the claim went stale and was claimed again
    db.execute(update(Node).values(check_started_at=newer))
    db.commit()
    run(database, old)
    assert checks(db) == 0
    assert claim_token(db) == newer  # not the old task's to end


def test_a_task_survives_its_trip_through_the_queue_unchanged(
    client: TestClient, admin: Caller, db: Session
) -> None:
    work = unit.Work.of(claim_one(db, client, admin))
    assert unit.Work.from_args(*work.to_args()) == work
    assert all(isinstance(a, int | str | bool) for a in work.to_args())  # JSON, no secrets


def test_the_monitor_lists_the_loops_failed_collections(
    client: TestClient, admin: Caller, db: Session
) -> None:
    node = client.post("/api/v1/nodes", json=pg_node("db", refused()), headers=admin.headers)
    pk = db.scalars(select(Node.pk)).one()
    for actor in ("monitor", "user:someone"):
        db.add(
            Collection(
                node_pk=pk, status="error", message=f"down ({actor})", duration_ms=5, actor=actor
            )
        )
    db.commit()
    state = get_json(client, "/api/v1/monitor", admin.headers)
    failures = state["last_collection_failures"]
    assert [(f["node_id"], f["message"]) for f in failures] == [
        (node.json()["id"], "down (monitor)")
    ]
