"""SQLite, background_client mapping: acknowledged events wait in the inbox file, and every drain
moves them into the events table exactly once, whoever stored them and wherever a crash
stopped the move."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dlv import migrate
from dlv.db import utcnow
from dlv.ingestion import decoding, inbox, service
from dlv.ingestion.events import ParsedEvent
from dlv.ingestion.handoff import Handoff
from dlv.ingestion.inbox import Inbox
from dlv.ingestion.mapping import Sender, Sent
from dlv.ingestion.models import OpenLineageEvent, Run
from dlv.ingestion.runtime import drain_batch
from dlv.ingestion.service import MAX_ATTEMPTS
from dlv.ops import backup as ops_backup
from dlv.ops import restore as ops_restore
from dlv.ops.backup import BackupError
from tests.conftest import BACKEND, SECRET_KEY, Caller
from tests.ingestion.conftest import Poster, runtime
from tests.ingestion.factories import airflow_task, orders_task, run_id

pytestmark = pytest.mark.skipif(
    BACKEND != "sqlite", reason="PostgreSQL locks rows, not the database: no inbox"
)
SENDER = Sender("token", None, "airflow")


def parsed(*events: dict[str, object]) -> list[Sent]:
    found = [decoding.parse_event(json.dumps(e)) for e in events]
    return [(p, SENDER) for p in found if isinstance(p, ParsedEvent)]


def completes(count: int) -> list[Sent]:
    return parsed(*(orders_task("COMPLETE", run=run_id(), dag_run=run_id()) for _ in range(count)))


def start_and_complete(run: str) -> list[Sent]:
    return parsed(
        orders_task("START", run=run, dag_run=run_id()),
        orders_task("COMPLETE", run=run, dag_run=run_id()),
    )


def stored_and_mapped(db: Session, ids: list[int], run: str) -> tuple[int, str, int]:
    """(raw events stored of ``ids``, the run's state, the events it counts)."""
    count = select(func.count()).select_from(OpenLineageEvent)
    mapped = db.get(Run, uuid.UUID(run))
    assert mapped is not None
    return (
        db.scalar(count.where(OpenLineageEvent.id.in_(ids))) or 0,
        mapped.state,
        mapped.event_count,
    )


def box(client: TestClient) -> Inbox:
    found = runtime(client).inbox
    assert found is not None
    return found


def waiting(client: TestClient) -> int:
    return box(client).count()[0]


def test_the_inbox_is_a_file_beside_the_database(database_url: str) -> None:
    assert inbox.inbox_url(database_url) == f"{database_url}-inbox"
    assert inbox.inbox_url("sqlite://") is None
    assert inbox.inbox_url("postgresql+psycopg://u@h/db") is None


def test_a_201_is_an_inbox_commit_and_the_drain_moves_it_keeping_its_id(
    background_client: TestClient, ingest_headers: dict[str, str], admin: Caller, db: Session
) -> None:
    poster = Poster(background_client, ingest_headers, admin)
    run = run_id()
    [event_id] = poster.post(orders_task("COMPLETE", run=run, dag_run=run_id()))
    with box(background_client).engine.connect() as conn:  # the inbox gave the id
        seq = conn.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'inbox_events'"))
    assert seq is not None
    assert seq >= event_id
    runtime(background_client).drain_all(wait=True)
    stored = db.get(OpenLineageEvent, event_id)
    assert stored is not None
    assert (str(stored.run_id), stored.processed_at is not None) == (run, True)
    assert waiting(background_client) == 0
    assert poster.get(f"/api/v1/runs/{run}")["state"] == "COMPLETE"


def test_events_another_process_left_are_moved_once_they_waited(
    background_client: TestClient, ingest_headers: dict[str, str], admin: Caller, db: Session
) -> None:
    # Stored by a process that died before its drain took them: no handoff holds them.
    # Received "in five minutes", so that no drain takes them as waited too long meanwhile.
    runs = [run_id(), run_id()]
    events = parsed(*(orders_task("COMPLETE", run=r, dag_run=run_id()) for r in runs))
    received = utcnow() + timedelta(minutes=5)
    ids = service.stage(box(background_client), events, received)
    status = Poster(background_client, ingest_headers, admin).get("/api/v1/ingestion/status")
    assert status["pending"] == len(ids)  # counted while in the inbox
    assert runtime(background_client).drain_all() == 0  # not before OTHERS_GRACE: the owner may
    assert waiting(background_client) == len(ids)
    assert box(background_client).ready([], received, 100) == []
    later = received + service.OTHERS_GRACE
    assert [row[0] for row in box(background_client).ready([], later, 100)] == ids
    runtime(background_client).drain_all(wait=True)  # waits for every event: moves them all
    assert waiting(background_client) == 0
    assert (
        db.scalar(
            select(func.count()).select_from(Run).where(Run.id.in_([uuid.UUID(r) for r in runs]))
        )
        == 2
    )


@pytest.mark.usefixtures("poisoned")
def test_an_unmappable_event_from_the_inbox_is_kept_with_its_error(
    background_client: TestClient, ingest_headers: dict[str, str], admin: Caller, db: Session
) -> None:
    poster = Poster(background_client, ingest_headers, admin)
    good, bad = run_id(), run_id()
    poster.post(
        orders_task("COMPLETE", run=good, dag_run=run_id()),
        airflow_task("COMPLETE", task="poison", run=bad, dag_run=run_id()),
    )
    for _ in range(MAX_ATTEMPTS + 1):
        runtime(background_client).drain_all(wait=True)
    assert waiting(background_client) == 0
    assert poster.get(f"/api/v1/runs/{good}")["state"] == "COMPLETE"
    failed = db.scalars(select(OpenLineageEvent).where(OpenLineageEvent.error.is_not(None))).one()
    assert (str(failed.run_id), "poisoned run" in (failed.error or "")) == (bad, True)


def test_a_restarted_server_moves_what_the_killed_one_left_at_once(
    background_client: TestClient,
) -> None:
    events = completes(2)
    service.stage(box(background_client), events, utcnow())  # then killed before its drain
    handoff, factory = Handoff(10), runtime(background_client).factory
    assert drain_batch(factory, handoff, box(background_client), 100) == 0  # may be alive
    restarted = utcnow()
    assert drain_batch(factory, handoff, box(background_client), 100, started=restarted) == 2
    assert waiting(background_client) == 0


def test_a_move_repeated_after_a_crash_changes_nothing(
    background_client: TestClient, db: Session
) -> None:
    run = run_id()
    events = start_and_complete(run)
    ids = service.stage(box(background_client), events, utcnow())
    rows = box(background_client).ready(ids, None, 100)
    # The move committed, then the process died before deleting the inbox rows.
    with db.begin():
        inbox.move(db, rows)
    runtime(background_client).drain_all(wait=True)
    assert waiting(background_client) == 0
    assert stored_and_mapped(db, ids, run) == (2, "COMPLETE", 2)


def test_inbox_ids_continue_after_the_events_table(database_url: str, db: Session) -> None:
    # Events stored with inline mapping went to the events table, ids 1..n.
    events = completes(3)
    with db.begin():
        inline_ids, _ = service.ingest(db, events, inline=True, now=utcnow())
    fresh = Inbox(database_url)
    with db.begin():
        fresh.continue_ids(db)
    staged = service.stage(fresh, events[:1], utcnow())
    fresh.dispose()
    assert staged[0] > max(inline_ids)


def _staged(database_url: str, count: int) -> list[int]:
    box = Inbox(database_url)
    events = completes(count)
    ids = service.stage(box, events, utcnow())
    box.dispose()
    return ids


def test_a_backup_holds_the_events_waiting_in_the_inbox(database_url: str, db: Session) -> None:
    ids = _staged(database_url, 2)
    summary = ops_backup.backup(database_url, io.BytesIO(), SECRET_KEY)
    assert summary.rows["openlineage_events"] == 2
    assert inbox.waiting(database_url) == 0  # moved into the events table, to be mapped
    pending = select(OpenLineageEvent.id).where(OpenLineageEvent.processed_at.is_(None))
    assert sorted(db.scalars(pending)) == ids


def test_a_backup_refused_for_the_revision_leaves_the_inbox_as_it_was(tmp_path: Path) -> None:
    behind = f"sqlite:///{tmp_path / 'behind.db'}"
    migrate.upgrade(behind, "0001")  # before the events table
    _staged(behind, 2)
    with pytest.raises(BackupError, match=r"revision 0001.*dlv db upgrade"):
        ops_backup.backup(behind, io.BytesIO(), SECRET_KEY)
    assert inbox.waiting(behind) == 2


def test_restore_counts_the_inbox_as_data_and_force_empties_it(
    database_url: str, tmp_path: Path
) -> None:
    data = io.BytesIO()
    ops_backup.backup(database_url, data, SECRET_KEY)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    _staged(target, 1)  # events acknowledged by the database being replaced
    with pytest.raises(BackupError, match=r"not empty \(inbox_events\)"):
        ops_restore.restore(target, io.BytesIO(data.getvalue()), SECRET_KEY)
    assert inbox.waiting(target) == 1
    ops_restore.restore(target, io.BytesIO(data.getvalue()), SECRET_KEY, force=True)
    assert inbox.waiting(target) == 0


def test_an_event_meeting_a_taken_id_is_kept_under_a_new_one(
    database_url: str, db: Session
) -> None:
    # The inbox's ids not continued after the events table's (what continue_ids prevents):
    # the moved event must not be dropped as if it had been moved before.
    with db.begin():
        [taken], _ = service.ingest(db, completes(1), inline=True, now=utcnow())
    box = Inbox(database_url)
    [clashing] = service.stage(box, completes(1), utcnow())
    rows = box.ready([clashing], None, 10)
    box.dispose()
    assert clashing == taken  # the same id, another event
    with db.begin():
        inbox.move(db, rows)
    assert db.scalar(select(func.count()).select_from(OpenLineageEvent)) == 2


def test_rows_kept_for_the_drain_are_the_rows_stored(database_url: str) -> None:
    keeping, reading = Inbox(database_url, keep=10), Inbox(database_url)
    ids = service.stage(keeping, completes(3), utcnow())
    from_file = reading.ready(ids, utcnow(), 10)
    assert [row[0] for row in from_file] == ids
    assert keeping.ready(ids, utcnow(), 10) == from_file  # bound and compressed alike
    keeping.dispose()
    reading.dispose()


def test_a_kept_event_another_drain_moved_and_mapped_is_not_mapped_again(
    background_client: TestClient, db: Session
) -> None:
    # This process stored the events and kept their rows; another process's drain moved and
    # mapped them (they had waited), then this drain takes them from its handoff.
    run = run_id()
    events = start_and_complete(run)
    ids = service.stage(box(background_client), events, utcnow())
    other = Inbox(str(runtime(background_client).settings.resolved_database_url))
    drain_batch(runtime(background_client).factory, Handoff(10), other, 100, wait=True)
    other.dispose()
    assert waiting(background_client) == 0
    runtime(background_client).handoff.put(zip(ids, events, strict=True))
    runtime(background_client).drain_all(wait=True)  # moves the kept rows again: a no-op
    assert stored_and_mapped(db, ids, run) == (2, "COMPLETE", 2)


def test_an_inbox_keeps_at_most_its_number_of_rows_the_newest(database_url: str) -> None:
    keeping = Inbox(database_url, keep=2)
    ids = service.stage(keeping, completes(3), utcnow())
    with keeping.engine.begin() as conn:  # gone from the file: only the kept rows are left
        conn.execute(text("DELETE FROM inbox_events"))
    assert [row[0] for row in keeping.ready(ids, None, 10)] == ids[1:]
    keeping.dispose()
