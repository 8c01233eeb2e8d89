"""One connector per system kind, behind one interface; a new system is one new module here."""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar, Protocol

from dlv.health.connectors.airflow import AirflowConnector
from dlv.health.connectors.base import Probe
from dlv.health.connectors.postgres import PostgresConnector
from dlv.health.connectors.spark import SparkConnector
from dlv.health.network import NetworkPolicy
from dlv.health.schemas import CheckResult, CheckStatus
from dlv.nodes.connections import AirflowConnection, PostgresConnection, SparkConnection
from dlv.nodes.models import NodeKind

log = logging.getLogger("dlv.health")

AnyConnection = PostgresConnection | AirflowConnection | SparkConnection
# Each step is bounded by the timeout; this bounds the whole check whatever a connector does
# (a connector has at most this many steps).
MAX_STEPS = 8


class Connector(Protocol):
    """Tests a connection config of its ``kind``; never raises for a failed system."""

    kind: ClassVar[NodeKind]

    async def test(
        self,
        config: AnyConnection,
        timeout: float,  # noqa: ASYNC109 - a per-step budget, applied by each step
        policy: NetworkPolicy,
    ) -> CheckResult:
        """Every network step bounded by ``timeout`` seconds, every destination allowed by
        ``policy`` before anything connects to it; failures become the result."""
        ...


CONNECTORS: dict[NodeKind, type[Connector]] = {
    c.kind: c for c in (PostgresConnector, AirflowConnector, SparkConnector)
}


def timeout_of(config: AnyConnection) -> float:
    """The per-step timeout the config asks for (default 5 s)."""
    if isinstance(config, PostgresConnection):
        return float(config.connect_timeout)
    return float(config.timeout)


async def run(config: AnyConnection, policy: NetworkPolicy) -> CheckResult:
    """Test ``config`` with its kind's connector, going only where ``policy`` allows; a bug in
    a connector is an error result too."""
    timeout = timeout_of(config)
    connector = CONNECTORS[NodeKind(config.kind)]()
    try:
        async with asyncio.timeout(timeout * MAX_STEPS):
            return await connector.test(config, timeout, policy)
    except TimeoutError:
        probe = Probe(timeout)
        return probe.result("").model_copy(
            update={
                "status": CheckStatus.error,
                "message": f"The check did not finish within {timeout * MAX_STEPS:g} s",
            }
        )
    except Exception as exc:  # a connector bug must not become a 500 or a hung request
        # The exception text may quote the config; only its type is logged and returned.
        log.error("connector %s failed: %s", config.kind, type(exc).__name__)
        return (
            Probe(timeout)
            .result("")
            .model_copy(
                update={
                    "status": CheckStatus.error,
                    "message": (
                        f"The {config.kind} check failed unexpectedly ({type(exc).__name__})"
                    ),
                }
            )
        )
