"""Applying a batch's Plan to the catalog: nodes, their metadata and parents, edges, columns.

Manual work is never overwritten: an existing edge is left as it is whatever its origin, and a
node's owner, description and parent change only while they hold what an event last wrote
there (``openlineage_nodes``) or nothing. Every graph change goes to the lineage change log in
the same transaction, so the next lineage query in any process sees it.

Each metadata field remembers ``[event time, digest]`` of the value it holds, and the value of
the newest event wins: an event older than the held time never replaces a different value.
Producers repeat the same facets in every event, so a repeat of the held value writes nothing
unless it is ``STAMP_STEP`` newer (then only its time moves). The price: among events less
than ``STAMP_STEP`` apart, a late one with a different value can win until the next event
comes; beyond that, the result does not depend on arrival order.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic_core import to_json
from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.principal import SYSTEM, Principal
from dlv.db import new_id, utcnow
from dlv.ingestion import catalog_repository as repository
from dlv.ingestion import mapping
from dlv.ingestion.catalog_repository import EdgeRow, FactsRow, NodeRow
from dlv.ingestion.mapping import Key, NodeSpec, Plan, Sender, Sighting, postgres_address
from dlv.ingestion.models import RunState
from dlv.lineage import changes
from dlv.lineage.models import OBSERVED_ORIGINS, EdgeOrigin
from dlv.nodes import repository as nodes_repository
from dlv.nodes.models import SYSTEM_KINDS, NodeKind, NodeStatus
from dlv.nodes.schemas import MAX_TAGS
from dlv.ops import metrics

MAX_PARENT_DEPTH = 64
STAMP_STEP = timedelta(hours=1)
ORIGIN = EdgeOrigin.openlineage.value
PERSON_FIELDS = ("owners", "description")


def actor(sender: Sender) -> Principal:
    """The principal an audit record names for an event's sender."""
    kind: Literal["user", "token"] = "user" if sender.kind == "user" else "token"
    # The label is what audit records show; a token's was stored with its "token:" prefix.
    name = sender.name.removeprefix("token:")
    return Principal(kind=kind, id=sender.id or uuid.UUID(int=0), name=name, grant="ingest")


def digest(value: Any) -> str:
    """A short hash of a JSON-able value (a key order change just costs one write)."""
    return hashlib.blake2b(to_json(value), digest_size=16).hexdigest()


def newer(time: datetime, value_digest: str, held: tuple[datetime, str] | None) -> bool | None:
    """Does a value at ``time`` replace ``held``? True: write the value; None: only move the
    held time forward; False: nothing to write."""
    if held is None:
        return True
    held_time, held_digest = held
    if value_digest == held_digest:
        return None if time >= held_time + STAMP_STEP else False
    # A different value: the later one wins; at the same moment the larger digest, so that
    # two values stamped with one time resolve the same in any order.
    return (time, value_digest) > held


@dataclass
class Catalog:
    """The batch's view of the catalog: its nodes and their facts rows, loaded once."""

    session: Session
    nodes: dict[Key, NodeRow]
    facts: dict[int, FactsRow]
    now: datetime = field(default_factory=utcnow)
    # Node statuses to write: one statement for the batch, not one per job.
    statuses: dict[int, dict[str, Any]] = field(default_factory=dict)
    created: set[int] = field(default_factory=set)  # nodes this batch inserted
    _systems: list[tuple[int, str, int, str | None]] | None = None

    def facts_of(self, pk: int) -> FactsRow:
        facts = self.facts.get(pk)
        if facts is None:
            facts = self.facts[pk] = FactsRow(node_pk=pk, new=True)
        return facts

    def held(self, pk: int, name: str) -> tuple[datetime, str] | None:
        facts = self.facts.get(pk)
        entry = facts.field_times.get(name) if facts is not None else None
        return (datetime.fromisoformat(entry[0]), entry[1]) if entry else None

    def stamp(self, pk: int, name: str, time: datetime, value_digest: str) -> None:
        facts = self.facts_of(pk)
        facts.set("field_times", {**facts.field_times, name: [time.isoformat(), value_digest]})

    def systems(self) -> list[tuple[int, str, int, str | None]]:
        if self._systems is None:
            self._systems = []
            for pk, connection in repository.postgres_systems(self.session):
                conn = connection or {}
                host, port = conn.get("host"), conn.get("port", 5432)
                if isinstance(host, str) and isinstance(port, int):
                    self._systems.append((pk, host.lower(), port, conn.get("database")))
        return self._systems

    def save(self) -> None:
        repository.save_facts(self.session, self.facts.values(), self.now)
        repository.update_nodes(
            self.session, [{"pk": pk, **values} for pk, values in self.statuses.items()]
        )


