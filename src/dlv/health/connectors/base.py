"""What every connector shares: timed steps, network probes, and error messages people can act on.

A check is a sequence of steps (resolve the host, open the port, log in, ask something). Each
step runs under the check's timeout and is recorded with its latency; the first failing step
stops the check and its message becomes the check's message. Failures are described by what
went wrong on the network (DNS, refused, unreachable, no answer, TLS, credentials), in DLV's
own words: never bytes, text or JSON fields of the remote answer (a check can be pointed at any
server, so what it answers must not come back through DLV). Values a check reports are parsed
into a known shape first (a version number, a count, a status word DLV knows). Every message
passes through ``redact`` so that no password or token can reach a response, the history table
or the audit trail.

Where a check goes is decided by the network policy (``dlv.health.network``): ``resolve``
refuses a destination the policy denies before anything connects, and every later connection
goes to an address ``resolve`` returned.
"""

from __future__ import annotations

import asyncio
import errno
import re
import socket
import ssl
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

import httpx

from dlv.db import utcnow
from dlv.health.network import NetworkPolicy
from dlv.health.schemas import CheckResult, CheckStatus, CheckStep

MASK = "***"
_MAX_DETAIL = 160
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN}
_OPENSSL_REASON = re.compile(r"^[A-Z0-9_]{1,80}$")
_VERSION = re.compile(r"v?(\d{1,6}(?:\.\d{1,6}){0,3})(?!\.?\d)")


class StepError(Exception):
    """A step failed for a reason the connector already put into words."""


class CheckFailed(Exception):
    """Stops a check after a failed step (already recorded)."""


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def short(text: str) -> str:
    """One line of at most ``_MAX_DETAIL`` characters (server answers can be whole pages)."""
    line = " ".join(text.split())
    return line if len(line) <= _MAX_DETAIL else line[: _MAX_DETAIL - 1] + "…"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def describe(exc: BaseException, target: str, timeout: float) -> str:
    """A message for a network failure talking to ``target``; each cause reads differently."""
    for cause in _chain(exc):
        if isinstance(cause, StepError):
            return str(cause)
        if isinstance(cause, TimeoutError | httpx.TimeoutException):
            return (
                f"Timed out: no answer from {target} within the {timeout:g} s timeout "
                "(host down, firewalled, or the service hangs)"
            )
        if isinstance(cause, ssl.SSLError):
            return f"TLS problem with {target}: the TLS handshake failed ({_tls_reason(cause)})"
        if isinstance(cause, socket.gaierror):
            return f"DNS lookup failed for {target}: {cause.strerror or 'name not found'}"
        if isinstance(cause, ConnectionRefusedError):
            return f"Connection refused by {target}: nothing is listening on that port"
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE:
            return f"Host unreachable: no route to {target}"
    return f"Could not talk to {target}: {type(exc).__name__}"


def _tls_reason(error: ssl.SSLError) -> str:
    # OpenSSL's own words: a verification message from its table (the host named in a
    # mismatch is the configured one) or a reason code. Anything else stays unsaid.
    verify = getattr(error, "verify_message", None)
    if isinstance(error, ssl.SSLCertVerificationError) and isinstance(verify, str) and verify:
        return short(verify)
    reason = error.reason
    if isinstance(reason, str) and _OPENSSL_REASON.match(reason):
        return reason.lower().replace("_", " ")
    return "no details"


def version_of(value: object) -> str | None:
    """A version number found in a remote answer (``3.5.1``, ``16.4``), or None.

    Only a leading number is kept (``2.10.5+astro.1`` -> ``2.10.5``, ``16.4 (Debian ...)``
    -> ``16.4``): a check reports what it recognised, never a remote string as it came.
    """
    if not isinstance(value, str):
        return None
    match = _VERSION.match(value.strip())
    return match.group(1) if match else None


def timestamp_of(value: object) -> str | None:
    """An ISO timestamp found in a remote answer, re-rendered by DLV from its parsed value (never
    the string as it came), or None."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).isoformat(timespec="seconds")
    except ValueError:
        return None


@dataclass
class Step:
    message: str = ""

    def done(self, message: str) -> None:
        self.message = message


class Probe:
    """Runs and records the steps of one check."""

    def __init__(self, timeout: float, secrets: Iterable[str] = ()) -> None:
        self.timeout = timeout
        self.secrets = [s for s in secrets if s]
        self.steps: list[CheckStep] = []
        self._started = time.monotonic()
        self._checked_at = utcnow()

    def _record(self, name: str, ok: bool, message: str, started: float) -> None:
        latency = round((time.monotonic() - started) * 1000)
        self.steps.append(
            CheckStep(name=name, ok=ok, message=redact(message, self.secrets), latency_ms=latency)
        )

    @asynccontextmanager
    async def step(self, name: str, target: str) -> AsyncIterator[Step]:
        """Time a step, bound it by the timeout, and turn its failure into a message."""
        step = Step()
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                yield step
        except CheckFailed:
            raise
        except Exception as exc:  # every failure of a step becomes its message
            self._record(name, False, describe(exc, target, self.timeout), started)
            raise CheckFailed from None
        self._record(name, True, step.message or "ok", started)

    def result(self, summary: str) -> CheckResult:
        """The check's result: failed at the first failing step, else ``summary``."""
        failed = next((s for s in self.steps if not s.ok), None)
        return CheckResult(
            status=CheckStatus.error if failed else CheckStatus.ok,
            latency_ms=round((time.monotonic() - self._started) * 1000),
            message=failed.message if failed else redact(summary, self.secrets),
            steps=self.steps,
            checked_at=self._checked_at,
        )


