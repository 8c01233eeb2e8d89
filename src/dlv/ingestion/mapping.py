"""From events to what they mean for the catalog: pure functions, no I/O.

Two rules make the result independent of arrival order and of duplicates:

- A run's state is the *maximum* of its events under ``state_key``: a terminal event beats
  START/RUNNING whatever their times, START/RUNNING beat OTHER, and within a class the later
  event wins (ties broken by a fixed order of types). A maximum does not care about order or
  repetition.
- Every metadata field (owners, description, tags, columns, query, job type, parent) remembers the
  event time it came from; an older event never replaces a newer one's value.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from dlv.ingestion.derive import Derived, derive, lineage_inputs
from dlv.ingestion.events import (
    DatasetFacets,
    DatasetIn,
    EventIn,
    JobFacets,
    JobIn,
    OwnershipFacet,
    ParsedEvent,
    RunFacets,
    SchemaField,
    dataset_key,
)
from dlv.ingestion.models import FAILED_STATES, TERMINAL_STATES, RunState
from dlv.lineage.models import EdgeOrigin
from dlv.nodes.models import NodeKind
from dlv.nodes.schemas import MAX_DESCRIPTION, MAX_OWNER, keep_owners, keep_tags
from dlv.ops.logging import scrub
from dlv.quality.facets import FACETS as QUALITY_FACETS

Key = tuple[str, str]
Pair = tuple[Key, Key]

MAX_DIALECT = 64
DEFAULT_POSTGRES_PORT = 5432

_CLASS = {
    RunState.OTHER: 0,
    RunState.START: 1,
    RunState.RUNNING: 1,
    RunState.COMPLETE: 2,
    RunState.ABORT: 2,
    RunState.FAIL: 2,
}
_TIE = {s: i for i, s in enumerate(RunState.__members__.values())}


def state_key(state: RunState, time: datetime) -> tuple[int, datetime, int]:
    """The order in which events decide a run's state (see the module docstring)."""
    return (_CLASS[state], time, _TIE[state])


@dataclass(frozen=True)
class Sender:
    """Who sent an event (kept on the raw row; audit records name them)."""

    kind: str
    id: uuid.UUID | None
    name: str


# An event and who sent it: what is stored, handed off and mapped together.
Sent = tuple[ParsedEvent, Sender]


@dataclass
class NodeSpec:
    """Everything a batch says about one node."""

    kind: NodeKind
    sender: Sender
    fields: dict[str, tuple[datetime, Any]] = field(default_factory=dict)
    # An event named it as an input, output or dataset (not only in SQL or column lineage).
    reported: bool = False

    def offer(self, name: str, time: datetime, value: Any) -> None:
        held = self.fields.get(name)
        if held is None or time >= held[0]:
            self.fields[name] = (time, value)


@dataclass
class ColumnSpec:
    time: datetime
    fields: dict[str, Any]
    dataset: list[Any]


@dataclass(slots=True)
class Sighting:
    """What a batch saw of one edge: who first sent it, the event times that reported it,
    and the run of the latest."""

    sender: Sender
    first: datetime
    last: datetime
    run_id: uuid.UUID | None
    origin: str = EdgeOrigin.openlineage.value


@dataclass(slots=True)
class QualitySpec:
    """One event's input facets that may report a dataset's quality: read (leniently) after
    the fold, the latest event of each dataset and run first; an ``earlier`` one is read only
    when the later facets are not readable (they never replace a readable report)."""

    time: datetime
    run_id: uuid.UUID | None
    job: Key
    facets: dict[str, Any]
    earlier: QualitySpec | None = None


def report_key(time: datetime, run_id: uuid.UUID | None) -> str:
    """One stored report per dataset and run (a run's START and COMPLETE repeat it); an
    event without a run is a report of its own moment."""
    return str(run_id) if run_id is not None else f"t:{time.isoformat()}"