def load(session: Session, plan: Plan) -> Catalog:
    """Find or create every node the plan names; lock their facts rows."""
    keys = list(plan.nodes)
    found = repository.nodes_by_key(session, keys)
    missing = [k for k in keys if k not in found]
    created: set[int] = set()
    if missing:
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "id": new_id(),
                "kind": plan.nodes[k].kind.value,
                "namespace": k[0],
                "name": k[1],
                "secret_fields": [],
                "status": NodeStatus.unknown.value,
                "created_at": now,
                "updated_at": now,
            }
            for k in missing
        ]
        inserted = repository.insert_nodes(session, rows)
        metrics.ingest_nodes_created.inc(len(inserted))
        for node in inserted:
            key = (node.namespace, node.name)
            found[key] = node
            created.add(node.pk)
            snapshot = {"kind": node.kind, "namespace": node.namespace, "name": node.name}
            audit.record(
                session,
                actor(plan.nodes[key].sender),
                "node.create",
                "node",
                node.id,
                {**snapshot, "origin": ORIGIN},
            )
        # Inserted by another process between our read and our insert.
        found.update(repository.nodes_by_key(session, [k for k in missing if k not in found]))
    facts = repository.facts_for_update(session, [n.pk for n in found.values()])
    # By primary key: the node updates below, one statement per node, then take their row
    # locks in the same order in every process (as the repository's writes do), so two
    # processes mapping at once never deadlock.
    nodes = dict(sorted(found.items(), key=lambda item: item[1].pk))
    return Catalog(session, nodes, facts, created=created)


def _offer(catalog: Catalog, node: NodeRow, name: str, time: datetime, value: Any) -> Any:
    """Apply one field's value from an event; the {from, to} diff if the node changed."""
    value_digest = digest(value)
    decision = newer(time, value_digest, catalog.held(node.pk, name))
    if decision is False:
        return None
    if name in PERSON_FIELDS:
        facts = catalog.facts.get(node.pk)
        current, ours = getattr(node, name), getattr(facts, name) if facts else None
        if current not in (None, []) and current != ours:
            return None  # a person set it: theirs stands
    catalog.stamp(node.pk, name, time, value_digest)
    if decision is None:
        return None  # the same value, newer: only the time moved
    facts = catalog.facts_of(node.pk)
    if name == "sql":
        facts.set("sql", value[0])
        facts.set("sql_dialect", value[1])
        return None
    facts.set(name, value)
    if name not in PERSON_FIELDS or getattr(node, name) == value:
        return None
    diff = {"from": getattr(node, name), "to": value}
    setattr(node, name, value)
    return diff


def _mark_derived(catalog: Catalog, node: NodeRow, spec: NodeSpec) -> None:
    """A node this batch made from SQL or column lineage alone says so; once an event
    reports it as an input or output, it no longer does."""
    facts = catalog.facts.get(node.pk)
    held = facts.derived if facts is not None else None
    if spec.reported:
        if held is not None:
            catalog.facts_of(node.pk).set("derived", None)
    elif held is None and node.pk in catalog.created and "derived" in spec.fields:
        catalog.facts_of(node.pk).set("derived", spec.fields["derived"][1])


def apply_metadata(catalog: Catalog, plan: Plan) -> None:
    """Owners, description, columns, query and job type: the newest event's."""
    for key, node in catalog.nodes.items():
        spec = plan.nodes[key]
        changed: dict[str, Any] = {}
        _mark_derived(catalog, node, spec)
        for name, (time, raw) in spec.fields.items():
            if name not in ("parent", "tags", "derived"):
                value = mapping.columns(raw) if name == "columns" else raw
                diff = _offer(catalog, node, name, time, value)
                if diff is not None:
                    changed[name] = diff
        if changed:
            values = {name: d["to"] for name, d in changed.items()}
            if "owners" in values:
                values["owner"] = values["owners"][0] if values["owners"] else None
            repository.update_node(catalog.session, node.pk, values)
            audit.record(
                catalog.session,
                actor(spec.sender),
                "node.update",
                "node",
                node.id,
                {**audit.mask(changed), "origin": ORIGIN},
            )


