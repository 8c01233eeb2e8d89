"""The catalog: nodes, their connection configs (secrets sealed), tags and annotations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.principal import Principal
from dlv.crypto import SecretBox
from dlv.db import utcnow
from dlv.errors import Conflict, FieldError, InvalidInput, NotFound
from dlv.events import service as events
from dlv.events.service import EventKind
from dlv.lineage import changes
from dlv.monitor.schedule import DEFAULT_INTERVAL_SECONDS, schedulable
from dlv.nodes import connections, repository
from dlv.nodes.models import SYSTEM_KINDS, Annotation, Node, NodeKind, NodeStatus
from dlv.nodes.repository import NodeFilter
from dlv.nodes.schemas import AnnotationRead, NodeCreate, NodeRead, NodeSortField, NodeUpdate

MAX_PARENT_DEPTH = 64
MIN_INTERVAL_SECONDS = 30  # DLV_MONITOR_MIN_INTERVAL_SECONDS; tests lower it
INTERVAL_FIELD = "body.check_interval_seconds"


class NodeNotFound(NotFound):
    pass


class AnnotationNotFound(NotFound):
    pass


class NodeExists(Conflict):
    pass


class NodeHasChildren(Conflict):
    pass


def get(session: Session, node_id: uuid.UUID) -> Node:
    """One node, or NodeNotFound."""
    node = repository.get(session, node_id)
    if node is None:
        raise NodeNotFound(f"No node with id {node_id}")
    return node


def search(
    session: Session,
    where: NodeFilter,
    *,
    sort: NodeSortField = NodeSortField.name,
    descending: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Sequence[Node]:
    """Nodes matching ``where``; one more than ``limit`` when a page follows."""
    return repository.search(
        session, where, sort=sort, descending=descending, cursor=cursor, limit=limit
    )


def sort_values(node: Node, sort: NodeSortField) -> list[Any]:
    """The cursor values of ``node`` in a list sorted by ``sort``."""
    return [repository.sort_value(node, sort), node.pk]


def to_read(node: Node) -> NodeRead:
    """The response form of a node: secrets reduced to ``*_set`` flags."""
    connection = (
        connections.to_read(node.connection, set(node.secret_fields)) if node.connection else None
    )
    return NodeRead(
        id=node.id,
        kind=NodeKind(node.kind),
        namespace=node.namespace,
        name=node.name,
        parent_id=node.parent_id,
        description=node.description,
        owner=node.owner,
        owners=list(node.owners),
        tags=node.tags,
        annotations=[AnnotationRead.model_validate(a) for a in node.annotations],
        status=NodeStatus(node.status),
        status_message=node.status_message,
        status_changed_at=node.status_changed_at,
        connection=connection,
        check_interval_seconds=node.check_interval_seconds,
        collect_on_schedule=node.collect_on_schedule,
        next_check_at=node.next_check_at,
        created_at=node.created_at,
        updated_at=node.updated_at,
    )


def snapshot(node: Node) -> dict[str, Any]:
    """The audited fields of a node (connection without secrets, secrets as set/unset)."""
    return {
        "kind": node.kind,
        "namespace": node.namespace,
        "name": node.name,
        "parent_id": node.parent_id,
        "description": node.description,
        "owners": list(node.owners),
        "tags": node.tags,
        "connection": connections.masked(node.connection) if node.connection else None,
        "secrets_set": sorted(node.secret_fields),
        "check_interval_seconds": node.check_interval_seconds,
        "collect_on_schedule": node.collect_on_schedule,
    }


def set_owners(node: Node, owners: list[str]) -> None:
    """Every owner, and the first of them as ``owner``."""
    node.owners = list(owners)
    node.owner = owners[0] if owners else None


def _resolve_parent(session: Session, kind: str, parent_id: uuid.UUID, pk: int | None) -> Node:
    parent = repository.get(session, parent_id)
    field = "body.parent_id"
    if parent is None:
        raise InvalidInput(
            f"Parent {parent_id} does not exist", errors=[FieldError(field, "unknown node")]
        )
    if kind in SYSTEM_KINDS:
        raise InvalidInput(
            "A system node cannot have a parent",
            errors=[FieldError(field, "systems are top-level")],
        )
    if parent.kind not in SYSTEM_KINDS and parent.kind != NodeKind.job:
        raise InvalidInput(
            f"A {kind} can belong to a system or a job, not a {parent.kind}",
            errors=[FieldError(field, "parent must be a system or a job")],
        )
    if pk is not None and (
        parent.pk == pk or pk in repository.ancestor_pks(session, parent.pk, MAX_PARENT_DEPTH)
    ):
        raise InvalidInput(
            "A node cannot be its own ancestor", errors=[FieldError(field, "would form a cycle")]
        )
    return parent


def _apply_connection(
    node: Node, box: SecretBox, config: BaseModel | None, *, keep_secrets: bool
) -> None:
    if config is None:
        node.connection, node.connection_secrets, node.secret_fields = None, None, []
        return
    public, new_secrets = connections.split_secrets(config)
    cleared = {path for path, value in _sent_secrets(config).items() if value == ""}
    if keep_secrets:
        old = box.open(node.connection_secrets)
        merged = connections.carry_over_secrets(new_secrets, old, public)
        new_secrets = {p: v for p, v in merged.items() if p not in cleared}
    node.connection = public
    node.connection_secrets = box.seal(new_secrets)
    node.secret_fields = sorted(new_secrets)


def _sent_secrets(config: BaseModel) -> dict[str, str]:
    # Secrets explicitly present in the request (an empty string means "clear it").
    sent: dict[str, str] = {}
    for name in config.model_fields_set:
        value = getattr(config, name)
        if isinstance(value, BaseModel):
            sent.update({f"{name}.{k}": v for k, v in _sent_secrets(value).items()})
        elif hasattr(value, "get_secret_value"):
            sent[name] = value.get_secret_value()
    return sent


def _check_connection(kind: str, config: BaseModel | None) -> None:
    if config is None:
        return
    if kind not in SYSTEM_KINDS:
        raise InvalidInput(
            f"A {kind} node has no connection; only postgres, airflow and spark nodes do",
            errors=[FieldError("body.connection", f"not allowed for kind {kind}")],
        )
    config_kind = getattr(config, "kind", None)
    if config_kind != kind:
        raise InvalidInput(
            f"A {kind} node cannot have a {config_kind} connection",
            errors=[FieldError("body.connection.kind", "must match the node's kind")],
        )


def _check_interval(kind: str, interval: int | None, min_interval: int) -> None:
    if interval is None:
        return
    if kind not in SYSTEM_KINDS:
        raise InvalidInput(
            f"A {kind} node is never checked; only postgres, airflow and spark nodes are",
            errors=[FieldError(INTERVAL_FIELD, f"not allowed for kind {kind}")],
        )
    if interval < min_interval:
        raise InvalidInput(
            f"Checks run at most every {min_interval} seconds",
            errors=[FieldError(INTERVAL_FIELD, f"must be at least {min_interval}")],
        )


def _reschedule(node: Node) -> None:
    """Due now when the loop should check it (a new config deserves a look), else never."""
    if schedulable(node.connection is not None, node.check_interval_seconds):
        node.next_check_at = utcnow()
    else:
        node.next_check_at = None


def _ensure_key_free(session: Session, namespace: str, name: str, pk: int | None) -> None:
    existing = repository.get_by_key(session, namespace, name)
    if existing is not None and existing.pk != pk:
        raise NodeExists(
            f"A node named {name!r} already exists in namespace {namespace!r}",
            errors=[FieldError("body.name", "namespace and name must be unique together")],
            extra={"existing_id": str(existing.id)},
        )


def create(
    session: Session,
    actor: Principal,
    box: SecretBox,
    data: NodeCreate,
    *,
    min_interval: int = MIN_INTERVAL_SECONDS,
) -> Node:
    """Add a node to the catalog; one with a connection is checked every 300 s by default."""
    _check_connection(data.kind, data.connection)
    if "check_interval_seconds" in data.model_fields_set:
        interval = data.check_interval_seconds
    else:
        interval = DEFAULT_INTERVAL_SECONDS if data.connection is not None else None
    _check_interval(data.kind, interval, min_interval)
    _ensure_key_free(session, data.namespace, data.name, None)
    parent = _resolve_parent(session, data.kind, data.parent_id, None) if data.parent_id else None
    node = Node(
        kind=data.kind,
        namespace=data.namespace,
        name=data.name,
        parent=parent,
        description=data.description,
        secret_fields=[],
        check_interval_seconds=interval,
        collect_on_schedule=data.collect_on_schedule,
    )
    set_owners(node, data.all_owners())
    _apply_connection(node, box, data.connection, keep_secrets=False)
    _reschedule(node)
    repository.add(session, node)
    repository.set_tags(session, node, data.tags)
    if parent is not None:
        changes.log(session, changes.PARENT_SET, node.pk, parent.pk)
    _emit(session, EventKind.node_created, node)
    audit.record(session, actor, "node.create", "node", node.id, snapshot(node))
    return node


def update(
    session: Session,
    actor: Principal,
    box: SecretBox,
    node_id: uuid.UUID,
    data: NodeUpdate,
    *,
    min_interval: int = MIN_INTERVAL_SECONDS,
) -> Node:
    """Change the fields sent; connection secrets not sent are kept."""
    node = get(session, node_id)
    before = snapshot(node)
    sent = data.model_fields_set
    if "namespace" in sent or "name" in sent:
        namespace = data.namespace or node.namespace
        name = data.name or node.name
        _ensure_key_free(session, namespace, name, node.pk)
        node.namespace, node.name = namespace, name
    if "parent_id" in sent:
        parent = (
            _resolve_parent(session, node.kind, data.parent_id, node.pk) if data.parent_id else None
        )
        if (parent.pk if parent else None) != node.parent_pk:
            node.parent = parent
            changes.log(session, changes.PARENT_SET, node.pk, parent.pk if parent else -1)
    if "description" in sent:
        node.description = data.description
    owners = data.sent_owners()
    if owners is not None:
        set_owners(node, owners)
    if "tags" in sent:
        repository.set_tags(session, node, data.tags or [])
    if "check_interval_seconds" in sent:
        _check_interval(node.kind, data.check_interval_seconds, min_interval)
        node.check_interval_seconds = data.check_interval_seconds
    if data.collect_on_schedule is not None:
        node.collect_on_schedule = data.collect_on_schedule
    if "connection" in sent:
        _check_connection(node.kind, data.connection)
        if (
            node.connection is None
            and data.connection is not None
            and ("check_interval_seconds" not in sent)
        ):
            node.check_interval_seconds = node.check_interval_seconds or DEFAULT_INTERVAL_SECONDS
        _apply_connection(node, box, data.connection, keep_secrets=True)
    if sent & {"check_interval_seconds", "connection"}:
        _reschedule(node)
    session.flush()
    after = snapshot(node)
    if after != before:
        diff = audit.diff(before, after)
        _emit(session, EventKind.node_updated, node, {"fields": sorted(diff)})
        audit.record(session, actor, "node.update", "node", node.id, diff)
    return node


def _emit(
    session: Session, kind: EventKind, node: Node, extra: dict[str, Any] | None = None
) -> None:
    # Names only, never the connection: stream payloads carry no secrets.
    payload = {"namespace": node.namespace, "name": node.name, "kind": node.kind}
    events.emit(session, kind, {**payload, **(extra or {})}, node.id)


def _descendants(session: Session, pk: int) -> list[int]:
    found, frontier = [pk], [pk]
    while frontier:
        frontier = repository.child_pks(session, frontier)
        found.extend(frontier)
    return found


def delete(session: Session, actor: Principal, node_id: uuid.UUID, *, cascade: bool) -> int:
    """Delete a node and its edges; its children too with ``cascade``. Returns nodes deleted."""
    node = get(session, node_id)
    children = repository.count_children(session, node.pk)
    if children and not cascade:
        raise NodeHasChildren(
            f"The node is the parent of {children} node(s); delete them first or pass "
            "cascade=true to delete them with it",
            extra={"children": children},
        )
    pks = _descendants(session, node.pk)
    snap = snapshot(node)
    repository.delete_nodes(session, pks)
    changes.log_many(session, changes.NODE_REMOVED, [(pk, -1) for pk in pks])
    _emit(session, EventKind.node_deleted, node, {"deleted_nodes": len(pks)})
    audit.record(
        session, actor, "node.delete", "node", node_id, {**snap, "deleted_nodes": len(pks)}
    )
    return len(pks)


def add_annotation(session: Session, actor: Principal, node_id: uuid.UUID, text: str) -> Annotation:
    """Pin a note to a node for the next on-call."""
    node = get(session, node_id)
    annotation = Annotation(node_pk=node.pk, text=text, author=actor.label)
    repository.add_annotation(session, annotation)
    session.expire(node, ["annotations"])
    audit.record(
        session,
        actor,
        "annotation.create",
        "node",
        node.id,
        {"annotation_id": annotation.id, "text": text},
    )
    return annotation


def delete_annotation(
    session: Session, actor: Principal, node_id: uuid.UUID, annotation_id: uuid.UUID
) -> None:
    """Remove a note."""
    node = get(session, node_id)
    annotation = repository.get_annotation(session, node.pk, annotation_id)
    if annotation is None:
        raise AnnotationNotFound(f"No annotation {annotation_id} on node {node_id}")
    repository.delete_annotation(session, annotation)
    audit.record(
        session, actor, "annotation.delete", "node", node.id, {"annotation_id": annotation_id}
    )


def reseal_secrets(session: Session, old: SecretBox, new: SecretBox) -> int:
    """Re-encrypt every stored connection secret under a new key. Returns nodes changed."""
    count = 0
    for node in repository.with_secrets(session):
        node.connection_secrets = new.seal(old.open(node.connection_secrets))
        count += 1
    session.flush()
    return count
