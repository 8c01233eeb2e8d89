"""The PostgreSQL collector: what a database holds, read from its system catalogs.

Three queries whatever the size of the database (relations, columns, view dependencies), so
10,000 tables cost three round trips, not 10,000. Synchronous (psycopg 3) so that the loop can
run it in a worker thread of its own. Where it goes follows the health checks' rules: the host
is resolved and every address judged by the network policy first, the port is opened with the
config's timeout (``remote.reach``, a connection test's steps), and libpq connects to the
address that was judged (``hostaddr``). Failures are
put into the health connectors' words (``login_failure``, ``describe``); nothing the server
says is repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from dlv.collectors import remote
from dlv.collectors.base import CollectFailed
from dlv.health.connectors import AnyConnection
from dlv.health.connectors.base import redact
from dlv.health.connectors.postgres import connect_args, login_failure
from dlv.health.network import NetworkPolicy
from dlv.nodes.connections import PostgresConnection

# Reading the catalog of a large database takes seconds, not the login's timeout.
STATEMENT_TIMEOUT_MS = 120_000

KINDS = {
    "r": "table",
    "p": "partitioned_table",
    "v": "view",
    "m": "materialized_view",
    "f": "foreign_table",
}

# User relations: not in the system schemas, nor in the temporary and TOAST schemas of every
# backend; partitions are collected as their partitioned table.
RELATIONS = (
    "SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples::bigint, "
    "obj_description(c.oid, 'pg_class') "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
)
# The columns of every relation, in order; those of relations RELATIONS skips are dropped.
COLUMNS = (
    "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), "
    "col_description(a.attrelid, a.attnum) "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "ORDER BY a.attrelid, a.attnum"
)
# A view's (or materialized view's) rewrite rule depends on every relation its query reads.
DEPENDENCIES = (
    "SELECT DISTINCT d.refobjid, r.ev_class FROM pg_rewrite r "
    "JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
    "AND d.refclassid = 'pg_class'::regclass "
    "WHERE d.refobjid <> r.ev_class"
)


@dataclass
class Relation:
    """One table, view or materialized view as the catalog describes it."""

    schema: str
    name: str
    kind: str
    row_estimate: int | None
    comment: str | None
    columns: list[dict[str, str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Snapshot:
    """Every relation by ``schema.name``, and the (source, target) pairs of view lineage."""

    relations: dict[str, Relation]
    dependencies: set[tuple[str, str]]


def namespace(config: PostgresConnection) -> str:
    """The dataset namespace OpenLineage gives this server: ``postgres://host:port``."""
    return f"postgres://{config.host.lower()}:{config.port}"


def read(config: AnyConnection, policy: NetworkPolicy) -> Snapshot:
    """Log in and read the catalog; CollectFailed with a message that names no secret."""
    if not isinstance(config, PostgresConnection):
        raise TypeError("the PostgreSQL collector reads postgres configs only")
    password = config.password.get_secret_value() if config.password else None
    target = f"{config.host}:{config.port}"
    try:
        address = remote.reach(config.host, config.port, float(config.connect_timeout), policy)
        try:
            conn = psycopg.connect(
                **connect_args(config, address, config.connect_timeout, "dlv-collector")
            )
        except psycopg.Error as exc:
            raise CollectFailed(login_failure(exc, config, target)) from None
        with conn:
            try:
                return _snapshot(conn)
            except psycopg.Error as exc:
                state = getattr(exc, "sqlstate", None)
                code = f" (SQLSTATE {state})" if isinstance(state, str) else ""
                raise CollectFailed(f"Reading the catalog of {target} failed{code}") from None
    except CollectFailed as failed:
        raise CollectFailed(redact(str(failed), [password] if password else [])) from None


def _snapshot(conn: psycopg.Connection[tuple[object, ...]]) -> Snapshot:
    conn.execute(sql.SQL("SET statement_timeout = {}").format(sql.Literal(STATEMENT_TIMEOUT_MS)))
    # One snapshot for the three queries: a view created between them cannot half appear.
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    by_oid: dict[int, tuple[str, Relation]] = {}
    for oid, schema, name, relkind, tuples, comment in conn.execute(RELATIONS):
        estimate = int(str(tuples)) if tuples is not None else -1
        relation = Relation(
            schema=str(schema),
            name=str(name),
            kind=KINDS[str(relkind)],
            # -1: never vacuumed or analyzed (PostgreSQL 14+); views have none.
            row_estimate=estimate if estimate >= 0 and relkind not in ("v",) else None,
            comment=str(comment) if comment is not None else None,
        )
        by_oid[int(str(oid))] = (f"{schema}.{name}", relation)
    for oid, name, type_, comment in conn.execute(COLUMNS):
        found = by_oid.get(int(str(oid)))
        if found is not None:
            found[1].columns.append(
                {
                    "name": str(name),
                    "type": str(type_),
                    "description": str(comment) if comment is not None else None,
                }
            )
    dependencies: set[tuple[str, str]] = set()
    for source, target in conn.execute(DEPENDENCIES):
        src, tgt = by_oid.get(int(str(source))), by_oid.get(int(str(target)))
        if src is not None and tgt is not None:
            dependencies.add((src[0], tgt[0]))
    conn.execute("COMMIT")
    return Snapshot(dict(by_oid.values()), dependencies)


__all__ = ["CollectFailed", "Relation", "Snapshot", "namespace", "read"]
