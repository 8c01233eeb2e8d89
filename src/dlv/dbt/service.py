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
from dlv.dbt import repository as repo
from dlv.dbt.mapping import ArtifactError, map_artifacts
from dlv.errors import FieldError, InvalidInput
from dlv.graph import service as graph_service
from dlv.graph.schemas import ImportCounts


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
    held = repo.statuses(session, [s.key for s in mapped.statuses])
    changes: list[tuple[int, str, str | None]] = []
    for status in mapped.statuses:
        node = held[status.key]
        if node.status == status.status and node.message == status.message:
            continue
        changes.append((node.pk, status.status.value, status.message))
        before = {"status": node.status, "status_message": node.message}
        after = {"status": status.status.value, "status_message": status.message}
        diff = {**audit.diff(before, after), "origin": "dbt"}
        audit.record(session, actor, "node.status", "node", node.id, diff)
    repo.set_statuses(session, changes, utcnow())
    in_error = sum(s.status == "error" for s in mapped.statuses)
    return DbtImport(graph=counts, statuses_set=len(changes), in_error=in_error)