def bare_host(host: str) -> str:
    """``[::1]`` -> ``::1``: the brackets belong in URLs, not in socket calls."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


async def allowed_addresses(host: str, port: int, policy: NetworkPolicy) -> list[str]:
    """The host's addresses (the OS resolver); ``StepError`` with the policy's reason when
    it denies the name or any of them."""
    refused = policy.refuse_name(host)
    if refused:
        raise StepError(refused)
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(bare_host(host), port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = policy.refuse(host, addresses)
    if refused:
        raise StepError(refused)
    return addresses


async def resolve(probe: Probe, host: str, port: int, policy: NetworkPolicy) -> list[str]:
    """Step ``resolve``: the host's addresses (the OS resolver), each allowed by ``policy``.

    A destination the policy denies fails this step, so nothing connects to it; the
    addresses returned are the only ones the check may connect to.
    """
    async with probe.step("resolve", f"host {host!r}") as step:
        addresses = await allowed_addresses(host, port, policy)
        step.done(f"{host} resolves to {', '.join(addresses[:4])}")
    return addresses


async def open_port(probe: Probe, addresses: list[str], port: int, target: str) -> str:
    """Step ``connect``: the first address whose port accepts a TCP connection."""
    async with probe.step("connect", target) as step:
        first_error: OSError | None = None
        for address in addresses:
            try:
                _, writer = await asyncio.open_connection(address, port)
            except OSError as exc:
                first_error = first_error or exc
                continue
            writer.close()
            await writer.wait_closed()
            step.done(f"TCP port {port} open on {address}")
            return address
        assert first_error is not None  # resolve() never returns an empty list
        raise first_error
    raise AssertionError("unreachable")  # pragma: no cover - the step either returns or raises


@dataclass(frozen=True)
class Pin:
    """The one destination of a check's HTTP requests: the URL's host and port, and the
    address ``resolve`` allowed and ``open_port`` reached."""

    host: str
    port: int
    address: str


class PinnedTransport(httpx.AsyncBaseTransport):
    """Sends each request to the pinned address, never to a fresh DNS answer.

    The URL keeps its host name for the Host header and for TLS (SNI and certificate
    checks); only the TCP connection goes to the address the policy checked, so a DNS
    answer that changes between the check and the request (DNS rebinding) cannot move it.
    """

    def __init__(self, pin: Pin) -> None:
        self._pin = pin
        self._inner = httpx.AsyncHTTPTransport(trust_env=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        default_port = 443 if url.scheme == "https" else 80
        if (
            bare_host(url.host).lower() != bare_host(self._pin.host).lower()
            or (url.port or default_port) != self._pin.port
        ):
            # Redirects are not followed, so only a bug gets here; it must not go anywhere.
            raise StepError("DLV talks only to the configured host and port")
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=bare_host(self._pin.address).split("%", 1)[0]),
            headers=request.headers,  # Host still names the configured host
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": bare_host(url.host)},
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self._inner.aclose()


def http_client(
    timeout: float, pin: Pin, headers: dict[str, str] | None = None
) -> httpx.AsyncClient:
    """A client for one check: every phase bounded by ``timeout``, TLS verified, every
    request sent to ``pin``'s address.

    ``trust_env=False``: a proxy configured for package downloads must not sit between DLV
    and the systems it monitors (the resolve and connect steps go direct too).
    """
    return httpx.AsyncClient(
        transport=PinnedTransport(pin),
        timeout=httpx.Timeout(timeout),
        trust_env=False,
        follow_redirects=False,
        headers={"Accept": "application/json", "User-Agent": "dlv-health", **(headers or {})},
    )


def http_failure(response: httpx.Response, path: str) -> str | None:
    """A message for an HTTP answer that is not a success, else None."""
    code = response.status_code
    if code == 401:
        return (
            f"Credentials rejected (HTTP 401 at {path}): wrong username/password or token, "
            "or none configured"
        )
    if code == 403:
        return (
            f"Credentials rejected (HTTP 403 at {path}): the token is invalid or the user "
            "lacks permission"
        )
    if code == 404:
        return f"Not found (HTTP 404 at {path}): check the URL and the API version"
    if code >= 400:
        return f"HTTP {code} at {path}{_phrase(code)}"
    if code >= 300:
        return (
            f"HTTP {code} at {path}: a redirect, which DLV does not follow (check the URL: "
            "http or https, a path prefix)"
        )
    return None


def _phrase(code: int) -> str:
    # The standard phrase from Python's table, not the server's reason phrase.
    try:
        return f" ({HTTPStatus(code).phrase})"
    except ValueError:
        return ""


def _media(content_type: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "text/html":
        return "an HTML page"
    if media.startswith("text/"):
        return "text"
    return "something else" if media else "a body without a content type"


async def get_json(client: httpx.AsyncClient, url: str, path: str) -> object:
    """GET ``url`` and parse its JSON body; any other answer raises a StepError."""
    response = await client.get(url)
    failure = http_failure(response, path)
    if failure:
        raise StepError(failure)
    try:
        return response.json()
    except ValueError:
        content_type = response.headers.get("content-type", "")
        raise StepError(
            f"{path} did not answer JSON (it answered {_media(content_type)})"
        ) from None
