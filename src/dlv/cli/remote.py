"""``dlv login``, ``dlv logout``, ``dlv lineage``, ``dlv impact``: a running server, from a shell.

These talk to a server's API (``--url``, else ``DLV_URL``, else the stored login's, else
``make run``'s http://127.0.0.1:8000) and never open a database. Exit codes: 0 fine,
1 server unreachable or credentials refused, 2 usage error or node not found/ambiguous,
3 something affected is failing (``--fail-on``), for CI.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer

from dlv.cli import client, credentials, render
from dlv.cli.client import EXIT_USAGE, Auth, Client, RemoteError
from dlv.cli.credentials import Credentials

DEFAULT_URL = "http://127.0.0.1:8000"  # what `make run` serves
EXIT_FAILING = 3


class FailOn(StrEnum):
    error = "error"
    at_risk = "at-risk"
    never = "never"


FAILING = {
    FailOn.error: frozenset({"error"}),
    FailOn.at_risk: frozenset({"error", "at_risk"}),
    FailOn.never: frozenset[str](),
}

Url = Annotated[
    str | None,
    typer.Option(
        "--url",
        help=f"The DLV server (default: $DLV_URL, else the stored login's, else {DEFAULT_URL})",
        show_default=False,
    ),
]
Ref = Annotated[
    str, typer.Argument(metavar="NAME_OR_ID", help="A node id, name, or namespace/name")
]
Depth = Annotated[int | None, typer.Option(min=0, help="Hops (default: unbounded)")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the server's JSON answer")]
AsCsv = Annotated[bool, typer.Option("--csv", help="Print the nodes as CSV")]
Fail = Annotated[
    FailOn,
    typer.Option(
        help="Exit 3 when an affected node is in error (error), in error or at risk "
        "(at-risk), or never"
    ),
]


def _complain(line: str) -> None:
    """``line`` on stderr, red on a terminal unless NO_COLOR is set (click strips the color
    when stderr is not a terminal)."""
    typer.secho(
        line, err=True, fg=typer.colors.RED, color=False if os.environ.get("NO_COLOR") else None
    )


@contextmanager
def _reported() -> Iterator[None]:
    """A RemoteError as its one line on stderr and its exit code: no traceback."""
    try:
        yield
    except client.Ambiguous as exc:
        _complain(f"error: {exc.message}")
        for line in render.candidate_lines(exc.candidates):
            typer.echo(line, err=True)
        raise typer.Exit(exc.code) from None
    except RemoteError as exc:
        _complain(f"error: {exc.message}")
        raise typer.Exit(exc.code) from None


def _normalized(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise RemoteError(f"--url must start with http:// or https:// (got {url!r})", EXIT_USAGE)
    return url


def server_url(option: str | None) -> str:
    """--url, else DLV_URL, else the stored login's server, else the local default."""
    stored = credentials.load()
    chosen = option or os.environ.get("DLV_URL") or (stored.url if stored else DEFAULT_URL)
    return _normalized(chosen)


def auth_for(url: str) -> Auth:
    """DLV_TOKEN, else the stored login, which is only ever sent to the server it came from."""
    env = os.environ.get("DLV_TOKEN", "").strip()
    if env:
        return Auth(env, "env")
    stored = credentials.load()
    if stored is None or stored.url != url:
        raise RemoteError(f"not logged in to {url}: run `dlv login --url {url}` or set DLV_TOKEN")
    if stored.expired():
        raise RemoteError("session expired, run `dlv login`")
    return Auth(stored.token, "session" if stored.expires_at else "token")


