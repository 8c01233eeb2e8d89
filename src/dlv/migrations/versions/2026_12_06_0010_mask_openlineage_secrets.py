"""mask openlineage secrets: what the catalog kept from events, masked by the one policy

From this version on, an OpenLineage event's secrets are masked before it is stored, so what
the catalog maps from it is masked too (docs/security.md). What was mapped before keeps its
text: a job's SQL facet (``openlineage_nodes.sql``), column lineage's transformation
descriptions (``column_lineages``), and the error messages of runs, of a job's latest run
and of its status (scrubbed when mapped, by an older scrubber). Those rows are few (one per
job, edge or failed run); they are masked here, by ``dlv.ops.secrets`` as it is when this
runs (the policy is idempotent). Digests of the old values stay: the next event's value
differs from them and, being newer, is written. A node's status message is one of the facts
every process keeps: its trigger logs the change, and the processes replay it.

Left as they are, on purpose:

- the raw events (``openlineage_events``): possibly millions of compressed rows, pruned after
  ``DLV_RUNS_RETENTION_DAYS``; ``GET /runs/{id}`` masks them when it reads them.
- node names and namespaces holding a secret, and names not in NFC: rewritten, one could
  become another node's name. An admin renames or deletes such nodes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from dlv.ops import secrets

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FACTS = sa.table(
    "openlineage_nodes",
    sa.column("node_pk", sa.Integer),
    sa.column("sql", sa.Text),
    sa.column("health_message", sa.Text),
)
_RUNS = sa.table("runs", sa.column("id", sa.Uuid), sa.column("error_message", sa.Text))
_NODES = sa.table("nodes", sa.column("pk", sa.Integer), sa.column("status_message", sa.Text))
_COLUMNS = sa.table(
    "column_lineages",
    sa.column("edge_id", sa.Uuid),
    sa.column("fields", sa.JSON),
    sa.column("dataset", sa.JSON),
)


def _text(value: str | None) -> str | None:
    return secrets.scrub(value) if value is not None else None


def _lineage(fields: Any, dataset: Any) -> tuple[Any, Any]:
    # A column lineage facet's shape: fields keyed by output column names (no secret names).
    facet = secrets.mask({"columnLineage": {"fields": fields or {}, "dataset": dataset or []}})
    return facet["columnLineage"]["fields"], facet["columnLineage"]["dataset"]


def _mask_texts(bind: sa.Connection, table: sa.TableClause, key: str, *texts: str) -> None:
    """Mask the text columns ``texts`` of ``table``, writing only the rows that change."""
    columns = [table.c[name] for name in texts]
    changed = []
    for pk, *values in bind.execute(
        sa.select(table.c[key], *columns).where(sa.or_(*(c.is_not(None) for c in columns)))
    ):
        clean = [_text(v) for v in values]
        if clean != values:
            changed.append(
                {"row_key": pk, **{f"new_{n}": v for n, v in zip(texts, clean, strict=True)}}
            )
    # Written after reading: SQLite's cursor must not see its table change under it.
    if changed:
        bind.execute(
            table.update()
            .where(table.c[key] == sa.bindparam("row_key"))
            .values({name: sa.bindparam(f"new_{name}") for name in texts}),
            changed,
        )


def upgrade() -> None:
    bind = op.get_bind()
    _mask_texts(bind, _FACTS, "node_pk", "sql", "health_message")
    _mask_texts(bind, _RUNS, "id", "error_message")
    _mask_texts(bind, _NODES, "pk", "status_message")
    lineages = []
    for edge_id, fields, dataset in bind.execute(
        sa.select(_COLUMNS.c.edge_id, _COLUMNS.c.fields, _COLUMNS.c.dataset)
    ):
        clean_fields, clean_dataset = _lineage(fields, dataset)
        if (clean_fields, clean_dataset) != (fields or {}, dataset or []):
            lineages.append({"id": edge_id, "fields": clean_fields, "dataset": clean_dataset})
    if lineages:
        bind.execute(
            _COLUMNS.update()
            .where(_COLUMNS.c.edge_id == sa.bindparam("id"))
            .values(fields=sa.bindparam("fields"), dataset=sa.bindparam("dataset")),
            lineages,
        )


def downgrade() -> None:
    """Nothing to undo: what was masked is gone (and was never meant to be kept)."""
