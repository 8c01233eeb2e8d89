"""The HTTP side of the remote commands: a running DLV server's API, through httpx.

Every failure becomes a ``RemoteError`` carrying the exit code and one line to print: the
commands never show a traceback, a response body or the token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

API = "/api/v1"
TIMEOUT_SECONDS = 30.0
# Exit codes of the remote commands (docs/operations.md, "Impact from the terminal").
EXIT_FAILURE = 1  # server unreachable, authentication refused, server error
EXIT_USAGE = 2  # bad arguments, node not found or ambiguous
MAX_CANDIDATES = 20
# A reference "ns/with/slashes/name" is tried split at each slash; namespaces are URLs with a
# few slashes each, so a handful of lookups at most.
MAX_SPLITS = 8


class RemoteError(Exception):
    """A remote command failed: ``message`` is the line to print, ``code`` the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Ambiguous(RemoteError):
    """A name matched several nodes (or none, with ``candidates`` as suggestions)."""

    def __init__(self, message: str, candidates: list[dict[str, Any]]) -> None:
        super().__init__(message, EXIT_USAGE)
        self.candidates = candidates


@dataclass(frozen=True)
class Auth:
    """The token to send and where it came from: the message on a 401 depends on it."""

    token: str
    # "env" (DLV_TOKEN), "session" (stored by a password login), "token" (a stored API
    # token), "new" (the one `dlv login --token` is checking)
    source: str

    def __repr__(self) -> str:
        return f"Auth(source={self.source!r}, token=***)"


def _detail(response: httpx.Response) -> str:
    """The problem+json ``detail`` (or title) of an error answer, on one line."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        text = body.get("detail") or body.get("title")
        if isinstance(text, str) and text.strip():
            return text.strip().splitlines()[0][:300]
    return f"HTTP {response.status_code}"


def _refused(auth: Auth | None) -> str:
    if auth is None:
        return "not logged in: run `dlv login` or set DLV_TOKEN"
    if auth.source == "session":
        return "session expired, run `dlv login`"
    if auth.source == "new":
        return "the server refused this token (invalid, expired or revoked)"
    if auth.source == "env":
        return "the server refused the token in DLV_TOKEN (invalid, expired or revoked)"
    return "the server refused the stored token (invalid, expired or revoked): run `dlv login`"


def unreachable(url: str, exc: httpx.HTTPError) -> RemoteError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return RemoteError(f"cannot reach the DLV server at {url}: {reason}")


def answer(response: httpx.Response, url: str, auth: Auth | None) -> Any:
    """The JSON of a 200 answer; a ``RemoteError`` saying what went wrong for any other."""
    status = response.status_code
    if status == httpx.codes.UNAUTHORIZED:
        raise RemoteError(_refused(auth))
    if status == httpx.codes.FORBIDDEN:
        raise RemoteError(f"not allowed: {_detail(response)}")
    if status == httpx.codes.NOT_FOUND:
        raise RemoteError(_detail(response), EXIT_USAGE)
    if 400 <= status < 500:
        raise RemoteError(f"the server refused the request: {_detail(response)}", EXIT_USAGE)
    if status != httpx.codes.OK:
        raise RemoteError(f"the server answered {status}: {_detail(response)}")
    try:
        return response.json()
    except ValueError:
        raise RemoteError(f"{url} did not answer JSON: is it a DLV server?") from None


class Client:
    """A DLV server's API, authenticated with ``auth``."""

    def __init__(self, url: str, auth: Auth | None, transport: httpx.BaseTransport | None = None):
        self.url = url
        self.auth = auth
        headers = {"Authorization": f"Bearer {auth.token}"} if auth else {}
        self._http = httpx.Client(
            base_url=url + API, headers=headers, timeout=TIMEOUT_SECONDS, transport=transport
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON answer of GET ``path``; a ``RemoteError`` for anything but 200."""
        try:
            response = self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise unreachable(self.url, exc) from None
        return answer(response, self.url, self.auth)

    def whoami(self) -> dict[str, Any]:
        me: dict[str, Any] = self.get("/auth/me")
        return me

    def resolve(self, ref: str) -> dict[str, Any]:
        """The node a user named: its id, its exact name, or ``namespace/name``."""
        try:
            node_id = uuid.UUID(ref)
        except ValueError:
            pass
        else:
            node: dict[str, Any] = self.get(f"/nodes/{node_id}")
            return node
        found = {n["id"]: n for n in self._exact(name=ref)}
        slashes = [i for i, c in enumerate(ref) if c == "/"][:MAX_SPLITS]
        for i in slashes:
            namespace, name = ref[:i], ref[i + 1 :]
            if namespace and name:
                found.update((n["id"], n) for n in self._exact(namespace=namespace, name=name))
        matches = sorted(found.values(), key=lambda n: (n["namespace"], n["name"], n["kind"]))
        if len(matches) == 1:
            return matches[0]
        if matches:
            count = f"at least {len(matches)}" if len(matches) >= MAX_CANDIDATES else len(matches)
            raise Ambiguous(f"{ref!r} names {count} nodes: give namespace/name or the id", matches)
        similar = self._exact(q=ref)
        if similar:
            raise Ambiguous(f"no node is named {ref!r}; similar names:", similar)
        raise RemoteError(f"no node is named {ref!r}", EXIT_USAGE)

    def _exact(self, **filters: str) -> list[dict[str, Any]]:
        page = self.get("/nodes", params={**filters, "limit": MAX_CANDIDATES})
        items: list[dict[str, Any]] = page["items"]
        return items

    def lineage(self, node_id: str, direction: str, depth: int | None) -> dict[str, Any]:
        params: dict[str, Any] = {"direction": direction}
        if depth is not None:
            params["depth"] = depth
        graph: dict[str, Any] = self.get(f"/nodes/{node_id}/lineage", params=params)
        return graph

    def impact(self, node_id: str, direction: str, depth: int | None) -> dict[str, Any]:
        params: dict[str, Any] = {"direction": direction}
        if depth is not None:
            params["depth"] = depth
        report: dict[str, Any] = self.get(f"/nodes/{node_id}/impact", params=params)
        return report


def login(url: str, username: str, password: str) -> tuple[str, int]:
    """A login session's token and its lifetime in seconds, for a username and password."""
    try:
        response = httpx.post(
            f"{url}{API}/auth/token",
            data={"username": username, "password": password},
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise unreachable(url, exc) from None
    if response.status_code in (httpx.codes.UNAUTHORIZED, httpx.codes.TOO_MANY_REQUESTS):
        raise RemoteError(f"login refused: {_detail(response)}")
    body = answer(response, url, None)
    try:
        return str(body["access_token"]), int(body["expires_in"])
    except (KeyError, TypeError, ValueError):
        raise RemoteError(f"{url} did not answer a login token: is it a DLV server?") from None