def apply_tags(catalog: Catalog, plan: Plan) -> None:
    """Tags facets: the newest event's tags replace the ones events set before; tags a
    person set stay whatever events say."""
    wanted: dict[int, tuple[NodeRow, Sender, list[str]]] = {}
    for key, node in catalog.nodes.items():
        spec = plan.nodes[key]
        stamped = spec.fields.get("tags")
        if stamped is None:
            continue
        time, tags = stamped
        value_digest = digest(tags)
        decision = newer(time, value_digest, catalog.held(node.pk, "tags"))
        if decision is False:
            continue
        catalog.stamp(node.pk, "tags", time, value_digest)
        if decision is True:
            wanted[node.pk] = (node, spec.sender, tags)
    if not wanted:
        return
    current = repository.tags_of(catalog.session, list(wanted))
    added: list[tuple[int, str]] = []
    removed: list[tuple[int, str]] = []
    for pk, (node, sender, tags) in wanted.items():
        facts = catalog.facts_of(pk)
        have, ours, new = current.get(pk, set()), set(facts.tags or ()), set(tags)
        plus = sorted(new - have)[: max(MAX_TAGS - len(have), 0)]
        minus = sorted((ours - new) & have)
        facts.set("tags", sorted(new))
        if not plus and not minus:
            continue
        added.extend((pk, t) for t in plus)
        removed.extend((pk, t) for t in minus)
        before = sorted(have)
        after = sorted((have | set(plus)) - set(minus))
        audit.record(
            catalog.session,
            actor(sender),
            "node.update",
            "node",
            node.id,
            {"tags": {"from": before, "to": after}, "origin": ORIGIN},
        )
    repository.change_tags(catalog.session, added, removed)


def _postgres_system(catalog: Catalog, node: NodeRow) -> int | None:
    address = postgres_address(node.namespace)
    if address is None:
        return None
    candidates = [s for s in catalog.systems() if (s[1], s[2]) == address]
    if len(candidates) > 1:
        # Several databases on one server: the dataset name starts with its database.
        database = node.name.split(".", 1)[0]
        candidates = [s for s in candidates if s[3] == database]
    return candidates[0][0] if len(candidates) == 1 else None


def _may_parent(catalog: Catalog, node: NodeRow, parent_pk: int) -> bool:
    if parent_pk == node.pk or node.kind in SYSTEM_KINDS:
        return False
    parent_kind = next((n.kind for n in catalog.nodes.values() if n.pk == parent_pk), None)
    parent_kind = parent_kind or repository.node_kind(catalog.session, parent_pk)
    if parent_kind not in SYSTEM_KINDS and parent_kind != NodeKind.job:
        return False
    ancestors = nodes_repository.ancestor_pks(catalog.session, parent_pk, MAX_PARENT_DEPTH)
    return node.pk not in ancestors


def _wanted_parent(catalog: Catalog, node: NodeRow, stamped: Any) -> int | None:
    if stamped is not None:
        time, parent_key = stamped
        parent = catalog.nodes.get(parent_key)
        if parent is None:
            return None
        value_digest = digest(parent.pk)
        decision = newer(time, value_digest, catalog.held(node.pk, "parent"))
        if decision is False:
            return None
        catalog.stamp(node.pk, "parent", time, value_digest)
        return parent.pk
    if node.kind == NodeKind.dataset and node.parent_pk is None:
        return _postgres_system(catalog, node)
    return None


def apply_parents(catalog: Catalog, plan: Plan) -> None:
    """Parent facets link a task to its DAG and a Spark job to its application; a
    ``postgres://host:port`` dataset goes under the catalogued server it lives on."""
    for key, node in catalog.nodes.items():
        spec = plan.nodes[key]
        target = _wanted_parent(catalog, node, spec.fields.get("parent"))
        if target is None or target == node.parent_pk:
            continue
        facts = catalog.facts.get(node.pk)
        ours = facts.parent_pk if facts is not None else None
        if node.parent_pk is not None and node.parent_pk != ours:
            continue  # a person placed it
        if not _may_parent(catalog, node, target):
            continue
        old = node.parent_pk
        ids = repository.node_ids(catalog.session, [p for p in (old, target) if p is not None])
        node.parent_pk = target
        catalog.facts_of(node.pk).set("parent_pk", target)
        repository.update_node(catalog.session, node.pk, {"parent_pk": target})
        changes.log(catalog.session, changes.PARENT_SET, node.pk, target)
        audit.record(
            catalog.session,
            actor(spec.sender),
            "node.update",
            "node",
            node.id,
            {
                "parent_id": {"from": ids.get(old) if old else None, "to": ids.get(target)},
                "origin": ORIGIN,
            },
        )


Edges = dict[tuple[int, int], EdgeRow]