@dataclass
class Plan:
    """A batch of events folded into node, edge, column lineage and run changes."""

    nodes: dict[Key, NodeSpec] = field(default_factory=dict)
    edges: dict[Pair, Sighting] = field(default_factory=dict)
    columns: dict[Pair, ColumnSpec] = field(default_factory=dict)
    latest: dict[Key, Seen] = field(default_factory=dict)  # each job's latest event
    runs: dict[uuid.UUID, list[Sent]] = field(default_factory=dict)
    # (dataset, report key) -> the latest event's data quality facets for it
    quality: dict[tuple[Key, str], QualitySpec] = field(default_factory=dict)

    def node(self, key: Key, kind: NodeKind, sender: Sender) -> NodeSpec:
        spec = self.nodes.get(key)
        if spec is None:
            spec = self.nodes[key] = NodeSpec(kind, sender)
        return spec


def columns(fields: Sequence[SchemaField]) -> list[dict[str, Any]]:
    """A schema facet's fields as the catalog keeps them."""
    return _schema_columns(fields)


def _schema_columns(fields: Sequence[SchemaField]) -> list[dict[str, Any]]:
    columns = []
    for f in fields:
        column: dict[str, Any] = {
            "name": f["name"],
            "type": f.get("type"),
            "description": f.get("description"),
        }
        if f.get("fields"):
            column["fields"] = _schema_columns(f["fields"])
        columns.append(column)
    return columns


def owner_names(ownership: OwnershipFacet) -> list[str]:
    """Every owner an ownership facet names, in order, each once. An owner is a short name
    in the catalog: a longer one (or past ``MAX_OWNERS``) is left for a person to set."""
    owners = ownership.get("owners") or ()
    if len(owners) == 1:  # the usual facet
        name = owners[0]["name"].strip()
        return [name] if 0 < len(name) <= MAX_OWNER and name.isprintable() else []
    return keep_owners(o["name"] for o in owners)


def tag_names(facet: Any) -> list[str]:
    """The catalog tags of a ``tags`` facet (``[{"key", "value", "source"}]``): the key, or
    ``key:value`` when the value says more than the key; what is no valid tag is skipped."""
    items = facet.get("tags") if isinstance(facet, dict) else None
    return keep_tags(
        item["key"]
        if item.get("value") in (None, "", item["key"], True, "true")
        else f"{item['key']}:{item['value']}"
        for item in (items if isinstance(items, list) else ())
        if isinstance(item, dict) and isinstance(item.get("key"), str)
    )


def _common_facets(spec: NodeSpec, time: datetime, facets: JobFacets | DatasetFacets) -> None:
    ownership = facets.get("ownership")
    if ownership is not None:
        owners = owner_names(ownership)
        if owners:
            spec.offer("owners", time, owners)
    documentation = facets.get("documentation")
    if documentation is not None and len(documentation["description"]) <= MAX_DESCRIPTION:
        spec.offer("description", time, documentation["description"])
    tags = facets.get("tags")
    if tags is not None:
        spec.offer("tags", time, tag_names(tags))


def _job(plan: Plan, job: JobIn, time: datetime, sender: Sender) -> Key:
    key = (job["namespace"], job["name"])
    spec = plan.node(key, NodeKind.job, sender)
    facets = job.get("facets")
    if facets is not None:
        _common_facets(spec, time, facets)
        sql = facets.get("sql")
        if sql is not None:
            dialect = sql.get("dialect")
            # The catalog's dialect is a short name (64); a longer one stays in the raw event.
            if dialect is not None and len(dialect) > MAX_DIALECT:
                dialect = None
            spec.offer("sql", time, (sql["query"], dialect))
        job_type = facets.get("jobType")
        if job_type is not None:
            value = {
                "processingType": job_type["processingType"],
                "integration": job_type["integration"],
                "jobType": job_type.get("jobType"),
            }
            spec.offer("job_type", time, value)
    return key


def _dataset(plan: Plan, dataset: DatasetIn, time: datetime, sender: Sender) -> Key:
    key = (dataset["namespace"], dataset["name"])
    spec = plan.node(key, NodeKind.dataset, sender)
    spec.reported = True
    facets = dataset.get("facets")
    if facets is not None:
        _common_facets(spec, time, facets)
        schema = facets.get("schema")
        if schema is not None:
            # Converted once per node and batch (in ``columns``), not once per event.
            spec.offer("columns", time, schema.get("fields", []))
    return key


