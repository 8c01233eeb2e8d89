"""OpenLineage ingestion: store events, map them into the catalog and runs, read runs back.

``ingest`` is what the HTTP endpoints' writer calls with a batch of valid events: one INSERT
of the raw events and, in the same transaction, their mapping (inside a savepoint: if mapping
fails, the events stay stored and unmapped, and ``drain`` retries them one by one).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dlv.errors import NotFound
from dlv.events import service as events
from dlv.events.service import EventKind
from dlv.ingestion import catalog as catalog_ops
from dlv.ingestion import catalog_repository, decoding, edges, inbox, mapping, repository
from dlv.ingestion.catalog import Catalog
from dlv.ingestion.catalog_repository import FactsRow
from dlv.ingestion.events import InvalidEvent, ParsedEvent
from dlv.ingestion.handoff import Handoff
from dlv.ingestion.mapping import Health, Plan, RunFold, Sender, Sent
from dlv.ingestion.models import (
    FAILED_STATES,
    TERMINAL_STATES,
    ColumnLineage,
    OpenLineageEvent,
    OpenLineageNode,
    Run,
    RunState,
)
from dlv.ingestion.quality import apply_quality
from dlv.nodes.models import NodeStatus
from dlv.ops import metrics

log = logging.getLogger("dlv.ingestion")

MAX_ATTEMPTS = 3
# Another live process's stored events are for its own drain, which has them parsed: taken
# here they are read back and parsed again. On SQLite, where the two drains take turns on the
# one write lock, drains took the other's events for 30-50% of all events, inside the lock
# (measured). So a drain takes them only once they have waited this long (their process
# died, or the bounded handoff dropped them), or came before its process started (the server
# was restarted). A live drain's backlog can wait for seconds: a drain gives way to incoming
# events for up to DRAIN_MAX_DEFER_SECONDS (5) and maps 2,000 events at a time; with 2 s,
# on a slow hour 29% of a SQLite batch run's events were moved by the other process first.
OTHERS_GRACE = timedelta(seconds=10)
Batch = Sequence[Sent]


class RunNotFound(NotFound):
    pass


class NodeNotFound(NotFound):
    pass


class EdgeNotFound(NotFound):
    pass


def _received_rows(batch: Batch, now: datetime) -> list[dict[str, object]]:
    """What a request sets of each event's row (``inbox.COLUMNS`` but ``id``)."""
    return [
        {
            "received_at": now,
            "event_time": e.event_time,
            "kind": e.kind.value,
            "event_type": e.event_type.value if e.event_type else None,
            "run_id": e.run_id,
            "namespace": e.namespace,
            "name": e.name,
            "payload": e.payload,
            "sender_kind": s.kind,
            "sender_id": s.id,
            "sender": s.name,
        }
        for e, s in batch
    ]


def _raw_rows(batch: Batch, now: datetime, mapped: bool) -> list[dict[str, object]]:
    done = now if mapped else None
    return [
        {**row, "processed_at": done, "attempts": 0, "error": None}
        for row in _received_rows(batch, now)
    ]


def stage(box: inbox.Inbox, batch: Batch, now: datetime) -> list[int]:
    """Store events in the SQLite inbox, committed there, for a drain to map; their ids."""
    return box.store(_received_rows(batch, now))


def ingest(
    session: Session, batch: Batch, *, inline: bool, now: datetime
) -> tuple[list[int], bool]:
    """Store the events; map them too when ``inline``. (ids, whether any are left unmapped)"""
    ids = repository.insert_events(session, _raw_rows(batch, now, inline))
    if not inline:
        return ids, True
    try:
        with session.begin_nested():
            apply(session, batch, ids)
    except Exception as exc:  # any mapping failure: the events are stored; drain retries
        log.debug("mapping failed", exc_info=exc)
        log.warning(
            "mapping a batch of %d events failed (%s); retrying one by one",
            len(batch),
            type(exc).__name__,
        )
        repository.set_pending(session, ids)
        return ids, True
    return ids, False


