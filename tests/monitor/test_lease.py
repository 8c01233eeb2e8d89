"""The scheduler's lease, step by step: one holder at a time, fenced claims, takeover."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.crypto import SecretBox
from dlv.db import utcnow
from dlv.monitor import lease, service
from tests.conftest import SECRET_KEY, Caller
from tests.monitor.conftest import pg_node, refused

TTL = timedelta(seconds=10)
STALE = timedelta(seconds=60)


def claim(db: Session, holder: str, at_offset: float = 0) -> list[service.Claim] | None:
    batch = service.claim_due(
        db,
        SecretBox(SECRET_KEY),
        holder,
        now=utcnow() + timedelta(seconds=at_offset),
        ttl=TTL,
        stale_after=STALE,
        limit=10,
        jitter=0,
    )
    db.commit()
    return batch.claims if batch is not None else None


def test_only_the_holder_claims_and_a_claimed_check_is_not_claimed_again(
    client: TestClient, admin: Caller, db: Session
) -> None:
    client.post("/api/v1/nodes", json=pg_node("db", refused()), headers=admin.headers)
    first = claim(db, "a")
    assert first is not None
    assert len(first) == 1
    assert claim(db, "b") is None  # a holds the lease
    assert claim(db, "a") == []  # its one node is running, next due in 300 s


def test_an_expired_lease_is_taken_over_and_the_old_holder_is_fenced(
    client: TestClient, admin: Caller, db: Session
) -> None:
    client.post("/api/v1/nodes", json=pg_node("db", refused()), headers=admin.headers)
    assert claim(db, "a") is not None
    later = TTL.total_seconds() + 1
    taken = claim(db, "b", later)
    assert taken == []  # b leads now; the node's check is a's and still within its time
    assert claim(db, "a", later) is None  # a's lease expired and is b's: a claims nothing


def test_a_check_abandoned_by_a_dead_process_is_run_by_the_next_leader(
    client: TestClient, admin: Caller, db: Session
) -> None:
    body = pg_node("db", refused(), check_interval_seconds=30)
    client.post("/api/v1/nodes", json=body, headers=admin.headers)
    assert claim(db, "a") is not None
    # Past its next slot and past the time any check may take: "a" died mid-check.
    taken = claim(db, "b", STALE.total_seconds() + 1)
    assert taken is not None
    assert len(taken) == 1


def test_a_released_lease_is_taken_at_once(db: Session) -> None:
    assert claim(db, "a") == []
    lease.release(db, service.LEASE, "a", utcnow())
    db.commit()
    assert claim(db, "b") == []
