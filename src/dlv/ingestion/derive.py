"""Datasets a job's events name only in its SQL or column lineage: pure, no I/O.

Producers report the tables that exist when they look: Airflow's SQL operators drop a table
their query reads when it is missing, so the one table that explains a failure ("relation
staging.missing_table does not exist") is in no event's inputs. It is still named: in the
output's column lineage (with its namespace and full name), and in the job's SQL facet.

Column lineage names datasets exactly. SQL is read with ``openlineage_sql`` (the OpenLineage
project's reference parser) and named the way the job's other PostgreSQL datasets are, so a
derived node is the node a producer reports once the table exists: namespace
``postgres://host:port``, name ``database.schema.table``. Other systems name datasets their own
ways; their SQL is not read (their column lineage still is).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import openlineage_sql

Key = tuple[str, str]
Source = Literal["sql", "columnLineage"]
Role = Literal["input", "output"]


@dataclass(frozen=True)
class Derived:
    """A dataset named only in SQL or column lineage, and which way its data flows."""

    key: Key
    role: Role
    source: Source


@lru_cache(maxsize=4096)
def _tables(query: str) -> tuple[tuple[tuple[str | None, str | None, str], ...], ...]:
    """(in tables, out tables) of a query as (database, schema, name); producers repeat the
    same SQL in every event of a run, so a parse is done once per text."""
    try:
        meta = openlineage_sql.parse([query], dialect="postgres")
    except Exception:  # the parser's own errors: nothing to derive from text it cannot read
        return ((), ())
    return tuple(
        tuple((t.database, t.schema, t.name) for t in tables)
        for tables in (meta.in_tables, meta.out_tables)
    )


def _postgres(namespace: str) -> bool:
    return namespace.lower().startswith(("postgres://", "postgresql://"))


def _context(keys: Iterable[Key]) -> tuple[str, str] | None:
    """(namespace, database) that a job's PostgreSQL datasets share, or None."""
    found = {(ns, name.split(".", 1)[0]) for ns, name in keys if _postgres(ns)}
    found = {(ns, db) for ns, db in found if db}
    return found.pop() if len(found) == 1 else None


def derive(known: set[Key], named: set[Key], sql: str | None) -> list[Derived]:
    """The datasets a job's column lineage (``named``: the inputs it names) and SQL name that
    its events do not report (``known``: their inputs and outputs)."""
    tables = _tables(sql) if sql else ((), ())
    if not named and not any(tables):
        return []
    found = {key: Derived(key, "input", "columnLineage") for key in named - known}
    if any(tables):
        context = _context([*known, *found])
        if context is not None:
            _from_sql(found, known, context, tables)
    return list(found.values())


def lineage_inputs(fields: dict[str, Any], dataset: Iterable[Any]) -> set[Key]:
    """The datasets a column lineage facet's fields and dataset-wide inputs name."""
    named = {
        (field["namespace"], field["name"])
        for column in fields.values()
        for field in column.get("inputFields") or ()
    }
    named.update((field["namespace"], field["name"]) for field in dataset)
    return named


def _from_sql(
    found: dict[Key, Derived],
    known: set[Key],
    context: tuple[str, str],
    tables: tuple[tuple[tuple[str | None, str | None, str], ...], ...],
) -> None:
    namespace, database = context
    # A name the events report as schema.table under the same database is the same table:
    # compare without the database.
    short = {name.split(".", 1)[-1] for ns, name in known if ns == namespace}
    sides: tuple[tuple[Role, Any], ...] = (("input", tables[0]), ("output", tables[1]))
    for role, side in sides:
        for db, schema, table in side:
            # PostgreSQL folds unquoted names to lower case, as its catalog lists them.
            parts = ((db or database), (schema or "public"), table)
            name = ".".join(p.lower() for p in parts)
            key = (namespace, name)
            if key in known or key in found or name.split(".", 1)[1] in short:
                continue
            found[key] = Derived(key, role, "sql")
