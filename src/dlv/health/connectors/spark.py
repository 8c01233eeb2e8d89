"""Spark: the monitoring REST API of a history server or application UI, or a standalone master.

History servers and application UIs serve ``/api/v1/version`` (``{"spark": "3.5.1"}``) and
``/api/v1/applications``; a standalone master serves neither (its UI answers HTML there) but
describes itself at ``/json/``. The check tries the REST API first and falls back to the
master's JSON, so one URL field covers all three.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from dlv.health.connectors.base import (
    CheckFailed,
    Pin,
    Probe,
    StepError,
    get_json,
    http_client,
    open_port,
    resolve,
    version_of,
)
from dlv.health.network import NetworkPolicy
from dlv.health.schemas import CheckResult
from dlv.nodes.connections import AirflowConnection, PostgresConnection, SparkConnection
from dlv.nodes.models import NodeKind

API = "/api/v1"
# The states a standalone master reports (RecoveryState); others are not echoed.
MASTER_STATES = ("ALIVE", "STANDBY", "RECOVERING", "COMPLETING_RECOVERY")


def _running(app: Any) -> bool:
    attempts = app.get("attempts") if isinstance(app, dict) else None
    if not isinstance(attempts, list) or not attempts or not isinstance(attempts[-1], dict):
        return False
    return not attempts[-1].get("completed")


class SparkConnector:
    """Version and application count from Spark's REST API."""

    kind: ClassVar[NodeKind] = NodeKind.spark

    async def test(
        self,
        config: PostgresConnection | AirflowConnection | SparkConnection,
        timeout: float,  # noqa: ASYNC109 - the per-step budget each step applies itself
        policy: NetworkPolicy,
    ) -> CheckResult:
        if not isinstance(config, SparkConnection):
            raise TypeError("SparkConnector tests spark configs only")
        token = config.token.get_secret_value() if config.token else None
        probe = Probe(timeout, [token] if token else [])
        base = str(config.url).rstrip("/").removesuffix(API)
        url = httpx.URL(base)
        port = url.port or (443 if url.scheme == "https" else 80)
        target = f"{url.host}:{port}"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        summary = ""
        try:
            addresses = await resolve(probe, url.host, port, policy)
            address = await open_port(probe, addresses, port, target)
            async with http_client(timeout, Pin(url.host, port, address), headers) as client:
                async with probe.step("version", target) as step:
                    version = await self._version(client, base)
                    step.done(f"Spark {version}" if version else "a standalone master (/json/)")
                if version:
                    summary = await self._applications(probe, client, base, target, version)
                else:
                    summary = await self._master(probe, client, base, target)
        except CheckFailed:
            pass
        return probe.result(summary)

    async def _version(self, client: httpx.AsyncClient, base: str) -> str | None:
        """Spark's version from the REST API, or None when this is a standalone master."""
        try:
            body = await get_json(client, base + API + "/version", API + "/version")
        except StepError:
            # Not the REST API (404, or the master's HTML): a master says so at /json/.
            master = await client.get(base + "/json/")
            if master.status_code == 200 and _json_object(master).get("status") is not None:
                return None
            raise
        version = version_of(body.get("spark")) if isinstance(body, dict) else None
        if version is None:
            raise StepError(f"{API}/version did not answer Spark's {{'spark': version}} object")
        return version

    async def _applications(
        self, probe: Probe, client: httpx.AsyncClient, base: str, target: str, version: str
    ) -> str:
        async with probe.step("applications", target) as step:
            body = await get_json(client, base + API + "/applications", API + "/applications")
            if not isinstance(body, list):
                raise StepError(f"{API}/applications did not answer a list")
            running = sum(1 for app in body if _running(app))
            step.done(f"{len(body)} applications ({running} running)")
        return f"Spark {version}: {len(body)} applications ({running} running)"

    async def _master(self, probe: Probe, client: httpx.AsyncClient, base: str, target: str) -> str:
        async with probe.step("master", target) as step:
            body = await get_json(client, base + "/json/", "/json/")
            if not isinstance(body, dict):
                raise StepError("/json/ did not answer a JSON object")
            raw_status = body.get("status")
            status = raw_status if raw_status in MASTER_STATES else "in an unrecognised state"
            workers = _count(body.get("aliveworkers"), body.get("workers"))
            active = _count(None, body.get("activeapps"))
            completed = _count(None, body.get("completedapps"))
            detail = (
                f"master {status}, {workers} alive workers, "
                f"{active + completed} applications ({active} running)"
            )
            if status != "ALIVE":
                raise StepError(f"The Spark master is not serving: {detail}")
            step.done(detail)
        return f"Spark standalone {detail}"


def _count(number: object, items: object) -> int:
    # A count DLV computes: the number the master gives if it is one, else its list's length.
    if isinstance(number, int) and not isinstance(number, bool) and number >= 0:
        return number
    return len(items) if isinstance(items, list) else 0


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
