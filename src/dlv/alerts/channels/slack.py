"""Slack incoming webhook: a Block Kit message. The webhook URL is the credential, so errors
name "the Slack webhook" and never the URL."""

from __future__ import annotations

import json

from dlv.alerts import message
from dlv.alerts.channels import Outcome, Send
from dlv.alerts.channels.http import post


async def send(job: Send) -> Outcome:
    """POST the Block Kit message to the Slack webhook."""
    url = str(job.config.get("url") or "")
    if not url:
        return Outcome(ok=False, error="the Slack channel has no webhook URL set")
    body = json.dumps(message.slack(job.payload)).encode()
    return await post(
        url,
        body,
        {"Content-Type": "application/json"},
        job.policy,
        job.timeout,
        target="the Slack webhook",
        secrets=[url],
    )