def apply(session: Session, batch: Batch, ids: Sequence[int], plan: Plan | None = None) -> None:
    """Map stored events (``ids``, aligned with ``batch``) into the catalog and runs
    (idempotent: the same events change nothing). ``plan``: the batch's, if already folded."""
    if plan is None:
        plan = mapping.plan(batch)
    _drop_duplicates(session, plan, batch, ids)
    if not plan.nodes:
        return
    catalog = catalog_ops.load(session, plan)
    catalog_ops.apply_metadata(catalog, plan)
    catalog_ops.apply_tags(catalog, plan)
    catalog_ops.apply_parents(catalog, plan)
    drawn = edges.apply_edges(catalog, plan)
    edges.apply_columns(catalog, plan, drawn)
    _apply_health(catalog, _apply_runs(catalog, plan))
    apply_quality(catalog, plan)  # after health: it may hold a status health just set
    catalog.save()


def _same_event(text: str, other: str) -> bool:
    """The same JSON, whatever its key order and spacing: a client that retries may
    serialize the event again. Parsed only when the run, type and time already match."""
    return text == other or orjson.loads(text) == orjson.loads(other)


def _drop_duplicates(session: Session, plan: Plan, batch: Batch, ids: Sequence[int]) -> None:
    """A delivery a client retried is the same run event twice (same run, type, time and
    JSON): the later copy changes nothing. It leaves its run's fold, and its stored row is
    deleted. Copies stored before the batch are found by the run's other events (by run id,
    indexed), whose text is read only when type and time match; a copy stored after the
    batch finds this one when it is mapped."""
    first: dict[tuple[Any, ...], list[int]] = {}  # (run, type, time) -> positions in batch
    copies: list[int] = []
    for position, (parsed, _) in enumerate(batch):
        if parsed.run_id is None:
            continue
        moment = (parsed.run_id, parsed.event_type, parsed.event_time)
        held = first.setdefault(moment, [])
        if any(_same_event(batch[p][0].payload, parsed.payload) for p in held):
            copies.append(position)
        else:
            held.append(position)
    if first:
        stored = repository.run_event_moments(session, {m[0] for m in first}, min(ids))
        earlier = [(event_id, m) for event_id, m in stored if m in first]
        texts = repository.stored(session, [i for i, _ in earlier]) if earlier else {}
        for event_id, stored_moment in earlier:
            for position in first[stored_moment]:
                if position not in copies and _same_event(
                    batch[position][0].payload, texts[event_id][0]
                ):
                    copies.append(position)
    if not copies:
        return
    dropped = {id(batch[p][0]) for p in copies}  # the plan holds the same parsed events
    for run_id in list(plan.runs):
        kept = [item for item in plan.runs[run_id] if id(item[0]) not in dropped]
        if kept:
            plan.runs[run_id] = kept
        else:
            del plan.runs[run_id]
    repository.delete_events(session, [ids[p] for p in copies])
    metrics.ingest_duplicates.inc(len(copies))


def _fold_of(run: dict[str, Any]) -> RunFold:
    return RunFold(
        RunState(run["state"]),
        run["state_time"],
        run["started_at"],
        run["error_message"],
        run["first_event_time"],
        run["last_event_time"],
        run["event_count"],
        run["parent_run_id"],
        run["lineage"],
    )


class Candidate(NamedTuple):
    """A job's terminal run, as a candidate for the job's status."""

    job_pk: int
    health: Health
    sender: Sender
    start: datetime  # the run's first event time
    lineage: bool  # whether the run named any dataset


def _run_values(fold: RunFold) -> dict[str, Any]:
    return {
        "state": fold.state.value,
        "state_time": fold.state_time,
        "started_at": fold.started_at,
        "ended_at": fold.ended_at,
        "duration_seconds": fold.duration_seconds,
        "error_message": fold.error_message,
        "first_event_time": fold.first_event_time,
        "last_event_time": fold.last_event_time,
        "event_count": fold.event_count,
        "parent_run_id": fold.parent_run_id,
        "lineage": fold.lineage,
    }


