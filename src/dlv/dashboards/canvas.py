"""The stored canvas: nodes at positions, groups, notes, viewport, hidden edges.

Two shapes share the geometry: ``Layout`` references catalog nodes by public UUID (the API
and the database), ``LayoutDocument`` by natural key ``{namespace, name}`` (export/import,
so a dashboard survives a move to another instance). Optional fields a client did not send
are not stored and not returned, so a save -> load round trip gives back exactly what was
saved. Numbers are strict (no ``"1.5"`` or ``true`` for a coordinate) and finite.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from dlv.errors import FieldError

MAX_NODES = 5_000
MAX_GROUPS = 500
MAX_NOTES = 1_000
MAX_HIDDEN_EDGES = 20_000
MAX_STYLE_KEYS = 50
MAX_COORD = 1e9
MAX_SIZE = 1e6
MIN_ZOOM = 0.05
MAX_ZOOM = 8.0


def no_nul(value: str) -> str:
    """PostgreSQL text cannot hold NUL: refuse it with the field named (natural keys are
    looked up in SQL; everything else here is stored inside JSON, where it is escaped)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _absent(value: Any) -> bool:
    return value is None


Coord = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-MAX_COORD, le=MAX_COORD)]
Size = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_SIZE)]
Zoom = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=MIN_ZOOM, le=MAX_ZOOM)]
ItemId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")]
StyleKey = Annotated[str, StringConstraints(pattern=r"^-{0,2}[A-Za-z][A-Za-z0-9-]{0,63}$")]
StyleValue = (
    Annotated[str, StringConstraints(max_length=500)]
    | Annotated[float, Field(strict=True, allow_inf_nan=False)]
)
Style = Annotated[
    dict[StyleKey, StyleValue],
    Field(max_length=MAX_STYLE_KEYS, description='CSS properties, e.g. `{"borderColor": "red"}`'),
]


def _optional(description: str | None = None) -> Any:
    # Omitted from the output when not set, so the stored layout is what the client sent.
    return Field(default=None, exclude_if=_absent, description=description)


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _NodeBox(_Item):
    x: Coord
    y: Coord
    width: Size | None = _optional()
    height: Size | None = _optional()
    collapsed: StrictBool | None = _optional()
    style: Style | None = _optional()


class _GroupBox(_Item):
    id: ItemId
    label: Annotated[str, StringConstraints(max_length=200)] = ""
    x: Coord
    y: Coord
    width: Size
    height: Size
    style: Style | None = _optional()


class LayoutNote(_Item):
    """A free-text sticky on the canvas."""

    id: ItemId
    text: Annotated[str, StringConstraints(max_length=10_000)]
    x: Coord
    y: Coord
    width: Size | None = _optional()
    height: Size | None = _optional()
    style: Style | None = _optional()


class Viewport(_Item):
    x: Coord = 0.0
    y: Coord = 0.0
    zoom: Zoom = 1.0


class LayoutNode(_NodeBox):
    """A catalog node placed on the canvas."""

    node_id: uuid.UUID


class LayoutGroup(_GroupBox):
    """A labelled frame around some of the dashboard's nodes."""

    node_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_NODES)


class Layout(_Item):
    """What a canvas needs to restore itself exactly."""

    nodes: list[LayoutNode] = Field(default_factory=list, max_length=MAX_NODES)
    groups: list[LayoutGroup] = Field(default_factory=list, max_length=MAX_GROUPS)
    notes: list[LayoutNote] = Field(default_factory=list, max_length=MAX_NOTES)
    viewport: Viewport = Field(default_factory=Viewport)
    hidden_edge_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_HIDDEN_EDGES,
        description="Catalog edges between the dashboard's nodes not to draw",
    )


class NodeKey(_Item):
    """A catalog node by natural key: stable across instances, unlike its UUID."""

    namespace: Annotated[
        str, StringConstraints(min_length=1, max_length=500), AfterValidator(no_nul)
    ]
    name: Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(no_nul)]

    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


class EdgeKey(_Item):
    source: NodeKey
    target: NodeKey


class DocumentNode(_NodeBox):
    node: NodeKey


