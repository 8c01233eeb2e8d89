"""PostgreSQL: resolve, open the port, log in (TLS per sslmode), SELECT 1, version, catalog."""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar

import psycopg
from psycopg import sql

from dlv.health.connectors.base import (
    CheckFailed,
    Probe,
    StepError,
    bare_host,
    open_port,
    resolve,
    version_of,
)
from dlv.health.network import NetworkPolicy
from dlv.health.schemas import CheckResult
from dlv.nodes.connections import AirflowConnection, PostgresConnection, SparkConnection
from dlv.nodes.models import NodeKind

# SQLSTATEs the server sends while logging in, and what they mean to whoever reads the check.
_INVALID_PASSWORD = "28P01"
_INVALID_AUTHORIZATION = "28000"
_UNKNOWN_DATABASE = "3D000"
_CANNOT_CONNECT_NOW = "57P03"
_TOO_MANY_CONNECTIONS = "53300"
_SQLSTATE = re.compile(r"^[0-9A-Z]{5}$")
# What libpq says when the other end does not speak PostgreSQL's protocol; it would go on to
# quote the byte it got instead ("received invalid response to SSL negotiation: H").
_NOT_POSTGRES = (
    "invalid response to SSL negotiation",
    "invalid response to GSSAPI negotiation",
    "expected authentication request from server",
    "invalid protocol negotiation message",
    "unexpected message from server",
    "message contents do not agree with length",
    "invalid message length",
    "lost synchronization with server",
)

CATALOG_QUERY = (
    "SELECT count(*) FROM information_schema.tables "
    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
)


def connect_args(
    config: PostgresConnection, address: str, timeout: float, application: str
) -> dict[str, Any]:
    """psycopg's arguments to log in to ``address``, one that the network policy allowed."""
    password = config.password.get_secret_value() if config.password else None
    return {
        "host": bare_host(config.host),
        # libpq does no lookup of its own; host stays for TLS (SNI, verify-full).
        "hostaddr": address,
        "port": config.port,
        "dbname": config.database,
        "user": config.user,
        "password": password,
        "sslmode": config.sslmode,
        # libpq counts whole seconds and never less than 2.
        "connect_timeout": max(2, math.ceil(timeout)),
        "application_name": application,
        "autocommit": True,
    }


def login_failure(exc: psycopg.Error, config: PostgresConnection, target: str) -> str:
    # libpq reports login failures as text (psycopg leaves sqlstate unset for them); match on
    # both and put every failure into DLV's own words. Whatever the server said is never
    # quoted: the check may be pointed at any server, and its answer must not come back.
    state = getattr(exc, "sqlstate", None)
    text = str(exc)
    if any(marker in text for marker in _NOT_POSTGRES):
        return f"Not a PostgreSQL server: {target} does not answer the PostgreSQL protocol"
    if state == _INVALID_PASSWORD or "password authentication failed" in text:
        return (
            f"Wrong credentials: password authentication failed for user {config.user!r} "
            f"on {target}"
        )
    if state == _UNKNOWN_DATABASE or (
        "database" in text and "does not exist" in text and "role" not in text
    ):
        return f"Unknown database: {config.database!r} does not exist on {target}"
    if state == _INVALID_AUTHORIZATION or "no pg_hba.conf entry" in text or "role" in text:
        return (
            f"Login refused for user {config.user!r} on {target}: the role does not exist, "
            "may not log in, or pg_hba.conf has no entry for DLV's address"
        )
    if "SSL" in text or "TLS" in text or "certificate" in text:
        return f"TLS problem with {target} (sslmode={config.sslmode}): {_tls_failure(text)}"
    if "timeout expired" in text:
        return (
            f"Timed out: no answer from {target} while logging in, within the "
            f"{config.connect_timeout} s timeout"
        )
    if "server closed the connection unexpectedly" in text:
        return (
            f"{target} closed the connection during login: not a PostgreSQL server, or it "
            "ended the session (see its log)"
        )
    code = f" (SQLSTATE {state})" if isinstance(state, str) and _SQLSTATE.match(state) else ""
    if state in (_CANNOT_CONNECT_NOW, _TOO_MANY_CONNECTIONS):
        return (
            f"The server on {target} refuses connections now{code}: starting up, shutting "
            "down, or at its connection limit"
        )
    if code:
        return f"Login to {target} failed{code}"
    return (
        f"Login to {target} failed: the server refused it (DLV does not repeat a server's "
        "own words; its log says why)"
    )


def _tls_failure(text: str) -> str:
    if "server does not support SSL" in text:
        return "the server does not offer TLS"
    if "certificate" in text:
        return "the server's certificate was not accepted"
    return "the TLS handshake failed"


class PostgresConnector:
    """A real login with psycopg 3, then the queries a catalog crawl will need."""

    kind: ClassVar[NodeKind] = NodeKind.postgres

    async def test(
        self,
        config: PostgresConnection | AirflowConnection | SparkConnection,
        timeout: float,  # noqa: ASYNC109 - the per-step budget each step applies itself
        policy: NetworkPolicy,
    ) -> CheckResult:
        if not isinstance(config, PostgresConnection):
            raise TypeError("PostgresConnector tests postgres configs only")
        password = config.password.get_secret_value() if config.password else None
        probe = Probe(timeout, [password] if password else [])
        target = f"{config.host}:{config.port}"
        try:
            addresses = await resolve(probe, config.host, config.port, policy)
            address = await open_port(probe, addresses, config.port, target)
            summary = await self._session(probe, config, address, target)
        except CheckFailed:
            summary = ""
        return probe.result(summary)

    async def _session(
        self,
        probe: Probe,
        config: PostgresConnection,
        address: str,
        target: str,
    ) -> str:
        conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        try:
            async with probe.step("login", target) as step:
                try:
                    # The step's own asyncio timeout is the real bound.
                    conn = await psycopg.AsyncConnection.connect(
                        **connect_args(config, address, probe.timeout, "dlv-health")
                    )
                except psycopg.Error as exc:
                    raise StepError(login_failure(exc, config, target)) from None
                tls = "TLS" if conn.pgconn.ssl_in_use else "no TLS"
                step.done(f"logged in to {config.database!r} as {config.user!r} ({tls})")
            assert conn is not None
            async with probe.step("query", target) as step:
                # A server-side bound too: a query stuck behind a lock ends on the server.
                await conn.execute(
                    sql.SQL("SET statement_timeout = {}").format(
                        sql.Literal(max(1, round(probe.timeout * 1000)))
                    )
                )
                cur = await conn.execute("SELECT 1, current_setting('server_version')")
                row = await cur.fetchone()
                version = (version_of(row[1]) if row else None) or "(version not recognised)"
                step.done(f"SELECT 1 answered; PostgreSQL {version}")
            async with probe.step("catalog", target) as step:
                cur = await conn.execute(CATALOG_QUERY)
                row = await cur.fetchone()
                tables = int(str(row[0])) if row else 0
                hint = "" if tables else " (none visible: check the user's privileges)"
                step.done(
                    f"user {config.user!r} can read information_schema: {tables} tables{hint}"
                )
            return f"PostgreSQL {version}; {tables} tables visible to {config.user!r}"
        finally:
            if conn is not None:
                await conn.close()
