"""The handoff: events this process stored are mapped first, from what it parsed; the rest
(another process's, or ones the bounded handoff dropped) from their stored text."""

from __future__ import annotations

import asyncio
import gc
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dlv.db import make_engine, make_sessionmaker, utcnow
from dlv.ingestion import decoding, events, mapping, service
from dlv.ingestion.events import ParsedEvent
from dlv.ingestion.handoff import Handoff
from dlv.ingestion.mapping import Sender, Sent
from dlv.ingestion.models import OpenLineageEvent, Run
from dlv.ingestion.runtime import DRAIN_BATCH, GC_THRESHOLDS
from dlv.ingestion.writer import EventWriter
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


def change_stored(db: Session, event_id: int, **values: object) -> None:
    with db.begin():
        db.execute(update(OpenLineageEvent).where(OpenLineageEvent.id == event_id).values(**values))


def handed_off(*stored: tuple[int, ParsedEvent]) -> Handoff:
    """A handoff holding these (id, event) pairs, as the writer leaves them."""
    handoff = Handoff(size=1_000)
    handoff.put((event_id, (event, SENDER)) for event_id, event in stored)
    return handoff


def item() -> Sent:
    return parsed(run_id()), SENDER


def drain(
    db: Session,
    handoff: Handoff | None = None,
    limit: int = 500,
    *,
    later: bool = False,
    wait: bool = False,
) -> int:
    """Map what is stored; without a handoff every event is read back, as from another process.
    ``later``: once events not handed off here have waited long enough to be taken."""
    now = utcnow() + (service.OTHERS_GRACE if later else timedelta(0))
    with db.begin():
        return service.drain(db, limit, now, handoff=handoff or Handoff(size=1_000), wait=wait)


def run_state(db: Session, run: str) -> str | None:
    with db.begin():
        return db.scalars(select(Run.state).where(Run.id == uuid.UUID(run))).one_or_none()


def test_take_hands_the_oldest_events_over_once() -> None:
    handoff = Handoff(size=1_000)
    first, second, third = (item() for _ in range(3))
    handoff.put([(7, first), (8, second)])
    handoff.put([(9, third)])
    assert handoff.take(2) == {7: first, 8: second}
    assert handoff.take(2) == {9: third}
    assert handoff.take(2) == {}


def test_a_full_handoff_drops_the_oldest_events() -> None:
    handoff = Handoff(size=2)
    first, second, third = (item() for _ in range(3))
    handoff.put([(1, first), (2, second)])
    handoff.put([(3, third)])
    assert len(handoff) == 2
    assert handoff.take(5) == {2: second, 3: third}


def test_the_writer_waits_for_room_until_the_drain_takes_events() -> None:
    handoff = Handoff(size=3)
    handoff.put([(1, item()), (2, item())])
    assert handoff.wait_for_room(1, timeout=0)
    assert not handoff.wait_for_room(2, timeout=0.05)  # full: it waited, in vain
    taker = threading.Timer(0.05, handoff.take, args=(2,))
    taker.start()
    started = time.monotonic()
    assert handoff.wait_for_room(2, timeout=60)
    assert time.monotonic() - started < 30  # woken by the take, not by the timeout
    taker.join()


def test_a_writer_stores_no_more_events_while_the_drain_is_a_full_backlog_behind(
    database_url: str, db: Session
) -> None:
    handoff = Handoff(size=2)
    handoff.put([(-1, item()), (-2, item())])  # the drain is behind
    engine = make_engine(database_url)
    writer = EventWriter(
        make_sessionmaker(engine),
        inline=False,
        on_pending=lambda: None,
        handoff=handoff,
        max_batch=1,
    )
    writer.start()

    async def send() -> tuple[bool, int]:
        write = asyncio.ensure_future(writer.write([(parsed(run_id()), SENDER)]))
        await asyncio.sleep(1)
        queued = asyncio.ensure_future(writer.write([(parsed(run_id()), SENDER)]))
        await asyncio.sleep(0.1)
        # Requests wait, but the drain must not give way to a writer that waits for it.
        waiting = not write.done() and not writer.busy(quiet=60)
        with db.begin():
            stored = db.scalar(select(func.count()).select_from(OpenLineageEvent)) or 0
        handoff.take(2)  # the drain catches up
        assert len(await write) == 1
        assert len(await queued) == 1
        return waiting, stored

    try:
        waiting, stored_meanwhile = asyncio.run(send())
    finally:
        writer.stop()
        engine.dispose()
    assert waiting
    assert stored_meanwhile == 0
    assert len(handoff) == 2  # the events it then stored


