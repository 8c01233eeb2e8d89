"""The rows an import writes for one node: new, updated, and its new annotations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from dlv.crypto import SecretBox
from dlv.graph.schemas import GraphNode
from dlv.monitor.schedule import DEFAULT_INTERVAL_SECONDS
from dlv.nodes import connections
from dlv.nodes.models import NodeStatus


def new_row(
    box: SecretBox, now: datetime, node: GraphNode, parent_pk: int | None
) -> dict[str, Any]:
    """The nodes row of a node the catalog does not have yet."""
    public, secrets = connections.split_secrets(node.connection) if node.connection else (None, {})
    return {
        "id": uuid.uuid4(),
        "kind": node.kind.value,
        "namespace": node.namespace,
        "name": node.name,
        "parent_pk": parent_pk,
        "description": node.description,
        "owner": owners[0] if (owners := node.all_owners()) else None,
        "owners": owners,
        "connection": public,
        "connection_secrets": box.seal(secrets),
        "secret_fields": sorted(secrets),
        "status": NodeStatus.unknown.value,
        # As a node created through the API: a system with a connection is checked every
        # 300 s, the first time as soon as the monitoring loop gets to it.
        "check_interval_seconds": DEFAULT_INTERVAL_SECONDS if public is not None else None,
        "next_check_at": now if public is not None else None,
        "created_at": now,
        "updated_at": now,
    }


def update_row(
    box: SecretBox, now: datetime, row: Any, node: GraphNode, parent_pk: int | None, tags: list[str]
) -> dict[str, Any] | None:
    """The update of a stored node, or None when the document changes nothing."""
    public, sent = connections.split_secrets(node.connection) if node.connection else (None, {})
    sealed, secret_fields = row.connection_secrets, list(row.secret_fields or [])
    if public is None:
        sealed, secret_fields = None, []
    elif sent or public != row.connection:
        # As a PATCH of the API: secrets not sent are kept where the new shape has them.
        old = box.open(row.connection_secrets)
        merged = connections.carry_over_secrets(sent, old, public)
        if merged != old:
            sealed, secret_fields = box.seal(merged), sorted(merged)
    owners = node.all_owners()
    same = (
        row.description == node.description
        and list(row.owners or []) == owners
        and row.connection == public
        and sealed == row.connection_secrets
        and parent_pk == row.parent_pk
        and tags == node.tags
    )
    if same:
        return None
    return {
        "b_pk": row.pk,
        "b_description": node.description,
        "b_owner": owners[0] if owners else None,
        "b_owners": owners,
        "b_parent_pk": parent_pk,
        "b_connection": public,
        "b_connection_secrets": sealed,
        "b_secret_fields": secret_fields,
        "b_updated_at": now,
    }


def annotation_rows(
    notes: list[tuple[uuid.UUID | int, GraphNode]],
    ids: dict[uuid.UUID, int],
    stored: dict[int, set[tuple[str, str, datetime]]],
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for ref, node in notes:
        if not node.annotations:
            continue
        pk = ids[ref] if isinstance(ref, uuid.UUID) else ref
        have = set(stored.get(pk, set()))
        for a in node.annotations:
            if (a.text, a.author, a.created_at) not in have:
                have.add((a.text, a.author, a.created_at))
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "node_pk": pk,
                        "text": a.text,
                        "author": a.author,
                        "created_at": a.created_at,
                    }
                )
    return rows
