"""The dlv-graph document: one node or edge of it, and the import's answer.

Nodes and edges are validated with the catalog's own field types (``dlv.nodes.schemas``), so a
document accepts exactly what the API accepts. Edges also have a msgspec twin that checks
types and lengths in C for the common case; anything it does not clearly accept goes through
the pydantic model, which is the authority and gives the precise message.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from dlv.lineage.models import EdgeOrigin
from dlv.nodes.connections import ConnectionConfig
from dlv.nodes.models import SYSTEM_KINDS, NodeKind
from dlv.nodes.schemas import (
    INVISIBLE,
    Description,
    Name,
    Namespace,
    Owner,
    Owners,
    Tags,
    owner_and_owners,
    owners_of,
)

FORMAT = "dlv-graph"
VERSION = 1


class NodeRef(BaseModel):
    """A node named by its natural key."""

    model_config = ConfigDict(extra="forbid")

    namespace: Namespace
    name: Name


class GraphAnnotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    author: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    created_at: datetime

    @model_validator(mode="after")
    def _utc(self) -> GraphAnnotation:
        # A timestamp without a zone is read as UTC, like every timestamp DLV stores.
        if self.created_at.tzinfo is None:
            self.created_at = self.created_at.replace(tzinfo=UTC)
        else:
            self.created_at = self.created_at.astimezone(UTC)
        return self


def _inject_kind(data: Any) -> Any:
    # As in the API: the node's kind picks the connection schema, so it need not be repeated.
    if isinstance(data, dict) and isinstance(data.get("connection"), dict):
        kind = data.get("kind")
        if kind in {k.value for k in SYSTEM_KINDS} and "kind" not in data["connection"]:
            data = {**data, "connection": {**data["connection"], "kind": kind}}
    return data


class GraphNode(BaseModel):
    """A node of the document: the catalog's fields, the parent by natural key."""

    model_config = ConfigDict(extra="forbid")

    kind: NodeKind
    namespace: Namespace
    name: Name
    parent: NodeRef | None = None
    description: Description | None = None
    owner: Owner | None = None
    owners: Owners | None = None
    tags: Tags = Field(default_factory=list)
    annotations: list[GraphAnnotation] = Field(default_factory=list)
    connection: ConnectionConfig | None = None

    _kind = model_validator(mode="before")(_inject_kind)
    _owners = model_validator(mode="before")(owner_and_owners)

    def all_owners(self) -> list[str]:
        return owners_of(self.owner, self.owners)


class GraphEdge(BaseModel):
    """An edge of the document: data flows from ``source`` to ``target``."""

    model_config = ConfigDict(extra="forbid")

    source: NodeRef
    target: NodeRef
    description: Description | None = None
    origin: EdgeOrigin = EdgeOrigin.import_


class ImportCounts(BaseModel):
    """What an import did."""

    nodes_created: int = 0
    nodes_updated: int = 0
    nodes_unchanged: int = 0
    edges_created: int = 0
    edges_existing: int = 0
    annotations_created: int = 0
    dashboards_applied: int = 0


# -- the fast path for edges -----------------------------------------------------------------

_CLEAN = re.compile(r"[^\x00-\x1f\x7f\s](?:[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\s])?")


class FastRef(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    namespace: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class FastEdge(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    source: FastRef
    target: FastRef
    description: Annotated[str, msgspec.Meta(max_length=20_000)] | None = None
    origin: Literal["manual", "import", "openlineage"] = "import"


fast_edges = msgspec.json.Decoder(list[FastEdge])


def _clean(value: str) -> bool:
    if _CLEAN.fullmatch(value) is None:
        return False
    # Not ASCII: it may need NFC or hold an invisible character, which the exact way decides.
    return value.isascii() or (
        unicodedata.is_normalized("NFC", value) and INVISIBLE.search(value) is None
    )


def clean_key(namespace: str, name: str) -> bool:
    """True when the API would accept the key unchanged (no control chars, nothing to strip,
    ASCII: nothing to normalize)."""
    return _clean(namespace) and _clean(name)