def test_the_drain_maps_handed_off_events_without_reading_them_back(db: Session) -> None:
    run = run_id()
    event = parsed(run)
    [event_id] = store(db, event)
    handoff = handed_off((event_id, event))
    # Spoil the stored text: only the handed-off event can produce the run now.
    change_stored(db, event_id, payload="[]")
    assert drain(db, handoff) == 1
    assert run_state(db, run) == "COMPLETE"
    assert len(handoff) == 0
    stored = db.get(OpenLineageEvent, event_id)
    assert stored is not None
    assert stored.processed_at is not None
    assert stored.error is None


def test_events_missing_from_the_handoff_are_parsed_from_their_stored_text(db: Session) -> None:
    other, handed = run_id(), run_id()
    other_event, handed_event = parsed(other, "FAIL"), parsed(handed)
    _, handed_id = store(db, other_event, handed_event)
    handoff = handed_off((handed_id, handed_event))  # the other one: stored by another process
    assert drain(db, handoff, later=True) == 2  # the older one tops the batch up
    assert (run_state(db, handed), run_state(db, other)) == ("COMPLETE", "FAIL")


def test_the_drain_maps_its_own_events_before_older_ones_of_another_process(
    db: Session,
) -> None:
    older, own = run_id(), run_id()
    older_event, own_event = parsed(older), parsed(own)
    _, own_id = store(db, older_event, own_event)
    handoff = handed_off((own_id, own_event))
    assert drain(db, handoff, limit=1) == 1
    assert (run_state(db, own), run_state(db, older)) == ("COMPLETE", None)
    assert drain(db, handoff, limit=1, later=True) == 1  # the handoff is empty: the oldest
    assert run_state(db, older) == "COMPLETE"


def test_newer_events_of_another_process_are_left_to_it_while_this_one_has_its_own(
    db: Session,
) -> None:
    own, newer = run_id(), run_id()
    own_event, newer_event = parsed(own), parsed(newer)
    own_id, _ = store(db, own_event, newer_event)
    handoff = handed_off((own_id, own_event))
    assert drain(db, handoff) == 1
    assert (run_state(db, own), run_state(db, newer)) == ("COMPLETE", None)
    assert drain(db, handoff, later=True) == 1
    assert run_state(db, newer) == "COMPLETE"


def test_another_process_events_are_left_to_it_until_they_have_waited(db: Session) -> None:
    # Its drain has them parsed; taken here they would be read back and parsed again.
    other, own = run_id(), run_id()
    other_event, own_event = parsed(other), parsed(own)
    _, own_id = store(db, other_event, own_event)
    handoff = handed_off((own_id, own_event))
    assert drain(db, handoff) == 1  # no top-up with the fresh older one
    assert drain(db) == 0  # nor taken alone
    assert (run_state(db, own), run_state(db, other)) == ("COMPLETE", None)
    assert drain(db, later=True) == 1  # waited: its process died, or dropped it
    assert run_state(db, other) == "COMPLETE"


def test_another_process_events_committed_after_newer_ones_are_taken_too(db: Session) -> None:
    # Two writers: the batch received first committed second, so it has the larger ids.
    # Seen after a kill -9 on PostgreSQL: nothing newer came, and they stayed unmapped.
    first, second = run_id(), run_id()
    received = utcnow() - timedelta(minutes=1)
    with db.begin():
        for run, at in ((second, received + timedelta(milliseconds=20)), (first, received)):
            service.ingest(db, [(parsed(run), SENDER)], inline=False, now=at)
    assert drain(db, later=True) == 2
    assert (run_state(db, first), run_state(db, second)) == ("COMPLETE", "COMPLETE")