@dataclass(frozen=True)
class Seen:
    """An event that reports edges: when, in which run, from whom."""

    time: datetime
    run_id: uuid.UUID | None
    sender: Sender


def _edge(
    plan: Plan, source: Key, target: Key, seen: Seen, origin: str = EdgeOrigin.openlineage
) -> None:
    if source == target:
        return
    sighting = plan.edges.get((source, target))
    time = seen.time
    if sighting is None:
        plan.edges[(source, target)] = Sighting(seen.sender, time, time, seen.run_id, origin)
        return
    # Inline, not a method: this runs for every dataset of every event.
    sighting.first = min(sighting.first, time)
    if time >= sighting.last:
        sighting.last = time
        if seen.run_id is not None:
            sighting.run_id = seen.run_id
    if origin == EdgeOrigin.openlineage:  # reported beats derived
        sighting.origin = origin


def _derived(plan: Plan) -> None:
    """Datasets the batch's column lineage or SQL names but its events do not report
    (``derive``): once per job and batch, from the job's latest lineage and SQL, sighted as
    the job's latest event (producers repeat both in every event of a run)."""
    reported: dict[Key, set[Key]] = {}
    for (source, target), sighting in plan.edges.items():
        if sighting.origin == EdgeOrigin.openlineage:
            job = target if plan.nodes[target].kind is NodeKind.job else source
            reported.setdefault(job, set()).update((source, target))
    named: dict[Key, set[Key]] = {}
    for (job, _), column in plan.columns.items():
        named.setdefault(job, set()).update(lineage_inputs(column.fields, column.dataset))
    for job, seen in plan.latest.items():
        sql = plan.nodes[job].fields.get("sql")
        found = derive(reported.get(job, set()), named.get(job, set()), sql[1][0] if sql else None)
        for item in found:
            _derive_one(plan, job, seen, item)


def _derive_one(plan: Plan, job: Key, seen: Seen, found: Derived) -> None:
    key = dataset_key(*found.key)
    if key is not None:
        spec = plan.node(key, NodeKind.dataset, seen.sender)
        mark = {"job": f"{job[0]}/{job[1]}", "source": found.source}
        spec.offer("derived", seen.time, mark)
        if found.role == "input":
            _edge(plan, key, job, seen, EdgeOrigin.derived)
        else:
            _edge(plan, job, key, seen, EdgeOrigin.derived)


def _quality(plan: Plan, dataset: Key, input_facets: Any, job: Key, seen: Seen) -> None:
    if not isinstance(input_facets, dict) or QUALITY_FACETS.isdisjoint(input_facets):
        return
    key = (dataset, report_key(seen.time, seen.run_id))
    spec = QualitySpec(seen.time, seen.run_id, job, input_facets)
    held = plan.quality.get(key)
    if held is None or seen.time >= held.time:
        spec.earlier, plan.quality[key] = held, spec
        return
    while held.earlier is not None and held.earlier.time > seen.time:  # newest first
        held = held.earlier
    spec.earlier, held.earlier = held.earlier, spec


def _flow(plan: Plan, event: EventIn, job: Key, seen: Seen) -> None:
    time, sender = seen.time, seen.sender
    for dataset in event.get("inputs") or ():
        source = _dataset(plan, dataset, time, sender)
        _edge(plan, source, job, seen)
        input_facets = dataset.get("inputFacets")
        if input_facets:  # rare: one lookup per input is all the others pay
            _quality(plan, source, input_facets, job, seen)
    for dataset in event.get("outputs") or ():
        output = _dataset(plan, dataset, time, sender)
        _edge(plan, job, output, seen)
        facets = dataset.get("facets")
        lineage = facets.get("columnLineage") if facets else None
        if lineage is not None and output != job:
            held = plan.columns.get((job, output))
            if held is None or time >= held.time:
                fields = dict(lineage["fields"])
                plan.columns[(job, output)] = ColumnSpec(time, fields, lineage.get("dataset", []))
    held_seen = plan.latest.get(job)
    if held_seen is None or time >= held_seen.time:
        plan.latest[job] = seen


