"""``dlv import dbt``: a dbt project's artifacts into the catalog, in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth.principal import Principal
from dlv.crypto import SecretBox
from dlv.db import utcnow
from dlv.dbt.mapping import ArtifactError, map_artifacts
from dlv.errors import FieldError, InvalidInput
from dlv.graph import service as graph_service
from dlv.graph.schemas import ImportCounts
from dlv.ingestion import catalog_repository


class DbtImport(BaseModel):
    """What an import of dbt artifacts did."""

    graph: ImportCounts
    statuses_set: int
    in_error: int


def import_artifacts(
    session: Session,
    actor: Principal,
    box: SecretBox,
    manifest: Mapping[str, Any],
    run_results: Iterable[Mapping[str, Any]],
    dataset_namespace: str,
    job_namespace: str,
) -> DbtImport:
    """Upsert the project's datasets, jobs and edges (the graph import: all or nothing), then
    set the statuses run_results gives. Raises InvalidInput naming the artifact's field."""
    try:
        mapped = map_artifacts(manifest, run_results, dataset_namespace, job_namespace)
    except ArtifactError as exc:
        raise InvalidInput(
            f"Not a dbt artifact: {exc}", errors=[FieldError(exc.field, exc.message)]
        ) from None
    body = json.dumps(mapped.document(), ensure_ascii=False).encode()
    counts = graph_service.import_graph(session, actor, box, [body])
    # The catalog's own lookup and bulk write (ingestion's): one statement per chunk of names,
    # no ORM bookkeeping per row (a synchronized ORM update walks every loaded object).
    held = catalog_repository.nodes_by_key(session, [s.key for s in mapped.statuses])
    now = utcnow()
    changes: list[dict[str, Any]] = []
    for status in mapped.statuses:
        node = held[status.key]
        if node.status == status.status and node.status_message == status.message:
            continue
        after = {"status": status.status.value, "status_message": status.message}
        changes.append({"pk": node.pk, **after, "status_changed_at": now})
        before = {"status": node.status, "status_message": node.status_message}
        diff = {**audit.diff(before, after), "origin": "dbt"}
        audit.record(session, actor, "node.status", "node", node.id, diff)
    catalog_repository.update_nodes(session, changes)
    in_error = sum(s.status == "error" for s in mapped.statuses)
    return DbtImport(graph=counts, statuses_set=len(changes), in_error=in_error)