def test_events_stored_before_this_process_started_are_taken_at_once(db: Session) -> None:
    # The server restarted: no live handoff holds them, so no grace.
    run = run_id()
    store(db, parsed(run))
    assert drain(db) == 0  # just stored, by a process that may be alive
    started = utcnow()
    before = service.others_cutoff(utcnow(), started)
    assert before == started  # the grace would reach further back
    with db.begin():
        taken = service.drain(db, 500, utcnow(), handoff=Handoff(size=10), others_before=before)
    assert (taken, run_state(db, run)) == (1, "COMPLETE")


def test_waiting_for_every_stored_event_takes_fresh_ones_of_another_process(db: Session) -> None:
    older, own, newer = run_id(), run_id(), run_id()
    older_event, own_event, newer_event = parsed(older), parsed(own), parsed(newer)
    _, own_id, _ = store(db, older_event, own_event, newer_event)
    assert drain(db, handed_off((own_id, own_event)), wait=True) == 2  # own + older top-up
    assert drain(db, wait=True) == 1
    assert {run_state(db, r) for r in (older, own, newer)} == {"COMPLETE"}


def test_own_events_another_drain_mapped_meanwhile_are_passed_over(db: Session) -> None:
    mapped, fresh = run_id(), run_id()
    mapped_event, fresh_event = parsed(mapped), parsed(fresh)
    mapped_id, fresh_id = store(db, mapped_event, fresh_event)
    change_stored(db, mapped_id, processed_at=utcnow())  # another drain mapped it
    handoff = handed_off((mapped_id, mapped_event), (fresh_id, fresh_event))
    # One call, one event at a time: the stale one is passed over, the fresh one mapped.
    assert drain(db, handoff, limit=1) == 1
    assert (run_state(db, mapped), run_state(db, fresh)) == (None, "COMPLETE")
    assert len(handoff) == 0
    assert drain(db, handoff) == 0


def test_a_stored_event_that_no_longer_parses_is_set_aside_with_an_error(db: Session) -> None:
    [event_id] = store(db, parsed(run_id()))
    change_stored(db, event_id, payload="[]")
    assert drain(db, later=True) == 1
    db.expire_all()
    stored = db.get(OpenLineageEvent, event_id)
    assert stored is not None
    assert stored.error == "not a valid OpenLineage event"


def test_the_drain_folds_its_own_events_before_it_takes_sqlites_write_lock(
    db: Session, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lock is what limits SQLite: pure Python work in it holds every writer back.
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no database-wide write lock")
    run = run_id()
    event = parsed(run)
    [event_id] = store(db, event)
    lock_free: list[bool] = []
    fold = mapping.plan

    def probing(events: Iterable[Sent]) -> mapping.Plan:
        probe = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            lock_free.append(True)
        except sqlite3.OperationalError:  # database is locked
            lock_free.append(False)
        finally:
            probe.close()
        return fold(events)

    monkeypatch.setattr(mapping, "plan", probing)
    assert drain(db, handed_off((event_id, event))) == 1
    assert lock_free == [True]  # folded once, outside the lock
    assert run_state(db, run) == "COMPLETE"


def test_a_full_handoff_and_a_drain_batch_stay_below_the_young_gc_threshold() -> None:
    # runtime.tune_gc: a young collection should not walk the events in flight again and
    # again, so they must not fill the young generation on their own.
    text = json.dumps(orders_task("COMPLETE", run=run_id(), dag_run=run_id()))
    gc.collect()
    before = len(gc.get_objects())
    held = [decoding.parse_event(text) for _ in range(2 * DRAIN_BATCH)]  # handoff + batch
    tracked = len(gc.get_objects()) - before
    assert 10 * len(held) < tracked < GC_THRESHOLDS[0]
