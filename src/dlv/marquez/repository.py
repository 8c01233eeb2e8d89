"""SQL of the Marquez-compatible API: OpenLineage datasets and jobs, their runs and edges."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, lazyload

from dlv.ingestion.models import OpenLineageEvent, OpenLineageNode, Run
from dlv.lineage.models import Edge
from dlv.nodes.models import Node, NodeKind, NodeTag

# What Marquez knows: OpenLineage datasets and jobs (systems are DLV's own).
KINDS = (NodeKind.dataset.value, NodeKind.job.value)


def namespaces(
    session: Session, limit: int, offset: int
) -> tuple[list[tuple[str, datetime, datetime]], int]:
    """(namespace, first created, last updated) of datasets and jobs, by name; and the count."""
    stmt = (
        select(Node.namespace, func.min(Node.created_at), func.max(Node.updated_at))
        .where(Node.kind.in_(KINDS))
        .group_by(Node.namespace)
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(Node.namespace).limit(limit).offset(offset)).all()
    return [(r[0], r[1], r[2]) for r in rows], total


def namespace(session: Session, name: str) -> tuple[datetime, datetime] | None:
    """(first created, last updated) of a namespace's datasets and jobs; None if it has none."""
    row = session.execute(
        select(func.min(Node.created_at), func.max(Node.updated_at)).where(
            Node.kind.in_(KINDS), Node.namespace == name
        )
    ).one()
    return None if row[0] is None else (row[0], row[1])


def nodes(
    session: Session, namespace: str, kind: NodeKind, limit: int, offset: int
) -> tuple[Sequence[Node], int]:
    """A namespace's datasets or jobs, by name, and how many there are."""
    where = (Node.kind == kind.value, Node.namespace == namespace)
    total = session.scalar(select(func.count()).select_from(Node).where(*where)) or 0
    rows = session.scalars(
        select(Node)
        .options(lazyload(Node.annotations))  # never read here: never loaded
        .where(*where)
        .order_by(Node.name)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total


def pk_of(session: Session, kind: NodeKind, namespace: str, name: str) -> int | None:
    return session.scalar(
        select(Node.pk).where(
            Node.kind == kind.value, Node.namespace == namespace, Node.name == name
        )
    )


def facts(session: Session, pks: Sequence[int]) -> dict[int, OpenLineageNode]:
    """What events said about these nodes, by pk."""
    if not pks:
        return {}
    rows = session.scalars(select(OpenLineageNode).where(OpenLineageNode.node_pk.in_(pks)))
    return {r.node_pk: r for r in rows}


def job_datasets(
    session: Session, job_pks: Sequence[int]
) -> tuple[dict[int, list[tuple[str, str]]], dict[int, list[tuple[str, str]]]]:
    """Each job's current input and output datasets as (namespace, name), by job pk."""
    inputs: dict[int, list[tuple[str, str]]] = {pk: [] for pk in job_pks}
    outputs: dict[int, list[tuple[str, str]]] = {pk: [] for pk in job_pks}
    if not job_pks:
        return inputs, outputs
    # Inputs: edges into the job from a dataset; outputs: edges out of it into one.
    for job_end, dataset_end, found in (
        (Edge.target_pk, Edge.source_pk, inputs),
        (Edge.source_pk, Edge.target_pk, outputs),
    ):
        for job, ns, name in session.execute(
            select(job_end, Node.namespace, Node.name)
            .join(Node, Node.pk == dataset_end)
            .where(
                job_end.in_(job_pks),
                Edge.stale_since.is_(None),
                Node.kind == NodeKind.dataset.value,
            )
            .order_by(Node.namespace, Node.name)
        ):
            found[job].append((ns, name))
    return inputs, outputs


def runs_of(session: Session, job_pk: int, limit: int, offset: int = 0) -> Sequence[Run]:
    """A job's runs, newest first."""
    return session.scalars(
        select(Run)
        .where(Run.job_pk == job_pk)
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()


def count_runs(session: Session, job_pk: int) -> int:
    return session.scalar(select(func.count()).select_from(Run).where(Run.job_pk == job_pk)) or 0


def latest_runs(session: Session, job_pks: Sequence[int]) -> dict[int, Run]:
    """Each job's newest run, by job pk (jobs without a run are left out)."""
    if not job_pks:
        return {}
    newest = (
        select(Run.job_pk, func.max(Run.created_at).label("at"))
        .where(Run.job_pk.in_(job_pks))
        .group_by(Run.job_pk)
        .subquery()
    )
    rows = session.scalars(
        select(Run).join(newest, (Run.job_pk == newest.c.job_pk) & (Run.created_at == newest.c.at))
    )
    return {r.job_pk: r for r in rows if r.job_pk is not None}


def run_payloads(session: Session, run_id: uuid.UUID, limit: int) -> Sequence[str]:
    """The texts of a run's stored events, oldest first."""
    return session.scalars(
        select(OpenLineageEvent.payload)
        .where(OpenLineageEvent.run_id == run_id)
        .order_by(OpenLineageEvent.event_time, OpenLineageEvent.id)
        .limit(limit)
    ).all()


def search(
    session: Session,
    pattern: str,
    kinds: Sequence[str],
    namespace: str | None,
    newest_first: bool,
    limit: int,
) -> tuple[Sequence[Node], int]:
    """Datasets and jobs whose name matches ``pattern`` (SQL LIKE, any case), as Marquez."""
    where: list[ColumnElement[bool]] = [Node.kind.in_(kinds), Node.name.ilike(pattern)]
    if namespace is not None:
        where.append(Node.namespace == namespace)
    total = session.scalar(select(func.count()).select_from(Node).where(*where)) or 0
    order = (Node.updated_at.desc(), Node.pk) if newest_first else (Node.name, Node.pk)
    rows = session.scalars(select(Node).where(*where).order_by(*order).limit(limit)).all()
    return rows, total


def tags(session: Session) -> Sequence[str]:
    """Every tag of a dataset or job, by name."""
    return session.scalars(
        select(NodeTag.tag)
        .join(Node, Node.pk == NodeTag.node_pk)
        .where(Node.kind.in_(KINDS))
        .distinct()
        .order_by(NodeTag.tag)
    ).all()