def _secret(prompt: str) -> str:
    """A password or token: asked without echo on a terminal, else a line of stdin."""
    if sys.stdin.isatty():
        value: str = typer.prompt(prompt, hide_input=True)
        return value
    return sys.stdin.readline().rstrip("\r\n")


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _unicode() -> bool:
    return (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"


def login(
    url: Url = None,
    username: Annotated[str | None, typer.Option(help="(default: asked)")] = None,
    token: Annotated[
        bool, typer.Option("--token", help="Store an API token (asked, or read from stdin)")
    ] = False,
) -> None:
    """Sign in to a DLV server and keep a token for the other remote commands (0600 file)."""
    with _reported():
        target = server_url(url)  # after "session expired", `dlv login` signs in there again
        if token:
            secret = _secret("API token").strip()
            if not secret:
                raise RemoteError("no token given", EXIT_USAGE)
            with Client(target, Auth(secret, "new")) as api:
                me = api.whoami()
            stored = Credentials(target, secret, me.get("username"))
        else:
            name = username or typer.prompt("Username")
            secret, seconds = client.login(target, name, _secret("Password"))
            expires = datetime.now(UTC) + timedelta(seconds=seconds)
            stored = Credentials(target, secret, name, expires)
        path = credentials.save(stored)
    until = f", session until {stored.expires_at:%Y-%m-%d %H:%M} UTC" if stored.expires_at else ""
    who = f" as {stored.username}" if stored.username else ""
    typer.echo(f"Logged in to {target}{who}{until}; credentials in {path}")


def logout() -> None:
    """Forget the stored login (the file `dlv login` wrote)."""
    path = credentials.path()
    typer.echo(f"Removed {path}" if credentials.remove() else "Not logged in")


def _fetch(
    url: str | None, ref: str, call: Callable[[Client, str], dict[str, Any]]
) -> dict[str, Any]:
    target = server_url(url)
    with Client(target, auth_for(target)) as api:
        node = api.resolve(ref)
        return call(api, str(node["id"]))


def _print(data: dict[str, Any], nodes: list[dict[str, Any]], lines: list[str], form: str) -> None:
    if form == "json":
        typer.echo(json.dumps(data, indent=2))
    elif form == "csv":
        typer.echo(render.csv_text(nodes), nl=False)
    else:
        typer.echo("\n".join(lines))


def _finish(nodes: list[dict[str, Any]], truncated: bool, fail_on: FailOn) -> None:
    if truncated:
        typer.echo("warning: the server cut the answer short (truncated)", err=True)
    bad = render.failing(nodes, FAILING[fail_on])
    if bad:
        named = ", ".join(f"{render.label(n)} ({n['status']})" for n in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        _complain(f"failing: {len(bad)} affected node{'' if len(bad) == 1 else 's'}: {named}{more}")
        raise typer.Exit(EXIT_FAILING)


def _form(as_json: bool, as_csv: bool) -> str:
    if as_json and as_csv:
        raise RemoteError("--json and --csv: choose one", EXIT_USAGE)
    return "json" if as_json else "csv" if as_csv else "text"


def lineage(
    ref: Ref,
    upstream: Annotated[bool, typer.Option("--upstream", help="What it reads from")] = False,
    downstream: Annotated[
        bool, typer.Option("--downstream", help="What reads from it (the default)")
    ] = False,
    depth: Depth = None,
    url: Url = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
    fail_on: Fail = FailOn.error,
) -> None:
    """A node's lineage as a tree: downstream, --upstream, or both flags for both."""
    direction = "both" if upstream and downstream else "upstream" if upstream else "downstream"
    with _reported():
        form = _form(as_json, as_csv)
        graph = _fetch(url, ref, lambda api, node_id: api.lineage(node_id, direction, depth))
    nodes = [n for n in graph["nodes"] if n["id"] != graph["root_id"]]
    lines = render.lineage_tree(graph, style=_color(), unicode=_unicode())
    _print(graph, nodes, lines, form)
    _finish(nodes, graph["truncated"], fail_on)


def impact(
    ref: Ref,
    upstream: Annotated[
        bool, typer.Option("--upstream", help="What could have caused its failure instead")
    ] = False,
    depth: Depth = None,
    url: Url = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
    fail_on: Fail = FailOn.error,
) -> None:
    """What a node's failure affects downstream, as a table; exit 3 if any is in error."""
    direction = "upstream" if upstream else "downstream"
    with _reported():
        form = _form(as_json, as_csv)
        report = _fetch(url, ref, lambda api, node_id: api.impact(node_id, direction, depth))
    nodes = report["affected"]
    _print(report, nodes, render.impact_lines(report, style=_color()), form)
    _finish(nodes, report["truncated"], fail_on)


def register(app: typer.Typer) -> None:
    """Add the remote commands to the ``dlv`` group."""
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("lineage")(lineage)
    app.command("impact")(impact)
