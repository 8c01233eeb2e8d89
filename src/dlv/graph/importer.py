"""Importing a dlv-graph document: validate everything, write in batches, all or nothing.

Nodes are upserted batch by batch as they stream in (compared with the stored row first, so an
unchanged node is not written at all). Every node key and every edge is also staged in a
temporary table; once the document has ended, parents and edge ends are resolved against the
catalog with a few set-based statements. Problems are collected (at most ``MAX_PROBLEMS``)
instead of stopping at the first, and once there is one nothing more is written: the caller
rolls the transaction back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
import numpy as np
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dlv.crypto import SecretBox
from dlv.db import utcnow
from dlv.errors import FieldError, InvalidInput
from dlv.graph import repository as repo
from dlv.graph import rows, staging
from dlv.graph.schemas import (
    FORMAT,
    VERSION,
    GraphEdge,
    GraphNode,
    ImportCounts,
    clean_key,
    fast_edges,
)
from dlv.graph.stream import Batch, DocumentInvalid, DocumentReader, Header
from dlv.nodes.models import SYSTEM_KINDS, NodeKind
from dlv.nodes.service import MAX_PARENT_DEPTH

MAX_PROBLEMS = 100
NODE_BATCH = 5_000
EDGE_BATCH = 50_000
PARENT_KINDS = frozenset({*SYSTEM_KINDS, NodeKind.job})
UNKNOWN_NODE = "no node with this namespace and name in the document or the catalog"

Key = tuple[str, str]


@dataclass
class _Writes:
    """What one batch of nodes changes."""

    noted: dict[int, set[tuple[str, str, datetime]]]
    new: list[dict[str, Any]] = field(default_factory=list)
    new_nodes: list[GraphNode] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    retag: list[int] = field(default_factory=list)
    tag_rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[uuid.UUID | int, GraphNode]] = field(default_factory=list)
    staged: list[tuple[int, str, str, str | None, str | None]] = field(default_factory=list)


class TooManyProblems(Exception):
    """Enough problems to report: stop reading."""


def _path(prefix: str, loc: Iterable[int | str]) -> str:
    return prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


class Importer:
    """One import, in the caller's transaction (which it never commits)."""

    def __init__(self, session: Session, box: SecretBox) -> None:
        self.session = session
        self.box = box
        self.now = utcnow()
        self.problems: list[FieldError] = []
        self.header: dict[str, Any] = {}
        self.nodes: list[tuple[int, GraphNode]] = []
        self.edges: list[tuple[int, str, str, str, str, str | None, str]] = []
        self.node_count = 0
        self.edge_count = 0
        self.created = 0
        self.annotations = 0
        self.parents_changed = 0
        # Dashboards are few and small: kept until the nodes and edges they name are in.
        self.dashboards: list[dict[str, Any]] = []

    # -- problems --------------------------------------------------------------------------

    def problem(self, field: str, message: str) -> None:
        self.problems.append(FieldError(field, message))
        if len(self.problems) >= MAX_PROBLEMS:
            raise TooManyProblems

    def _invalid(self, prefix: str, exc: ValidationError) -> None:
        # Messages only: the rejected input may hold a secret.
        for err in exc.errors(include_input=False, include_url=False):
            self.problem(_path(prefix, err["loc"]), str(err["msg"]))

    def _raise_if_problems(self) -> None:
        if self.problems:
            shown = ", ".join(p["field"] for p in self.problems[:5])
            more = " (the first 100)" if len(self.problems) >= MAX_PROBLEMS else ""
            raise InvalidInput(
                f"The document has {len(self.problems)} problem(s){more}, nothing was "
                f"imported: {shown}",
                errors=self.problems,
            )

    # -- the run ---------------------------------------------------------------------------

    def run(self, chunks: Iterable[bytes]) -> ImportCounts:
        """Read, validate and write the document; raise InvalidInput listing its problems."""
        restore = staging.prepare_import(self.session)
        try:
            edges_created = self._import(chunks)
        finally:
            staging.finish_import(self.session, restore)
        updated = staging.count_updated(self.session, self.now)
        return ImportCounts(
            nodes_created=self.created,
            nodes_updated=updated,
            nodes_unchanged=self.node_count - self.created - updated,
            edges_created=edges_created,
            edges_existing=self.edge_count - edges_created,
            annotations_created=self.annotations,
        )

    def _import(self, chunks: Iterable[bytes]) -> int:
        reader = DocumentReader(chunks, fast={"edges": fast_edges.decode})
        edges_created = 0
        try:
            for event in reader.events():
                if isinstance(event, Header):
                    self._header(event)
                elif event.section == "nodes":
                    self._node_batch(event)
                elif event.section == "dashboards":
                    self.dashboards.extend(event.items)
                else:
                    self._edge_batch(event)
            for key in ("format", "version"):
                if key not in self.header:
                    raise DocumentInvalid(key, "required")
            self._flush_nodes()
            self._flush_edges()
            self._raise_if_problems()
            self._finish_nodes()
            edges_created = self._finish_edges()
        except TooManyProblems:
            pass
        self._raise_if_problems()
        return edges_created

    def _header(self, event: Header) -> None:
        self.header[event.key] = event.value
        if event.key == "format" and event.value != FORMAT:
            raise DocumentInvalid("format", f"must be {FORMAT!r}")
        if event.key == "version" and (type(event.value) is not int or event.value != VERSION):
            raise DocumentInvalid(
                "version", f"unsupported version {event.value!r}; this server reads {VERSION}"
            )

    # -- nodes -----------------------------------------------------------------------------

    def _node_batch(self, batch: Batch) -> None:
        for offset, item in enumerate(batch.items):
            seq = batch.start + offset
            try:
                node = GraphNode.model_validate(item)
            except ValidationError as exc:
                self._invalid(f"nodes[{seq}]", exc)
                continue
            if self._node_ok(seq, node):
                self.nodes.append((seq, node))
        if len(self.nodes) >= NODE_BATCH:
            self._flush_nodes()

    def _node_ok(self, seq: int, node: GraphNode) -> bool:
        """The rules of nodes.service that need no database."""
        field = f"nodes[{seq}]"
        problems = len(self.problems)
        if node.connection is not None:
            if node.kind not in SYSTEM_KINDS:
                self.problem(f"{field}.connection", f"not allowed for kind {node.kind}")
            elif node.connection.kind != node.kind:
                self.problem(f"{field}.connection.kind", "must match the node's kind")
        if node.parent is not None:
            if node.kind in SYSTEM_KINDS:
                self.problem(f"{field}.parent", "systems are top-level")
            elif (node.parent.namespace, node.parent.name) == (node.namespace, node.name):
                self.problem(f"{field}.parent", "a node cannot be its own parent")
        return len(self.problems) == problems

    def _flush_nodes(self) -> None:
        pending, self.nodes = self.nodes, []
        batch: dict[Key, tuple[int, GraphNode]] = {}
        for seq, node in pending:
            key = (node.namespace, node.name)
            if key in batch:
                self.problem(f"nodes[{seq}]", f"duplicate of nodes[{batch[key][0]}]")
            else:
                batch[key] = (seq, node)
        self.node_count += len(batch)
        if self.problems or not batch:
            return
        writes = self._plan(batch)
        if self.problems:
            return
        ids = repo.insert_nodes(self.session, writes.new)
        self.created += len(writes.new)
        for node_row, node in zip(writes.new, writes.new_nodes, strict=True):
            writes.tag_rows.extend({"node_pk": ids[node_row["id"]], "tag": t} for t in node.tags)
        repo.update_nodes(self.session, writes.changed)
        repo.replace_tags(self.session, writes.retag, writes.tag_rows)
        notes = rows.annotation_rows(writes.notes, ids, writes.noted)
        self.annotations += len(notes)
        repo.insert_annotations(self.session, notes)
        staging.stage_nodes(self.session, writes.staged)

    def _plan(self, batch: dict[Key, tuple[int, GraphNode]]) -> _Writes:
        """Compare a batch with the stored nodes: what to insert, update, retag, stage."""
        existing = {
            (r.namespace, r.name): r for r in repo.existing_nodes(self.session, list(batch))
        }
        # Parents already stored (or written by an earlier batch) are set right away; the
        # others (later in the document, or invalid) are resolved and checked at the end.
        wanted = {(n.parent.namespace, n.parent.name) for _, n in batch.values() if n.parent}
        parents = {
            key: pk
            for key, (pk, kind) in repo.node_refs(self.session, list(wanted)).items()
            if kind in PARENT_KINDS
        }
        tags = repo.tags_of(self.session, [r.pk for r in existing.values()])
        writes = _Writes(
            noted=repo.annotations_of(
                self.session,
                [existing[k].pk for k, (_, n) in batch.items() if k in existing and n.annotations],
            )
        )
        for key, (seq, node) in batch.items():
            parent_key = (node.parent.namespace, node.parent.name) if node.parent else None
            parent_pk = parents.get(parent_key) if parent_key else None
            later = parent_key if parent_key and parent_pk is None else (None, None)
            writes.staged.append((seq, *key, *later))
            row = existing.get(key)
            if row is None:
                writes.new.append(rows.new_row(self.box, self.now, node, parent_pk))
                writes.new_nodes.append(node)
                writes.notes.append((writes.new[-1]["id"], node))
                continue
            if row.kind != node.kind:
                self.problem(
                    f"nodes[{seq}].kind", f"the stored node is a {row.kind}; a kind cannot change"
                )
                continue
            if parent_key is None:
                parent_pk = None
            elif parent_pk is None:
                parent_pk = row.parent_pk  # decided at the end
            self.parents_changed += parent_pk != row.parent_pk
            update = rows.update_row(self.box, self.now, row, node, parent_pk, tags.get(row.pk, []))
            if update is not None:
                writes.changed.append(update)
            if tags.get(row.pk, []) != node.tags:
                writes.retag.append(row.pk)
                writes.tag_rows.extend({"node_pk": row.pk, "tag": t} for t in node.tags)
            writes.notes.append((row.pk, node))
        return writes

    def _finish_nodes(self) -> None:
        for _, _, first, last in staging.duplicate_nodes(self.session, MAX_PROBLEMS):
            self.problem(f"nodes[{last}]", f"duplicate of nodes[{first}]")
        self._raise_if_problems()
        for seq, kind, itself in staging.parent_problems(self.session, MAX_PROBLEMS):
            if kind is None:
                self.problem(f"nodes[{seq}].parent", UNKNOWN_NODE)
            elif itself:
                self.problem(f"nodes[{seq}].parent", "a node cannot be its own parent")
            else:
                self.problem(f"nodes[{seq}].parent", f"must be a system or a job, not a {kind}")
        self._raise_if_problems()
        self.parents_changed += staging.apply_parents(self.session, self.now)
        if self.parents_changed:
            self._check_parent_cycles()

    def _check_parent_cycles(self) -> None:
        # Only a job can contain a job, so only links into jobs can loop.
        children, parents = staging.job_parent_links(self.session)
        if not children.size:
            return
        up = np.full(int(max(children.max(), parents.max())) + 1, -1, dtype=np.int64)
        up[children] = parents
        cur, looped = parents.copy(), np.zeros(children.size, dtype=bool)
        for _ in range(MAX_PARENT_DEPTH):
            looped |= cur == children
            cur = np.where(cur >= 0, up[np.maximum(cur, 0)], -1)
        if looped.any():
            for seq in staging.seq_of_pks(self.session, children[looped].tolist()[:MAX_PROBLEMS]):
                self.problem(f"nodes[{seq}].parent", "would make the node its own ancestor")
            self._raise_if_problems()

    # -- edges -----------------------------------------------------------------------------

    def _edge_batch(self, batch: Batch) -> None:
        staged = self.edges
        for offset, item in enumerate(batch.items):
            seq = batch.start + offset
            if batch.typed:
                s, t = item.source, item.target
                if clean_key(s.namespace, s.name) and clean_key(t.namespace, t.name):
                    if (s.namespace, s.name) == (t.namespace, t.name):
                        self.problem(f"edges[{seq}].target", "same node as the source")
                        continue
                    staged.append(
                        (
                            seq,
                            s.namespace,
                            s.name,
                            t.namespace,
                            t.name,
                            item.description,
                            item.origin,
                        )
                    )
                    continue
                item = msgspec.to_builtins(item)  # noqa: PLW2901 - the authoritative check below
            try:
                edge = GraphEdge.model_validate(item)
            except ValidationError as exc:
                self._invalid(f"edges[{seq}]", exc)
                continue
            s, t = edge.source, edge.target
            if (s.namespace, s.name) == (t.namespace, t.name):
                self.problem(f"edges[{seq}].target", "same node as the source")
                continue
            staged.append(
                (seq, s.namespace, s.name, t.namespace, t.name, edge.description, edge.origin.value)
            )
        if len(staged) >= EDGE_BATCH:
            self._flush_edges()

    def _flush_edges(self) -> None:
        pending, self.edges = self.edges, []
        self.edge_count += len(pending)
        if not self.problems:
            staging.stage_edges(self.session, pending)

    def _finish_edges(self) -> int:
        if not self.edge_count:
            return 0
        staging.resolve_edges(self.session)
        for seq, source, target in staging.unresolved_edges(self.session, MAX_PROBLEMS):
            for end, unknown in (("source", source), ("target", target)):
                if unknown:
                    self.problem(f"edges[{seq}].{end}", UNKNOWN_NODE)
        self._raise_if_problems()
        return staging.insert_edges(self.session, self.now)
