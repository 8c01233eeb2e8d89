"""Email over SMTP, in a thread (``smtplib`` blocks): STARTTLS when asked, login when a
username is set, connected to the address the network policy judged."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
import time
from typing import Any

from dlv.alerts import message
from dlv.alerts.channels import Outcome, Send, elapsed_ms
from dlv.alerts.channels.http import pin
from dlv.health.connectors.base import StepError, describe, redact


class _PinnedSMTP(smtplib.SMTP):
    """Connects to ``address`` while speaking to (and verifying TLS for) the host name."""

    def __init__(self, address: str, timeout: float) -> None:
        self._address = address
        super().__init__(timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self._address, port), timeout, self.source_address)


def _deliver(config: dict[str, Any], address: str, payload: dict[str, Any], timeout: float) -> None:
    mail = message.email(payload, str(config["from_address"]), list(config["to"]))
    with _PinnedSMTP(address, timeout) as smtp:
        smtp.connect(str(config["host"]), int(config["port"]))
        if config.get("starttls", True):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("username"):
            smtp.login(str(config["username"]), str(config.get("password") or ""))
        smtp.send_message(mail)


def _smtp_error(exc: smtplib.SMTPException, target: str) -> str | None:
    # SMTP replies are the server's words: the code alone is repeated.
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{target} refused the login (SMTP {exc.smtp_code}): check username and password"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{target} refused every recipient"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{target} does not offer STARTTLS or AUTH as configured"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{target} answered SMTP {exc.smtp_code}"
    return None


async def send(job: Send) -> Outcome:
    """Send the alert as an email."""
    started = time.monotonic()
    config = job.config
    target = f"the SMTP server {config['host']}:{config['port']}"
    password = str(config.get("password") or "")
    try:
        async with asyncio.timeout(job.timeout):
            destination = await pin(str(config["host"]), int(config["port"]), job.policy)
            await asyncio.to_thread(_deliver, config, destination.address, job.payload, job.timeout)
    except StepError as exc:  # the network policy refused the destination
        return Outcome(ok=False, error=str(exc), duration_ms=elapsed_ms(started))
    except smtplib.SMTPException as exc:
        error = _smtp_error(exc, target) or describe(exc, target, job.timeout)
        return Outcome(ok=False, error=redact(error, [password]), duration_ms=elapsed_ms(started))
    except Exception as exc:  # every failure becomes the attempt's message
        error = describe(exc, target, job.timeout)
        return Outcome(ok=False, error=redact(error, [password]), duration_ms=elapsed_ms(started))
    return Outcome(ok=True, duration_ms=elapsed_ms(started))