def _apply_runs(catalog: Catalog, plan: Plan) -> list[Candidate]:
    held = catalog_repository.runs_for_update(catalog.session, list(plan.runs))
    candidates: list[Candidate] = []
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    moved: list[tuple[int | None, dict[str, Any]]] = []  # runs whose state changed
    for run_id in sorted(plan.runs):
        items = plan.runs[run_id]
        run = held.get(run_id)
        fold = _fold_of(run) if run is not None else None
        for parsed, _ in items:
            fold = mapping.fold(fold, parsed)
        assert fold is not None
        values = {**_run_values(fold), "updated_at": catalog.now}
        first, sender = items[0]
        if run is None:
            job = catalog.nodes.get((first.namespace, first.name))
            job_pk = job.pk if job else None
            new.append(
                {
                    "id": run_id,
                    "job_pk": job_pk,
                    "job_namespace": first.namespace,
                    "job_name": first.name,
                    "created_at": catalog.now,
                    **values,
                }
            )
        else:
            job_pk = run["job_pk"]
            changed.append({"id": run_id, **values})
        prior = run["state"] if run is not None else None
        if run is None or run["state"] != fold.state.value:
            moved.append((job_pk, {**_run_event(run_id, first, fold), "previous": prior}))
        if fold.state in TERMINAL_STATES and job_pk is not None:
            health = Health(run_id, fold.state_time, fold.state, fold.error_message)
            candidates.append(
                Candidate(job_pk, health, sender, fold.first_event_time, fold.lineage)
            )
    catalog_repository.save_runs(catalog.session, new, changed)
    ids = {n.pk: n.id for n in catalog.nodes.values()}
    events.emit_many(
        catalog.session, EventKind.run_state, ((ids.get(pk or -1), p) for pk, p in moved)
    )
    return candidates


def _run_event(run_id: uuid.UUID, first: ParsedEvent, fold: RunFold) -> dict[str, Any]:
    # The stream's run.state: the job by name (its node may not exist), never the run's facets.
    return {
        "run_id": str(run_id),
        "namespace": first.namespace,
        "job": first.name,
        "state": fold.state.value,
        "error_message": fold.error_message,
    }


def _held_health(facts: FactsRow | None) -> Health | None:
    if facts is None or facts.health_run_id is None or facts.health_time is None:
        return None
    state = RunState(facts.health_state or RunState.OTHER)
    return Health(facts.health_run_id, facts.health_time, state, facts.health_message)


def _apply_health(catalog: Catalog, candidates: list[Candidate]) -> None:
    """Each job's status follows its latest terminal run (a RUNNING run changes nothing); a
    successful run ages the edges it no longer reports; what the jobs write follows them."""
    nodes = {n.pk: n for n in catalog.nodes.values()}
    changed: dict[int, Sender] = {}
    succeeded: list[edges.Finished] = []
    for job_pk, health, sender, start, lineage in sorted(
        candidates, key=lambda c: (c.health.time, c.health.run_id)
    ):
        node = nodes.get(job_pk)
        current = _held_health(catalog.facts.get(job_pk))
        if node is None or not mapping.newer_health(current, health):
            continue
        facts = catalog.facts_of(job_pk)
        facts.set("health_run_id", health.run_id)
        facts.set("health_time", health.time)
        facts.set("health_state", health.state.value)
        facts.set("health_message", health.message)
        changed[job_pk] = sender
        if health.state in FAILED_STATES:
            message = health.message or f"Run {health.run_id} ended {health.state.value}"
            catalog_ops.set_status(catalog, node, NodeStatus.error, message, sender)
        else:
            catalog_ops.set_status(catalog, node, NodeStatus.ok, None, sender)
            catalog.succeeded(job_pk, health.time)
            if lineage and (current is None or current.run_id != health.run_id):
                succeeded.append((node, health.run_id, start))
    edges.expire_edges(catalog, succeeded)
    if changed:
        edges.follow_producers(catalog, changed)


def _parse_stored(payload: str) -> ParsedEvent | None:
    try:
        parsed = decoding.parse_event(payload)
    except InvalidEvent:
        return None
    return parsed if isinstance(parsed, ParsedEvent) else None


