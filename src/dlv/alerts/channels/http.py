"""POST to a receiver the network policy allows, pinned to the address it judged.

The same rules as a connection test (``dlv.health.network``): the host is resolved, every
address must pass DLV_CHECK_ALLOW/DENY, and the request goes to a judged address only (no
second DNS answer), with no redirects, no proxy from the environment, and a timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import httpx

from dlv.alerts.channels import Outcome, elapsed_ms
from dlv.health.connectors.base import Pin, PinnedTransport, allowed_addresses, describe, redact
from dlv.health.network import NetworkPolicy


async def pin(host: str, port: int, policy: NetworkPolicy) -> Pin:
    """The address to connect to for ``host``, after the policy allowed every address
    (``StepError`` with its reason when not)."""
    return Pin(host, port, (await allowed_addresses(host, port, policy))[0])


async def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    policy: NetworkPolicy,
    seconds: float,
    *,
    target: str,
    secrets: Iterable[str] = (),
) -> Outcome:
    """POST ``body``; a 2xx answer is success. ``target`` names the receiver in errors (the
    URL itself may be the secret, as Slack's is)."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(seconds):
            parsed = httpx.URL(url)
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            destination = await pin(parsed.host, port, policy)
            async with httpx.AsyncClient(
                transport=PinnedTransport(destination),
                timeout=httpx.Timeout(seconds),
                trust_env=False,
                follow_redirects=False,
                headers={"User-Agent": "dlv-alerts"},
            ) as client:
                response = await client.post(url, content=body, headers=headers)
    except Exception as exc:  # every failure (a refusal too) becomes the attempt's message
        message = describe(exc, target, seconds)
        return Outcome(ok=False, error=redact(message, secrets), duration_ms=elapsed_ms(started))
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(ok=True, status_code=code, duration_ms=elapsed_ms(started))
    # The status code only: what a receiver answers is not DLV's to repeat.
    return Outcome(
        ok=False,
        status_code=code,
        error=f"{target} answered HTTP {code}",
        duration_ms=elapsed_ms(started),
    )