class DocumentGroup(_GroupBox):
    nodes: list[NodeKey] = Field(default_factory=list, max_length=MAX_NODES)


class LayoutDocument(_Item):
    """``Layout`` with natural keys in place of UUIDs (export/import)."""

    nodes: list[DocumentNode] = Field(default_factory=list, max_length=MAX_NODES)
    groups: list[DocumentGroup] = Field(default_factory=list, max_length=MAX_GROUPS)
    notes: list[LayoutNote] = Field(default_factory=list, max_length=MAX_NOTES)
    viewport: Viewport = Field(default_factory=Viewport)
    hidden_edges: list[EdgeKey] = Field(default_factory=list, max_length=MAX_HIDDEN_EDGES)


@dataclass(frozen=True)
class At:
    """Builds field paths: ``body.layout.nodes.7.node_id`` or ``dashboards[3].layout.nodes[7]``."""

    base: str
    brackets: bool = False

    def __call__(self, *parts: str | int) -> str:
        out = self.base
        for part in parts:
            if isinstance(part, int) and self.brackets:
                out += f"[{part}]"
            else:
                out = f"{out}.{part}" if out else str(part)
        return out


def _first_seen(
    refs: Sequence[Hashable], at: At, field: str, ref_field: str, message: str
) -> list[FieldError]:
    seen: dict[Hashable, int] = {}
    problems = []
    for i, ref in enumerate(refs):
        if ref in seen:
            where = f"{field}.{seen[ref]}" if not at.brackets else f"{field}[{seen[ref]}]"
            problems.append(FieldError(at(field, i, ref_field), f"{message} ({where})"))
        else:
            seen[ref] = i
    return problems


def _structure(
    at: At,
    node_refs: Sequence[Hashable],
    node_field: str,
    groups: Sequence[tuple[str, Sequence[Hashable]]],
    member_field: str,
    note_ids: Sequence[str],
    hidden: Sequence[Hashable],
    hidden_field: str,
) -> list[FieldError]:
    problems = _first_seen(node_refs, at, "nodes", node_field, "node already on the canvas")
    # React Flow keeps nodes, groups and notes in one id space.
    taken: dict[str, str] = {str(ref): "a node" for ref in node_refs}
    for field, ids in (("groups", [g for g, _ in groups]), ("notes", note_ids)):
        for i, item_id in enumerate(ids):
            if item_id in taken:
                problems.append(
                    FieldError(at(field, i, "id"), f"id already used by {taken[item_id]}")
                )
            else:
                taken[item_id] = f"{field}[{i}]"
    on_canvas = set(node_refs)
    for g, (_, members) in enumerate(groups):
        seen: set[Hashable] = set()
        for m, member in enumerate(members):
            if member not in on_canvas:
                problems.append(
                    FieldError(at("groups", g, member_field, m), "not a node on this dashboard")
                )
            elif member in seen:
                problems.append(FieldError(at("groups", g, member_field, m), "listed twice"))
            seen.add(member)
    seen_hidden: set[Hashable] = set()
    for i, edge in enumerate(hidden):
        if edge in seen_hidden:
            problems.append(FieldError(at(hidden_field, i), "listed twice"))
        seen_hidden.add(edge)
    return problems


def layout_problems(layout: Layout, at: At) -> list[FieldError]:
    """Duplicate ids, groups around nodes not on the canvas, repeated hidden edges."""
    return _structure(
        at,
        [n.node_id for n in layout.nodes],
        "node_id",
        [(g.id, g.node_ids) for g in layout.groups],
        "node_ids",
        [n.id for n in layout.notes],
        layout.hidden_edge_ids,
        "hidden_edge_ids",
    )


def document_problems(layout: LayoutDocument, at: At) -> list[FieldError]:
    """``layout_problems`` for the natural-key form."""
    return _structure(
        at,
        [n.node.key() for n in layout.nodes],
        "node",
        [(g.id, [k.key() for k in g.nodes]) for g in layout.groups],
        "nodes",
        [n.id for n in layout.notes],
        [(e.source.key(), e.target.key()) for e in layout.hidden_edges],
        "hidden_edges",
    )
