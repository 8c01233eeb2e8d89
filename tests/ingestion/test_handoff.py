"""The handoff: events this process stored are mapped from what it parsed, the rest (another
process's, or ones the bounded handoff dropped) from their stored text."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dlv.db import utcnow
from dlv.ingestion import events, service
from dlv.ingestion.events import ParsedEvent
from dlv.ingestion.handoff import Handoff
from dlv.ingestion.mapping import Sender
from dlv.ingestion.models import OpenLineageEvent, Run
from tests.ingestion.factories import orders_task, run_id

SENDER = Sender("token", uuid.uuid4(), "airflow-prod")


def parsed(run: str, event_type: str = "COMPLETE") -> ParsedEvent:
    data = orders_task(event_type, run=run, dag_run=run_id())
    event = events.parse(data, json.dumps(data))
    assert isinstance(event, ParsedEvent)
    return event


def store(db: Session, *batch: ParsedEvent) -> list[int]:
    """Stored, not mapped: what the writer does in background mode."""
    with db.begin():
        ids, pending = service.ingest(db, [(e, SENDER) for e in batch], inline=False, now=utcnow())
    assert pending
    return ids


def drain(db: Session, handoff: Handoff | None = None) -> int:
    """Map what is stored; without a handoff every event is read back, as from another process."""
    with db.begin():
        return service.drain(
            db, 500, utcnow(), parsed=(handoff if handoff is not None else Handoff()).take
        )


def run_state(db: Session, run: str) -> str | None:
    return db.scalars(select(Run.state).where(Run.id == uuid.UUID(run))).one_or_none()


def test_take_hands_each_event_over_once() -> None:
    handoff = Handoff()
    event = parsed(run_id())
    handoff.put([(7, event)])
    assert handoff.take(7) is event
    assert handoff.take(7) is None
    assert handoff.take(8) is None


def test_a_full_handoff_drops_the_oldest_events() -> None:
    handoff = Handoff(size=2)
    first, second, third = (parsed(run_id()) for _ in range(3))
    handoff.put([(1, first), (2, second)])
    handoff.put([(3, third)])
    assert len(handoff) == 2
    assert handoff.take(1) is None
    assert (handoff.take(2), handoff.take(3)) == (second, third)


def test_the_drain_maps_handed_off_events_without_reading_them_back(db: Session) -> None:
    run = run_id()
    event = parsed(run)
    [event_id] = store(db, event)
    handoff = Handoff()
    handoff.put([(event_id, event)])
    # Spoil the stored text: only the handed-off event can produce the run now.
    with db.begin():
        db.execute(
            update(OpenLineageEvent).where(OpenLineageEvent.id == event_id).values(payload="[]")
        )
    assert drain(db, handoff) == 1
    assert run_state(db, run) == "COMPLETE"
    assert len(handoff) == 0
    stored = db.get(OpenLineageEvent, event_id)
    assert stored is not None
    assert stored.processed_at is not None
    assert stored.error is None


def test_events_missing_from_the_handoff_are_parsed_from_their_stored_text(db: Session) -> None:
    handed, other = run_id(), run_id()
    handed_event, other_event = parsed(handed), parsed(other, "FAIL")
    handed_id, _ = store(db, handed_event, other_event)
    handoff = Handoff()
    handoff.put([(handed_id, handed_event)])  # the other one: stored by another process
    assert drain(db, handoff) == 2
    assert (run_state(db, handed), run_state(db, other)) == ("COMPLETE", "FAIL")


def test_a_stored_event_that_no_longer_parses_is_set_aside_with_an_error(db: Session) -> None:
    [event_id] = store(db, parsed(run_id()))
    with db.begin():
        db.execute(
            update(OpenLineageEvent).where(OpenLineageEvent.id == event_id).values(payload="[]")
        )
    assert drain(db) == 1
    db.expire_all()
    stored = db.get(OpenLineageEvent, event_id)
    assert stored is not None
    assert stored.error == "not a valid OpenLineage event"
