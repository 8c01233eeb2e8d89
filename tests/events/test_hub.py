"""The poller's ordering and the event log's writing and pruning, without a server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dlv.events import service
from dlv.events.hub import EventFilter, Hub, Published, Subscriber, publishable
from dlv.events.models import Event
from dlv.events.repository import EventRow

AT = datetime(2026, 12, 7, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rows(*ids: int) -> list[EventRow]:
    return [(i, "node.updated", None, {"namespace": "n"}, AT) for i in ids]  # type: ignore[misc]


def hub(clock: Clock, horizon: int = 0) -> Hub:
    h = Hub(lambda: None, poll_seconds=1, grace_seconds=5, clock=clock)  # type: ignore[arg-type,return-value]
    h.horizon = horizon
    return h


def ids(events: list[Published]) -> list[int]:
    return [e.id for e in events]


def test_contiguous_ids_go_out_at_once() -> None:
    h = hub(Clock())
    assert ids(h.advance(rows(1, 2, 3))) == [1, 2, 3]
    assert h.horizon == 3


def test_an_id_after_a_gap_is_held_until_the_gap_fills() -> None:
    clock = Clock()
    h = hub(clock, horizon=10)
    assert ids(h.advance(rows(11, 13, 14))) == [11]
    clock.now = 4.9
    assert ids(h.advance(rows(13, 14))) == []
    assert ids(h.advance(rows(12, 13, 14))) == [12, 13, 14]


def test_a_gap_older_than_the_grace_is_given_up() -> None:
    clock = Clock()
    h = hub(clock, horizon=10)
    assert ids(h.advance(rows(12))) == []
    clock.now = 5
    assert ids(h.advance(rows(12, 14))) == [12]  # a new gap (13) gets its own grace
    clock.now = 10
    assert ids(h.advance(rows(14))) == [14]


def test_a_filter_with_several_scopes_passes_any_of_them() -> None:
    node = str(uuid.uuid4())
    chosen = EventFilter(node_ids=frozenset({node}), namespaces=frozenset({"watched"}))
    by_node = publishable((1, "node.status", uuid.UUID(node), {"namespace": "x"}, AT))  # type: ignore[arg-type]
    by_namespace = publishable((2, "node.status", None, {"namespace": "watched"}, AT))  # type: ignore[arg-type]
    other = publishable((3, "node.status", None, {"namespace": "x"}, AT))  # type: ignore[arg-type]
    edge = publishable((4, "edge.created", None, {"source_id": node, "target_id": "t"}, AT))  # type: ignore[arg-type]
    assert [chosen.matches(e) for e in (by_node, by_namespace, other, edge)] == [
        True,
        True,
        False,
        True,
    ]


def test_a_full_queue_marks_the_subscriber_and_never_blocks() -> None:
    subscriber = Subscriber(EventFilter(), limit=2, token="t")
    for event in (publishable(r) for r in rows(1, 2, 3, 4)):
        subscriber.offer(event)
    assert subscriber.overflowed
    queued: list[Any] = [subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())]
    assert [e.id if e else None for e in queued] == [1, 2, None]


def count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Event)) or 0


def test_an_event_is_written_only_with_its_transaction(db: Session) -> None:
    service.emit(db, "node.updated", {"name": "a"})
    db.rollback()
    assert count(db) == 0
    service.emit_many(db, "node.created", [(uuid.uuid4(), {"name": "b"}), (None, {"name": "c"})])
    db.commit()
    assert count(db) == 2


def test_prune_deletes_old_events_but_keeps_the_newest(db: Session, database_url: str) -> None:
    service.emit_many(db, "node.updated", [(None, {"i": i}) for i in range(3)])
    db.commit()
    factory = sessionmaker(db.get_bind())
    later = datetime.now(UTC) + timedelta(days=2)
    assert service.prune(factory, timedelta(hours=1), now=later) == 2
    assert count(db) == 1