def _describe(exc: Exception) -> str:
    # The driver's own error, first line only: SQLAlchemy's wrapper goes on with the
    # statement and its parameters.
    cause: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
    lines = str(cause).splitlines()
    return f"{type(cause).__name__}: {lines[0][:300]}" if lines else type(cause).__name__


def others_cutoff(now: datetime, started: datetime | None = None) -> datetime:
    """Events not handed off here are taken if received before this: they waited
    ``OTHERS_GRACE``, or came before this process ``started`` (no live handoff holds them)."""
    waited = now - OTHERS_GRACE
    return waited if started is None else max(waited, started)


def _others_below(session: Session, before: datetime) -> int:
    """Events not handed off here may be taken below this id: those received ``before``
    (0: none was)."""
    waited = repository.last_pending_received_before(session, before)
    return 0 if waited is None else waited + 1


def _claim(
    session: Session,
    limit: int,
    wait: bool,
    handoff: Handoff,
    before: datetime,
    own: dict[int, Sent],
) -> tuple[list[int], dict[int, Sent]]:
    """The ids of the events to map, locked, and those of them this process parsed (``own``,
    taken from the handoff, or more if another drain mapped all of those).

    This process's own events come first, from its handoff. Other events (another process's,
    one that died, or events the handoff dropped) are read back and parsed again, so they
    are taken only once they have waited ``OTHERS_GRACE``, oldest first, topping a batch of
    own events up or alone; with ``wait``, all of them, so that every event stored before
    the call is mapped after it. Handed-off events another drain mapped meanwhile are passed
    over at once: the writer may be waiting for the room they take."""
    while own:
        ids = repository.pending(session, limit, wait=wait, among=list(own))
        if len(ids) < limit:
            below = min(own) if wait else min(*own, _others_below(session, before))
            if below:
                ids[:0] = repository.pending(session, limit - len(ids), wait=wait, before=below)
        if ids:
            return ids, own
        own = handoff.take(limit)
    if wait:
        return repository.pending(session, limit, wait=wait), {}
    below = _others_below(session, before)
    return (repository.pending(session, limit, wait=wait, before=below) if below else []), {}


def _gather(
    session: Session, ids: list[int], own: dict[int, Sent], now: datetime
) -> tuple[list[Sent], list[int]]:
    """The claimed events, handed off or read back and parsed, and their ids. One whose
    stored text no longer parses is set aside with an error."""
    stored = repository.stored(session, [i for i in ids if i not in own])
    batch: list[Sent] = []
    taken: list[int] = []
    for event_id in ids:
        item = own.get(event_id)
        if item is None:
            text, kind, sender_id, name = stored[event_id]
            parsed_event = _parse_stored(text)
            if parsed_event is None:  # stored by a version that read events differently
                row = repository.event(session, event_id)
                row.processed_at, row.error = now, "not a valid OpenLineage event"
                continue
            item = (parsed_event, Sender(kind, sender_id, name))
        batch.append(item)
        taken.append(event_id)
    return batch, taken