def plan(events: Iterable[Sent]) -> Plan:
    """Fold a batch of events into one Plan."""
    result = Plan()
    for parsed, sender in events:
        event, time = parsed.event, parsed.event_time
        job_in, dataset_in = event.get("job"), event.get("dataset")
        if dataset_in is not None and job_in is None:
            _dataset(result, dataset_in, time, sender)
            continue
        if job_in is None:
            continue
        job = _job(result, job_in, time, sender)
        run = event.get("run")
        facets = run.get("facets") if run else None
        parent = facets.get("parent") if facets else None
        if parent is not None:
            parent_key = (parent["job"]["namespace"], parent["job"]["name"])
            if parent_key != job:
                result.node(parent_key, NodeKind.job, sender)
                result.nodes[job].offer("parent", time, parent_key)
        _flow(result, event, job, Seen(time, parsed.run_id, sender))
        if parsed.run_id is not None:
            result.runs.setdefault(parsed.run_id, []).append((parsed, sender))
    _derived(result)
    return result


@dataclass
class RunFold:
    """A run's state as folded from its events so far."""

    state: RunState
    state_time: datetime
    started_at: datetime | None
    error_message: str | None
    first_event_time: datetime
    last_event_time: datetime
    event_count: int
    parent_run_id: uuid.UUID | None
    # Whether any of its events named a dataset: a run that named none says nothing about
    # which edges its job still has (its lineage was not extracted), so it ages none.
    lineage: bool = False

    @property
    def ended_at(self) -> datetime | None:
        return self.state_time if self.state in TERMINAL_STATES else None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max((self.ended_at - self.started_at).total_seconds(), 0.0)


def _run_facets(event: EventIn) -> RunFacets | None:
    run = event.get("run")
    return run.get("facets") if run else None


def _error_message(event: EventIn) -> str | None:
    error = (_run_facets(event) or {}).get("errorMessage")
    # Kept on the run and shown as the job's status: a stack trace may quote a login.
    return scrub(error["message"]) if error else None


def fold(run: RunFold | None, parsed: ParsedEvent) -> RunFold:
    """``run`` with one more event; the same events in any order give the same RunFold."""
    state = parsed.event_type or RunState.OTHER
    time = parsed.event_time
    message = _error_message(parsed.event) if state in FAILED_STATES else None
    parent_facet = (_run_facets(parsed.event) or {}).get("parent")
    parent = parent_facet["run"]["runId"] if parent_facet else None
    started = time if state is RunState.START else None
    lineage = bool(parsed.event.get("inputs") or parsed.event.get("outputs"))
    if run is None:
        return RunFold(state, time, started, message, time, time, 1, parent, lineage)
    run.lineage = run.lineage or lineage
    new, old = state_key(state, time), state_key(run.state, run.state_time)
    if new > old:
        run.state, run.state_time, run.error_message = state, time, message
    elif new == old and message is not None:
        # Two different messages for one decisive moment: keep one, the same one every time.
        run.error_message = max(run.error_message or "", message)
    if started is not None:
        run.started_at = min(run.started_at or started, started)
    run.first_event_time = min(run.first_event_time, time)
    run.last_event_time = max(run.last_event_time, time)
    run.event_count += 1
    if parent is not None:
        run.parent_run_id = parent
    return run


@dataclass(frozen=True)
class Health:
    """The terminal run a job's status follows: the latest one by event time."""

    run_id: uuid.UUID
    time: datetime
    state: RunState
    message: str | None


def newer_health(current: Health | None, candidate: Health) -> bool:
    """Should ``candidate`` replace ``current``? (a max over runs, so order does not matter)"""
    if current is None or candidate.run_id == current.run_id:
        return current != candidate
    return (candidate.time, candidate.run_id) > (current.time, current.run_id)


def postgres_address(namespace: str) -> tuple[str, int] | None:
    """(host, port) of a ``postgres://host:port`` dataset namespace, else None."""
    if not namespace.lower().startswith(("postgres://", "postgresql://")):
        return None
    try:
        parts = urlsplit(namespace)
        port = parts.port or DEFAULT_POSTGRES_PORT
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname.lower(), port
