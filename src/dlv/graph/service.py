"""Graph import and export: the whole catalog and lineage graph as one dlv-graph document.

Both HTTP and the CLI call these two functions, in a transaction the caller owns.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.principal import Principal
from dlv.crypto import SecretBox
from dlv.dashboards import service as dashboards_service
from dlv.db import dialect
from dlv.errors import InvalidInput
from dlv.events import service as events
from dlv.events.service import EventKind
from dlv.graph import repository as repo
from dlv.graph.importer import Importer
from dlv.graph.schemas import FORMAT, VERSION, ImportCounts
from dlv.lineage import changes
from dlv.nodes import connections

EXPORT_BATCH = 2_000
_encode: Any = json.encoder.encode_basestring


class _GcFreeze:
    """Objects alive before an import are left out of cyclic GC while imports run.

    An import allocates tens of millions of short-lived objects; every full collection
    would walk all objects of the process (the whole app), which made parsing several times
    slower. Frozen, a collection walks only what the import itself allocated; garbage cycles
    are still collected. Nested and concurrent imports share one freeze.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                gc.freeze()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    gc.unfreeze()


gc_frozen = _GcFreeze()


def import_graph(
    session: Session, actor: Principal, box: SecretBox, chunks: Iterable[bytes]
) -> ImportCounts:
    """Upsert a dlv-graph document (UTF-8 bytes, in chunks); all or nothing.

    Raises a DlvError (422 listing the problems, 400 for a body that is not JSON, 413 when a
    limit is passed); the caller then rolls the transaction back.
    """
    with gc_frozen():
        importer = Importer(session, box)
        counts = importer.run(chunks)
    # After the nodes and edges they name are written, in the same transaction.
    applied, problems = dashboards_service.import_documents(session, actor, importer.dashboards)
    if problems:
        shown = ", ".join(p["field"] for p in problems[:5])
        raise InvalidInput(
            f"The document has {len(problems)} problem(s), nothing was imported: {shown}",
            errors=problems,
        )
    counts.dashboards_applied = applied
    if counts.nodes_created or counts.edges_created or counts.nodes_updated:
        # One row instead of one per edge: every process rebuilds its lineage index on it.
        changes.log(session, changes.RESET, 0)
    # One summary, not one event per item: clients refetch what they show.
    events.emit(session, EventKind.graph_imported, counts.model_dump(mode="json"))
    audit.record(session, actor, "graph.import", "graph", None, counts.model_dump())
    return counts


def export_document(session: Session) -> Iterator[bytes]:
    """The catalog and graph as a dlv-graph document, in UTF-8 chunks.

    Deterministic: nodes by (namespace, name), edges by source then target key, fields in a
    fixed order, so exporting an import of an export gives the same bytes. Connections carry
    their public fields only; secrets and which secrets are set are never written, and a
    credential left in a URL by an older version is masked.
    """
    if dialect(session) == "postgresql":
        # One snapshot for nodes and edges: no edge may name a node the export lacks.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    yield f'{{"format":"{FORMAT}","version":{VERSION},\n"nodes":['.encode()
    sep = "\n"
    for rows in repo.export_nodes(session, EXPORT_BATCH):
        pks = [r[0] for r in rows]
        tags = repo.tags_of(session, pks)
        notes = repo.export_annotations(session, pks)
        lines = [_node_line(r, sorted(tags.get(r[0], [])), notes.get(r[0], [])) for r in rows]
        yield (sep + ",\n".join(lines)).encode()
        sep = ",\n"
    yield b'\n],\n"edges":['
    sep = "\n"
    for rows in repo.export_edges(session, EXPORT_BATCH * 10):
        yield (sep + ",\n".join(_edge_line(r) for r in rows)).encode()
        sep = ",\n"
    yield b'\n],\n"dashboards":['
    sep = "\n"
    for doc in dashboards_service.export_documents(session):
        yield (sep + json.dumps(doc, ensure_ascii=False, separators=(",", ":"))).encode()
        sep = ",\n"
    yield b"\n]}\n"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _ref(namespace: str | None, name: str | None) -> str:
    if namespace is None or name is None:
        return "null"
    return f'{{"namespace":{_encode(namespace)},"name":{_encode(name)}}}'


def _text(value: str | None) -> str:
    return "null" if value is None else cast(str, _encode(value))


def _node_line(row: Any, tags: list[str], notes: list[Any]) -> str:
    _, kind, namespace, name, parent_ns, parent_name, description, owners, connection = row
    annotations = ",".join(
        f'{{"text":{_encode(text)},"author":{_encode(author)},'
        f'"created_at":"{created_at.isoformat()}"}}'
        for _, text, author, created_at in notes
    )
    return (
        f'{{"kind":{_encode(kind)},"namespace":{_encode(namespace)},"name":{_encode(name)},'
        f'"parent":{_ref(parent_ns, parent_name)},"description":{_text(description)},'
        f'"owners":[{",".join(_encode(o) for o in owners or ())}],'
        f'"tags":[{",".join(_encode(t) for t in tags)}],'
        f'"annotations":[{annotations}],'
        f'"connection":{_dump(connections.masked(connection)) if connection else "null"}}}'
    )


def _edge_line(row: Any) -> str:
    source_ns, source_name, target_ns, target_name, description, origin = row
    return (
        f'{{"source":{_ref(source_ns, source_name)},"target":{_ref(target_ns, target_name)},'
        f'"description":{_text(description)},"origin":{_encode(origin)}}}'
    )