def apply_edges(catalog: Catalog, plan: Plan) -> Edges:
    """inputs -> job -> outputs, each with the events that last reported it; edges a person or
    an import drew stay as they are."""
    seen: dict[tuple[int, int], Sighting] = {}
    for (source_key, target_key), sighting in plan.edges.items():
        source, target = catalog.nodes.get(source_key), catalog.nodes.get(target_key)
        if source is not None and target is not None and source.pk != target.pk:
            seen[(source.pk, target.pk)] = sighting
    pairs = list(seen)
    edges = repository.edges_between(catalog.session, pairs)
    rows = [
        {
            "id": new_id(),
            "source_pk": s,
            "target_pk": t,
            "origin": seen[(s, t)].origin,
            "created_at": catalog.now,
            "first_seen_at": seen[(s, t)].first,
            "last_seen_at": seen[(s, t)].last,
            "last_run_id": seen[(s, t)].run_id,
        }
        for s, t in pairs
        if (s, t) not in edges
    ]
    inserted = repository.insert_edges(catalog.session, rows)
    if inserted:
        metrics.ingest_edges_created.inc(len(inserted))
        changes.log_many(catalog.session, changes.EDGE_ADDED, [(s, t) for _, s, t in inserted])
        ids = {n.pk: n.id for n in catalog.nodes.values()}
        for edge_id, s, t in inserted:
            sighting = seen[(s, t)]
            edges[(s, t)] = EdgeRow(
                edge_id, sighting.origin, sighting.first, sighting.last, sighting.run_id, None
            )
            audit.record(
                catalog.session,
                actor(sighting.sender),
                "edge.create",
                "edge",
                edge_id,
                {"source_id": ids[s], "target_id": ids[t], "origin": sighting.origin},
            )
    missing = [p for p in pairs if p not in edges]
    if missing:  # inserted by another process meanwhile
        edges.update(repository.edges_between(catalog.session, missing))
    _confirm(catalog, seen, edges, {(s, t) for _, s, t in inserted})
    return edges


def _health_runs(catalog: Catalog, pair: tuple[int, int]) -> set[uuid.UUID]:
    runs = (catalog.facts.get(pk) for pk in pair)
    return {f.health_run_id for f in runs if f is not None and f.health_run_id is not None}


def _confirm(
    catalog: Catalog, seen: dict[tuple[int, int], Sighting], edges: Edges, new: Any
) -> None:
    """Move the seen times and the run of the observed edges events reported again, and
    bring back a stale one when a run as new as the one that left it out reports it (or the
    job's latest run does: its events may come after its completion)."""
    updates: list[dict[str, Any]] = []
    revived: list[tuple[int, int]] = []
    for pair, sighting in seen.items():
        edge = edges.get(pair)
        if edge is None or pair in new or edge.origin not in OBSERVED_ORIGINS:
            continue
        values: dict[str, Any] = {}
        if edge.origin != sighting.origin == ORIGIN:  # derived, and now reported
            values["origin"] = ORIGIN
        if edge.first_seen_at is None or sighting.first < edge.first_seen_at:
            values["first_seen_at"] = sighting.first
        last = edge.last_seen_at
        # Once per run, and then hourly: a job's events repeat its datasets in every event.
        if last is None or (
            sighting.last > last
            and (sighting.run_id != edge.last_run_id or sighting.last >= last + STAMP_STEP)
        ):
            values["last_seen_at"], values["last_run_id"] = sighting.last, sighting.run_id
        if edge.stale_since is not None and (
            sighting.last >= edge.stale_since or sighting.runs & _health_runs(catalog, pair)
        ):
            values["stale_since"] = None
            revived.append(pair)
        if values:
            updates.append({"id": edge.id, **values})
            for name, value in values.items():
                setattr(edge, name, value)
    repository.update_edges(catalog.session, updates)
    if revived:
        changes.log_many(catalog.session, changes.EDGE_ADDED, revived)
        ids = {n.pk: n.id for n in catalog.nodes.values()}
        for s, t in revived:
            audit.record(
                catalog.session,
                actor(seen[(s, t)].sender),
                "edge.update",
                "edge",
                edges[(s, t)].id,
                {"source_id": ids[s], "target_id": ids[t], "stale": {"from": True, "to": False}},
            )


def expire_edges(catalog: Catalog, job: NodeRow, run_id: uuid.UUID, start: datetime) -> None:
    """A job's run succeeded: its observed edges that no event since the run's start
    reported are stale (kept, and shown when asked, but out of lineage answers). Only if
    the run reported any edge at all: a run whose lineage was not extracted says nothing."""
    if not repository.run_reported_edges(catalog.session, job.pk, run_id):
        return
    stale = repository.stale_edges_of(catalog.session, job.pk, start)
    if not stale:
        return
    changes.log_many(catalog.session, changes.EDGE_REMOVED, [(s, t) for _, s, t in stale])
    ids = repository.node_ids(catalog.session, {pk for _, s, t in stale for pk in (s, t)})
    for edge_id, s, t in stale:
        audit.record(
            catalog.session,
            SYSTEM,
            "edge.update",
            "edge",
            edge_id,
            {
                "source_id": ids.get(s),
                "target_id": ids.get(t),
                "stale": {"from": False, "to": True},
                "reason": f"run {run_id} of {job.namespace}/{job.name} no longer reports it",
            },
        )


