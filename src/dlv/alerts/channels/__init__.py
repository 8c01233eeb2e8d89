"""Channel senders: one module per kind, each a ``send`` coroutine of the same shape.

A sender never raises: every failure becomes an ``Outcome`` whose ``error`` is in DLV's own
words (the network failure, or the HTTP status code), never the receiver's body and never a
secret (the Slack URL, the signing secret, the SMTP password).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from dlv.health.network import NetworkPolicy


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0


@dataclass(frozen=True)
class Send:
    """One message to send: the channel's full config (secrets opened), the alert, and the
    delivery's id (sent along so that a receiver can drop a retried duplicate)."""

    kind: str
    config: dict[str, Any]
    payload: dict[str, Any]
    delivery_id: str
    timeout: float
    policy: NetworkPolicy


Sender = Callable[[Send], Awaitable[Outcome]]


def elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def registry() -> dict[str, Sender]:
    """The sender of each channel kind."""
    from dlv.alerts.channels import email, slack, webhook  # noqa: PLC0415 - they import this

    return {"webhook": webhook.send, "slack": slack.send, "email": email.send}


async def send(job: Send) -> Outcome:
    """Send ``job`` with its kind's sender."""
    sender = registry().get(job.kind)
    if sender is None:
        return Outcome(ok=False, error=f"unknown channel kind {job.kind!r}")
    return await sender(job)
