"""HTTP routes of the catalog."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from dlv.auth.dependencies import Admin, Reader
from dlv.crypto import SecretBox
from dlv.db import SessionDep
from dlv.errors import FieldError, InvalidInput
from dlv.nodes import repository, service
from dlv.nodes.models import NodeKind, NodeStatus
from dlv.nodes.repository import NodeFilter
from dlv.nodes.schemas import (
    AnnotationCreate,
    AnnotationRead,
    NodeCreate,
    NodeRead,
    NodeSortField,
    NodeUpdate,
    SearchText,
    normalize_tag,
)
from dlv.pagination import CursorQuery, LimitQuery, Page, page_of

router = APIRouter(prefix="/api/v1", tags=["nodes"])


def secret_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


def min_interval(request: Request) -> int:
    """The shortest check interval a node may ask for (DLV_MONITOR_MIN_INTERVAL_SECONDS)."""
    return int(request.app.state.settings.monitor_min_interval_seconds)


Box = Annotated[SecretBox, Depends(secret_box)]
MinInterval = Annotated[int, Depends(min_interval)]
Text = Annotated[str | None, Query(max_length=1000)]
# Names are stored in NFC: so is a name looked for (owners are kept as sent).
NameText = Annotated[SearchText | None, Query(max_length=1000)]


@router.get("/nodes", response_model=Page[NodeRead], operation_id="listNodes")
def list_nodes(
    session: SessionDep,
    _: Reader,
    kind: NodeKind | None = None,
    namespace: NameText = None,
    name: NameText = None,
    owner: Text = None,
    tag: Annotated[list[str] | None, Query(max_length=20)] = None,
    node_status: Annotated[NodeStatus | None, Query(alias="status")] = None,
    parent_id: uuid.UUID | None = None,
    q: Annotated[SearchText | None, Query(min_length=1, max_length=200)] = None,
    sort: NodeSortField = NodeSortField.name,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[NodeRead]:
    """Search the catalog; filters combine with AND, `q` searches name, description, owner, tags."""
    try:
        tags = [normalize_tag(t) for t in tag or []]
    except ValueError as exc:
        raise InvalidInput(str(exc), errors=[FieldError("query.tag", str(exc))]) from None
    parent_pk = None
    if parent_id is not None:
        parent = repository.get(session, parent_id)
        parent_pk = parent.pk if parent else -1
    where = NodeFilter(
        kind=kind,
        namespace=namespace,
        name=name,
        owner=owner,
        tags=tags,
        status=node_status,
        parent_pk=parent_pk,
        q=q,
    )
    rows = service.search(
        session, where, sort=sort, descending=order == "desc", cursor=cursor, limit=limit
    )
    items, next_cursor = page_of(rows, limit, lambda n: service.sort_values(n, sort))
    return Page(items=[service.to_read(n) for n in items], next_cursor=next_cursor)


@router.post(
    "/nodes",
    response_model=NodeRead,
    status_code=status.HTTP_201_CREATED,
    operation_id="createNode",
)
def create_node(
    session: SessionDep, actor: Admin, box: Box, shortest: MinInterval, body: NodeCreate
) -> NodeRead:
    """Add a node to the catalog."""
    return service.to_read(service.create(session, actor, box, body, min_interval=shortest))


@router.get("/nodes/{node_id}", response_model=NodeRead, operation_id="getNode")
def get_node(session: SessionDep, _: Reader, node_id: uuid.UUID) -> NodeRead:
    """One node with its tags, annotations and connection (secrets shown as set or not)."""
    return service.to_read(service.get(session, node_id))


@router.patch("/nodes/{node_id}", response_model=NodeRead, operation_id="updateNode")
def update_node(
    session: SessionDep,
    actor: Admin,
    box: Box,
    shortest: MinInterval,
    node_id: uuid.UUID,
    body: NodeUpdate,
) -> NodeRead:
    """Change the fields sent."""
    return service.to_read(
        service.update(session, actor, box, node_id, body, min_interval=shortest)
    )


@router.delete(
    "/nodes/{node_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="deleteNode"
)
def delete_node(
    session: SessionDep, actor: Admin, node_id: uuid.UUID, cascade: bool = False
) -> Response:
    """Delete a node and its edges (and with ``cascade=true`` its children)."""
    service.delete(session, actor, node_id, cascade=cascade)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/nodes/{node_id}/annotations",
    response_model=AnnotationRead,
    status_code=status.HTTP_201_CREATED,
    operation_id="createAnnotation",
)
def create_annotation(
    session: SessionDep, actor: Admin, node_id: uuid.UUID, body: AnnotationCreate
) -> AnnotationRead:
    """Pin a note to a node."""
    return AnnotationRead.model_validate(service.add_annotation(session, actor, node_id, body.text))


@router.delete(
    "/nodes/{node_id}/annotations/{annotation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteAnnotation",
)
def delete_annotation(
    session: SessionDep, actor: Admin, node_id: uuid.UUID, annotation_id: uuid.UUID
) -> Response:
    """Remove a note."""
    service.delete_annotation(session, actor, node_id, annotation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