def apply_columns(catalog: Catalog, plan: Plan, edges: Edges) -> None:
    """Column lineage on the job -> output edges that events drew (not on others' edges)."""
    wanted: dict[uuid.UUID, Any] = {}
    for (job, output), spec in plan.columns.items():
        j, o = catalog.nodes.get(job), catalog.nodes.get(output)
        edge = edges.get((j.pk, o.pk)) if j is not None and o is not None else None
        if edge is not None and edge.origin == ORIGIN:
            wanted[edge.id] = spec
    if not wanted:
        return
    held = repository.column_digests_for_update(catalog.session, list(wanted))
    new, changed = [], []
    for edge_id, spec in wanted.items():
        value_digest = digest([spec.fields, spec.dataset])
        row = {"edge_id": edge_id, "event_time": spec.time, "updated_at": catalog.now}
        current = held.get(edge_id)
        decision = newer(spec.time, value_digest, current)
        lineage = {"fields": spec.fields, "dataset": spec.dataset, "digest": value_digest}
        if current is None:
            new.append({**row, **lineage})
        elif decision is True:
            changed.append({**row, **lineage})
        elif decision is None:
            changed.append(row)
    repository.save_column_lineages(catalog.session, new, changed)


def _outcome(catalog: Catalog, pks: set[int]) -> dict[int, tuple[Any, ...]]:
    """``{job pk: (time, state, run id, message)}``: this batch's facts, else the stored."""
    held = {
        pk: (f.health_time, f.health_state, f.health_run_id, f.health_message)
        for pk in pks
        if (f := catalog.facts.get(pk)) is not None and f.health_time is not None
    }
    held.update(repository.health_of(catalog.session, pks - held.keys()))
    return held


def follow_producers(catalog: Catalog, jobs: dict[int, Sender]) -> None:
    """The datasets these jobs write follow their producers' latest outcome: ``at_risk``
    ("producer X failed at T") when the producer whose run ended last failed, ``ok`` once a
    producer's run succeeds after it. A dataset in ``error`` (a person's, or a check's) is
    left as it is."""
    outputs = repository.outputs_of(catalog.session, jobs)
    datasets = {d for _, d in outputs}
    if not datasets:
        return
    producers: dict[int, list[int]] = {}
    for job, dataset in repository.producers_of(catalog.session, datasets):
        producers.setdefault(dataset, []).append(job)
    outcomes = _outcome(catalog, {j for js in producers.values() for j in js})
    known = {n.pk: n for n in catalog.nodes.values()}
    wanted = datasets | {j for js in producers.values() for j in js}
    known.update(repository.nodes_by_pk(catalog.session, wanted - known.keys()))
    sender_of = {d: jobs[j] for j, d in outputs}
    for dataset in sorted(datasets):
        node = known.get(dataset)
        ended = [(outcomes[j], j) for j in producers.get(dataset, ()) if j in outcomes]
        if node is None or not ended or node.status == NodeStatus.error:
            continue
        (time, state, _, message), job = max(ended, key=lambda e: (e[0][0], str(e[0][2])))
        if state in (RunState.FAIL, RunState.ABORT):
            producer = known[job]
            why = f": {message}" if message else ""
            text = f"producer {producer.name} failed at {time:%Y-%m-%d %H:%M:%S} UTC{why}"
            set_status(catalog, node, NodeStatus.at_risk, text, sender_of[dataset])
        else:
            set_status(catalog, node, NodeStatus.ok, None, sender_of[dataset])


def set_status(
    catalog: Catalog, node: NodeRow, status: NodeStatus, message: str | None, sender: Sender
) -> None:
    """A node's status after the latest run (its own or a producer's), audited when it
    changes."""
    if node.status == status and node.status_message == message:
        return
    before = {"status": node.status, "status_message": node.status_message}
    node.status, node.status_message = status, message
    catalog.statuses[node.pk] = {
        "status": status.value,
        "status_message": message,
        "status_changed_at": catalog.now,
    }
    after = {"status": node.status, "status_message": node.status_message}
    audit.record(
        catalog.session,
        actor(sender),
        "node.status",
        "node",
        node.id,
        {**audit.diff(before, after), "origin": ORIGIN},
    )
