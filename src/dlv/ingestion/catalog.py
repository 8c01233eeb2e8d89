"""Applying a batch's Plan to the catalog: nodes, their metadata, tags, parents and status
(edges and column lineage: ``edges``).

Manual work is never overwritten: a node's owners, description, tags and parent change only
while they hold what an event last wrote there (``openlineage_nodes``) or nothing. Every graph
change goes to the lineage change log in the same transaction, so the next lineage query in
any process sees it.

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
from dlv.auth.principal import Principal
from dlv.db import new_id, utcnow
from dlv.events import service as events
from dlv.events.service import EventKind
from dlv.ingestion import catalog_repository as repository
from dlv.ingestion import mapping
from dlv.ingestion.catalog_repository import FactsRow, NodeRow
from dlv.ingestion.mapping import Key, NodeSpec, Plan, Sender, postgres_address
from dlv.lineage import changes
from dlv.lineage.models import EdgeOrigin
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
        events.emit_many(
            session,
            EventKind.node_created,
            ((n.id, {"namespace": n.namespace, "name": n.name, "kind": n.kind}) for n in inserted),
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
