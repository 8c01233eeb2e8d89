"""How an alert reads: its title and lines, Slack's Block Kit, an email. Pure functions of the
alert payload (built by ``dlv.alerts.incidents``), so every channel says the same thing."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from typing import Any

Payload = dict[str, Any]
_MAX_TEXT = 2900  # Slack refuses a section text past 3,000 characters
# RFC 5322's hard limit: the default 78 folded a long subject right after "Subject:", which
# mail clients then showed with a leading space.
_MAIL = policy.SMTP.clone(max_line_length=998)


def _name(node: dict[str, Any]) -> str:
    return f"{node.get('namespace')}/{node.get('name')}"


def title(payload: Payload) -> str:
    """One line: what happened to which root, and how much it affects."""
    root = payload["root"]
    if payload["type"] == "recovery":
        return f"[DLV] recovered: {_name(root)}"
    word = "late" if payload["event"] == "late" else "failing"
    return f"[DLV] {word}: {_name(root)} ({payload['affected_count']} downstream affected)"


def lines(payload: Payload) -> list[str]:
    """The alert as plain text lines (email body, Slack fallback text)."""
    root = payload["root"]
    out = [title(payload), ""]
    if payload["type"] == "recovery":
        out.append(f"{_name(root)} is {root.get('status')} again; the incident is resolved.")
    else:
        out.append(f"Root cause: {_name(root)} ({root.get('kind')}), status {payload['event']}")
        if payload.get("message"):
            out.append(f"Message: {payload['message']}")
        out.append(f"Downstream affected: {payload['affected_count']}")
        for node in payload["affected_top"]:
            out.append(f"  - {_name(node)} ({node.get('kind')}, {node.get('status')})")
        more = payload["affected_count"] - len(payload["affected_top"])
        if more > 0:
            out.append(f"  ... and {more} more")
        owners = payload["owners"]
        out.append("Owners to notify: " + (", ".join(owners) if owners else "none recorded"))
    out.append(f"Incident view: {payload['link']}")
    return out


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def slack(payload: Payload) -> dict[str, Any]:
    """A Block Kit message: header, what failed, what it affects, whom to tell, the link."""
    root = payload["root"]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title(payload)[:150]}},
    ]
    if payload["type"] == "recovery":
        text = f"*{_name(root)}* is `{root.get('status')}` again: the incident is resolved."
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}})
    else:
        text = f"*Root cause:* `{_name(root)}` ({root.get('kind')}) is *{payload['event']}*"
        if payload.get("message"):
            text += f"\n>{payload['message']}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}})
        owners = ", ".join(payload["owners"]) or "none recorded"
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": f"*Downstream affected:*\n{payload['affected_count']}",
                    },
                    {"type": "mrkdwn", "text": _clip(f"*Owners to notify:*\n{owners}")},
                ],
            }
        )
        if payload["affected_top"]:
            top = "\n".join(f"• `{_name(n)}` ({n.get('status')})" for n in payload["affected_top"])
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": _clip("*Top affected:*\n" + top)},
                }
            )
    blocks.append(
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"<{payload['link']}|Open the incident view>"},
        }
    )
    return {"text": title(payload), "blocks": blocks}


def email(payload: Payload, sender: str, recipients: list[str]) -> EmailMessage:
    """The alert as a plain-text email."""
    message = EmailMessage(policy=_MAIL)
    message["Subject"] = title(payload)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content("\n".join(lines(payload)) + "\n")
    return message
