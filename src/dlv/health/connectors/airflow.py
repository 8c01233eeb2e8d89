"""Airflow: the REST health endpoint, the version, and whether the configured auth is accepted.

Airflow 2 serves ``/api/v1/health`` and ``/api/v1/version`` and takes basic auth (or a bearer
token, depending on its auth backend). Airflow 3 serves ``/api/v2/monitor/health`` and
``/api/v2/version`` and takes a JWT: with basic auth configured, DLV first trades the username
and password for one at ``/auth/token``, as Airflow 3's documentation describes. Health and
version need no credentials, so one authenticated call (list one DAG) proves they work.
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
    http_failure,
    open_port,
    resolve,
    timestamp_of,
    version_of,
)
from dlv.health.network import NetworkPolicy
from dlv.health.schemas import CheckResult
from dlv.nodes.connections import (
    AirflowConnection,
    BasicAuth,
    BearerAuth,
    PostgresConnection,
    SparkConnection,
    secret_values,
)
from dlv.nodes.models import NodeKind

# The components Airflow reports; only these two decide whether DAGs run at all. The
# triggerer and DAG processor are optional deployments and are reported, not judged.
REQUIRED = ("metadatabase", "scheduler")
OPTIONAL = ("triggerer", "dag_processor")
# The statuses Airflow documents; any other value is reported as unrecognised, not echoed.
STATUSES = ("healthy", "unhealthy")


def _paths(api_version: int) -> dict[str, str]:
    if api_version == 3:
        return {
            "health": "/api/v2/monitor/health",
            "version": "/api/v2/version",
            "auth": "/api/v2/dags?limit=1",
        }
    return {
        "health": "/api/v1/health",
        "version": "/api/v1/version",
        "auth": "/api/v1/dags?limit=1",
    }


def judge_health(body: object) -> tuple[bool, str]:
    """(healthy?, one line per component) from Airflow's documented health JSON."""
    if not isinstance(body, dict):
        raise StepError("the health endpoint did not answer a JSON object")
    parts, healthy = [], True
    for name in (*REQUIRED, *OPTIONAL):
        info: Any = body.get(name)
        status = info.get("status") if isinstance(info, dict) else None
        if name in REQUIRED and status != "healthy":
            healthy = False
        if status is None and name in OPTIONAL:
            continue  # not deployed
        shown = status if status in STATUSES else "missing" if status is None else "unrecognised"
        seen = info.get(f"latest_{name}_heartbeat") if isinstance(info, dict) else None
        beat = timestamp_of(seen)
        parts.append(f"{name} {shown}" + (f" (last heartbeat {beat})" if beat else ""))
    return healthy, "; ".join(parts)


class AirflowConnector:
    """Health, version and an authenticated call against an Airflow deployment."""

    kind: ClassVar[NodeKind] = NodeKind.airflow

    async def test(
        self,
        config: PostgresConnection | AirflowConnection | SparkConnection,
        timeout: float,  # noqa: ASYNC109 - the per-step budget each step applies itself
        policy: NetworkPolicy,
    ) -> CheckResult:
        if not isinstance(config, AirflowConnection):
            raise TypeError("AirflowConnector tests airflow configs only")
        probe = Probe(timeout, secret_values(config))
        base = str(config.base_url).rstrip("/")
        url = httpx.URL(base)
        port = url.port or (443 if url.scheme == "https" else 80)
        target = f"{url.host}:{port}"
        paths = _paths(config.api_version)
        summary = ""
        try:
            addresses = await resolve(probe, url.host, port, policy)
            address = await open_port(probe, addresses, port, target)
            async with http_client(timeout, Pin(url.host, port, address)) as client:
                async with probe.step("health", target) as step:
                    healthy, detail = judge_health(
                        await get_json(client, base + paths["health"], paths["health"])
                    )
                    if not healthy:
                        raise StepError(f"Airflow is unhealthy: {detail}")
                    step.done(detail)
                async with probe.step("version", target) as step:
                    body = await get_json(client, base + paths["version"], paths["version"])
                    found = version_of(body.get("version")) if isinstance(body, dict) else None
                    version = found or "(version not recognised)"
                    step.done(f"Airflow {version}")
                summary = f"Airflow {version}: {detail}"
                if config.auth is not None:
                    await self._authenticate(probe, client, config, base, paths, target)
                    summary += "; credentials accepted"
        except CheckFailed:
            pass
        return probe.result(summary)

    async def _authenticate(
        self,
        probe: Probe,
        client: httpx.AsyncClient,
        config: AirflowConnection,
        base: str,
        paths: dict[str, str],
        target: str,
    ) -> None:
        auth = config.auth
        headers: dict[str, str] = {}
        basic: httpx.BasicAuth | None = None
        if isinstance(auth, BearerAuth):
            headers["Authorization"] = (
                f"Bearer {auth.token.get_secret_value() if auth.token else ''}"
            )
        elif isinstance(auth, BasicAuth) and config.api_version == 3:
            async with probe.step("token", target) as step:
                response = await client.post(
                    base + "/auth/token",
                    json={
                        "username": auth.username,
                        "password": auth.password.get_secret_value() if auth.password else "",
                    },
                )
                failure = http_failure(response, "/auth/token")
                if failure:
                    raise StepError(failure)
                token = response.json().get("access_token") if _is_json(response) else None
                if not isinstance(token, str) or not token:
                    raise StepError("/auth/token answered without an access_token")
                probe.secrets.append(token)
                headers["Authorization"] = f"Bearer {token}"
                step.done(f"got a token for {auth.username!r}")
        elif isinstance(auth, BasicAuth):
            basic = httpx.BasicAuth(
                auth.username, auth.password.get_secret_value() if auth.password else ""
            )
        async with probe.step("auth", target) as step:
            response = await client.get(base + paths["auth"], headers=headers, auth=basic)
            failure = http_failure(response, paths["auth"].split("?")[0])
            if failure:
                raise StepError(failure)
            step.done("credentials accepted (may list DAGs)")


def _is_json(response: httpx.Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False
