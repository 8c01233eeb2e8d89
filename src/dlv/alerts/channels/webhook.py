"""Generic webhook: the alert as JSON, signed so that a receiver can check who sent it, and
when (docs/operations.md has a verification snippet).

``X-DLV-Timestamp`` is the Unix time of sending; ``X-DLV-Signature`` is
``sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``. A receiver recomputes it over
the raw body and refuses a timestamp older than a few minutes (a replay). ``X-DLV-Delivery``
is the same on every retry of one delivery: a receiver can drop duplicates by it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from dlv.alerts.channels import Outcome, Send
from dlv.alerts.channels.http import post


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-DLV-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


async def send(job: Send) -> Outcome:
    """POST the alert JSON to the webhook."""
    body = json.dumps(job.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-DLV-Timestamp": timestamp,
        "X-DLV-Delivery": job.delivery_id,
    }
    secret = str(job.config.get("secret") or "")
    if secret:
        headers["X-DLV-Signature"] = signature(secret, timestamp, body)
    url = str(job.config["url"])
    parsed = httpx.URL(url)
    return await post(
        url,
        body,
        headers,
        job.policy,
        job.timeout,
        target=f"the webhook at {parsed.host}:{parsed.port or ''}".rstrip(":"),
        secrets=[secret],
    )