def drain(
    session: Session,
    limit: int,
    now: datetime,
    *,
    handoff: Handoff,
    wait: bool = False,
    staging: inbox.Staging | None = None,
    others_before: datetime | None = None,
    on_failures: Callable[[int], None] | None = None,
) -> int:
    """Map up to ``limit`` stored, unmapped events; the number taken (0 when none wait).

    Events another process is mapping are skipped, unless ``wait``: then this returns only
    after they are mapped, so that every event stored before the call is mapped after it.
    The ``handoff`` holds events as this process parsed them when storing them, so that only
    the others are read back and parsed again. ``staging``: SQLite's inbox, whose events
    this moves into the events table first, in this transaction. Events not handed off
    here are taken if received before ``others_before`` (default: ``others_cutoff(now)``).
    ``on_failures`` is told how many events failed to map (each has its error recorded).
    """
    own = handoff.take(limit)
    # Planned before the first statement, which on SQLite takes the write lock: folding the
    # events is pure Python, ~13% of a drain's time in the lock (profiled), and the lock is
    # what limits SQLite. Used if the batch turns out to be these events.
    planned, early = list(own), mapping.plan(own.values())
    if staging is not None:
        staging.stage(session, list(own))
    before = others_cutoff(now) if others_before is None else others_before
    ids, own = _claim(session, limit, wait, handoff, before, own)
    if not ids:
        return 0
    batch, taken = _gather(session, ids, own, now)
    failures = len(ids) - len(taken)  # stored text that no longer parses
    try:
        with session.begin_nested():
            apply(session, batch, taken, early if taken == planned else None)
        repository.mark_processed(session, taken, now)
        if failures and on_failures is not None:
            on_failures(failures)
        return len(ids)
    except Exception as exc:  # one bad event must not hold back the others: go one by one
        log.warning(
            "mapping %d stored events failed (%s); retrying one by one", len(batch), _describe(exc)
        )
        log.debug("mapping failed", exc_info=exc)
    for event_id, item in zip(taken, batch, strict=True):
        row = repository.event(session, event_id)
        try:
            with session.begin_nested():
                apply(session, [item], [event_id])
            row.processed_at, row.error = now, None
        except Exception as exc:  # recorded on the event; given up after MAX_ATTEMPTS
            failures += 1
            row.attempts += 1
            row.error = _describe(exc)
            if row.attempts >= MAX_ATTEMPTS:
                row.processed_at = now
    session.flush()
    if failures and on_failures is not None:
        on_failures(failures)
    return len(ids)


# -- reading -----------------------------------------------------------------------------


def search_runs(
    session: Session,
    *,
    node_id: uuid.UUID | None,
    state: RunState | None,
    since: datetime | None,
    cursor: str | None,
    limit: int,
) -> Sequence[Run]:
    """Runs, newest first; ``node_id`` is the job's node (unknown matches nothing)."""
    job_pk = None
    if node_id is not None:
        job_pk = repository.node_pk_of(session, node_id) or -1
    return repository.search_runs(
        session,
        job_pk=job_pk,
        state=state.value if state else None,
        since=since,
        cursor=cursor,
        limit=limit,
    )


def get_run(session: Session, run_id: uuid.UUID) -> Run:
    """One run, or RunNotFound."""
    run = repository.get_run(session, run_id)
    if run is None:
        raise RunNotFound(f"No run with id {run_id}")
    return run


def run_events(session: Session, run_id: uuid.UUID) -> Sequence[OpenLineageEvent]:
    """A run's raw events, oldest first (pruned ones are gone)."""
    return repository.events_of_run(session, run_id)


def job_ids(session: Session, runs: Sequence[Run]) -> dict[int, uuid.UUID]:
    """The public ids of the runs' job nodes."""
    return catalog_repository.node_ids(session, {r.job_pk for r in runs if r.job_pk is not None})


def node_facts(session: Session, node_id: uuid.UUID) -> tuple[uuid.UUID, OpenLineageNode | None]:
    """What events said about a node (None if none did), or NodeNotFound."""
    pk = repository.node_pk_of(session, node_id)
    if pk is None:
        raise NodeNotFound(f"No node with id {node_id}")
    return node_id, repository.node_facts(session, pk)


def edge_columns(session: Session, edge_id: uuid.UUID) -> ColumnLineage | None:
    """An edge's column lineage (None if events gave none), or EdgeNotFound."""
    if not repository.edge_exists(session, edge_id):
        raise EdgeNotFound(f"No edge with id {edge_id}")
    return repository.column_lineage(session, edge_id)


def column_lineage_for_pairs(
    session: Session, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], ColumnLineage]:
    """Column lineage of the given (source pk, target pk) edges, for lineage answers."""
    return repository.column_lineage_by_pairs(session, pairs)


def backlog(session: Session, box: inbox.Inbox | None) -> tuple[int, int, datetime | None]:
    """(unmapped events, events that failed to map, oldest unmapped receipt time), those
    waiting in the SQLite inbox included."""
    pending, failed, oldest = repository.count_events(session)
    if box is not None:
        waiting, first = box.count()
        pending += waiting
        oldest = min((t for t in (oldest, first) if t is not None), default=None)
    return pending, failed, oldest
