"""HTTP reads of the Airflow and Spark collectors, under the health checks' network rules.

The same steps as a connection test (``dlv.health.connectors.base``): the host is resolved and
every address judged by the network policy before anything connects, the port is opened, and
every request goes to the judged address (``Pin``), with no proxy and no redirect. Each
request is one step bounded by the config's timeout; the whole read by ``MAX_SECONDS``.
Failures are DLV's own words with the known secrets masked (``Probe``), never the server's.

``reach`` is those first two steps alone, for the PostgreSQL collector (libpq then connects to
the address). ``read`` runs the async read on a private event loop: collectors are synchronous (the
monitoring loop calls them from worker threads), and this is how they reuse the async steps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

import httpx

from dlv.collectors.base import CollectFailed
from dlv.health.connectors.base import (
    CheckFailed,
    Pin,
    Probe,
    StepError,
    get_json,
    http_client,
    open_port,
    redact,
    resolve,
)
from dlv.health.network import NetworkPolicy

# A bound on a whole read whatever the number of pages (each request has its own timeout).
MAX_SECONDS = 300.0

T = TypeVar("T")


@dataclass
class Remote:
    """One system's HTTP API, reached the way a connection test reaches it."""

    probe: Probe
    client: httpx.AsyncClient
    base: str
    target: str

    async def get(self, path: str, params: dict[str, str | int] | None = None) -> object:
        """GET ``path``'s JSON, one timed step; a failure stops the read (CheckFailed)."""
        url = httpx.URL(self.base + path, params=params or {})
        async with self.probe.step(path, self.target) as step:
            body = await get_json(self.client, str(url), path)
            step.done("ok")
        return body

    def fail(self, message: str) -> CollectFailed:
        """A failure DLV found in an answer (a wrong shape), with the secrets masked."""
        return CollectFailed(redact(message, self.probe.secrets))


@asynccontextmanager
async def connect(
    base: str,
    timeout: float,  # noqa: ASYNC109 - a per-step budget, applied by each step
    policy: NetworkPolicy,
    secrets: list[str],
    headers: dict[str, str] | None = None,
) -> AsyncIterator[Remote]:
    """The resolve and connect steps, then a pinned client; CollectFailed at the first
    failed step, with its message."""
    probe = Probe(timeout, secrets)
    url = httpx.URL(base)
    port = url.port or (443 if url.scheme == "https" else 80)
    target = f"{url.host}:{port}"
    try:
        address = await _reach(probe, url.host, port, policy, target)
        async with http_client(timeout, Pin(url.host, port, address), headers) as client:
            yield Remote(probe, client, base, target)
    except CheckFailed:
        raise CollectFailed(probe.result("").message) from None
    except StepError as exc:
        raise CollectFailed(redact(str(exc), probe.secrets)) from None


async def _reach(probe: Probe, host: str, port: int, policy: NetworkPolicy, target: str) -> str:
    addresses = await resolve(probe, host, port, policy)
    return await open_port(probe, addresses, port, target)


def reach(host: str, port: int, timeout: float, policy: NetworkPolicy) -> str:
    """The resolve and connect steps alone, for a collector with a client of its own (libpq):
    the address the policy allowed and whose port answered; CollectFailed at a failed step."""
    probe = Probe(timeout)
    try:
        return asyncio.run(_reach(probe, host, port, policy, f"{host}:{port}"))
    except CheckFailed:
        raise CollectFailed(probe.result("").message) from None


def read(coro: Callable[[], Awaitable[T]], what: str) -> T:
    """Run an async read to its end on a loop of its own, bounded by ``MAX_SECONDS``."""

    async def bounded() -> T:
        try:
            async with asyncio.timeout(MAX_SECONDS):
                return await coro()
        except TimeoutError:
            raise CollectFailed(f"Reading {what} did not finish within {MAX_SECONDS:g} s") from None

    return asyncio.run(bounded())
