"""``dlv login``, ``dlv lineage`` and ``dlv impact`` against a real ``dlv serve`` process.

One server per module, on its own database, with a small graph made through its API:
  wh/raw_orders -> wh/orders (team:sales) -> wh/revenue, and a second ``orders`` (staging);
  ol/events_raw -> ol-jobs/load_events (its run FAILED: error) -> ol/events_clean (at_risk).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import stat
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from dlv.cli import credentials
from dlv.cli import remote as remote_cli
from dlv.cli.main import app as cli
from dlv.ops.logging import DlvHandler
from tests.conftest import BACKEND, PASSWORD, migrated_database
from tests.servers import dlv_server, free_port

WAIT_SECONDS = 60  # ingestion is asynchronous; generous on a shared machine
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/client/python"
SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


class Remote:
    """The running server, an admin's headers, and a read token for DLV_TOKEN."""

    def __init__(self, url: str, headers: dict[str, str], read_token: str) -> None:
        self.url = url
        self.headers = headers
        self.read_token = read_token


def run_event(event_type: str, run: str) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": datetime.now(UTC).isoformat(),
        "producer": PRODUCER,
        "schemaURL": SCHEMA,
        "run": {"runId": run},
        "job": {"namespace": "ol-jobs", "name": "load_events"},
        "inputs": [{"namespace": "ol", "name": "events_raw"}],
        "outputs": [{"namespace": "ol", "name": "events_clean"}],
    }


def _graph(api: httpx.Client) -> None:
    ids = {}
    for namespace, name, owners in (
        ("wh", "raw_orders", []),
        ("wh", "orders", ["team:sales"]),
        ("wh", "revenue", ["team:finance", "ann"]),
        ("staging", "orders", []),
    ):
        body = {"kind": "dataset", "namespace": namespace, "name": name, "owners": owners}
        r = api.post("/nodes", json=body)
        assert r.status_code == 201, r.text
        ids[f"{namespace}/{name}"] = r.json()["id"]
    for source, target in (("wh/raw_orders", "wh/orders"), ("wh/orders", "wh/revenue")):
        r = api.post("/edges", json={"source_id": ids[source], "target_id": ids[target]})
        assert r.status_code == 201, r.text
    run = str(uuid.uuid4())
    for event_type in ("START", "FAIL"):
        r = api.post("/lineage", json=run_event(event_type, run))
        assert r.status_code == 201, r.text
    deadline = time.monotonic() + WAIT_SECONDS
    while True:  # the job's status follows its run once the event is applied
        r = api.get("/nodes", params={"namespace": "ol", "name": "events_clean"})
        if r.json()["items"] and r.json()["items"][0]["status"] == "at_risk":
            break
        assert time.monotonic() < deadline, "the FAIL event was not applied"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    with migrated_database(tmp_path_factory, "dlv_cli") as database:
        url = f"sqlite:///{database}" if BACKEND == "sqlite" else database
        home = tmp_path_factory.mktemp("cli-server")
        env = {"DLV_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD}
        with dlv_server(url, home, env) as server:
            login = {"username": "admin", "password": PASSWORD}
            r = httpx.post(f"{server}/api/v1/auth/token", data=login)
            assert r.status_code == 200, r.text
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            with httpx.Client(base_url=f"{server}/api/v1", headers=headers, timeout=30) as api:
                _graph(api)
                r = api.post("/tokens", json={"name": "ci", "scope": "read"})
                assert r.status_code == 201, r.text
                yield Remote(server, headers, r.json()["token"])


@pytest.fixture
def dlv(remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``dlv ARGS`` against the server with the read token in DLV_TOKEN; a fresh
    config directory per test."""
    for name in ("DLV_URL", "DLV_TOKEN", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    # As in a fresh `dlv` process: no log handler from an app an earlier test created (it
    # would print httpx's request lines on stderr).
    root = logging.getLogger()
    monkeypatch.setattr(
        root, "handlers", [h for h in root.handlers if not isinstance(h, DlvHandler)]
    )

    def run(*args: str, token: str | None = remote.read_token, **kwargs: Any) -> Result:
        env = {"DLV_URL": remote.url, **({"DLV_TOKEN": token} if token else {})}
        return CliRunner().invoke(cli, list(args), env=env, **kwargs)

    return run


def test_lineage_prints_the_downstream_tree(dlv: Any) -> None:
    result = dlv("lineage", "raw_orders")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "wh/raw_orders  [dataset, unknown]",
        "└── wh/orders  [dataset, unknown]  team:sales",
        "    └── wh/revenue  [dataset, unknown]  team:finance, ann",
    ]


def test_lineage_upstream_with_a_depth(dlv: Any) -> None:
    result = dlv("lineage", "wh/revenue", "--upstream", "--depth", "1")
    assert result.exit_code == 0, result.output
    assert [line.split("  [")[0] for line in result.stdout.splitlines()] == [
        "wh/revenue",
        "└── wh/orders",
    ]


def test_impact_prints_a_table_of_nodes_owners_and_distance(dlv: Any) -> None:
    result = dlv("impact", "wh/raw_orders")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "impact of wh/raw_orders (dataset, unknown), downstream: 2 nodes, 0 in error, 0 at risk"
    )
    assert lines[2].split() == ["NODE", "KIND", "STATUS", "OWNERS", "DISTANCE"]
    assert lines[3].split() == ["wh/orders", "dataset", "unknown", "team:sales", "1"]
    assert lines[4].split() == ["wh/revenue", "dataset", "unknown", "team:finance,", "ann", "2"]


def test_impact_json_is_the_servers_report(dlv: Any) -> None:
    result = dlv("impact", "wh/raw_orders", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["root"]["name"] == "raw_orders"
    assert [(n["name"], n["distance"]) for n in report["affected"]] == [
        ("orders", 1),
        ("revenue", 2),
    ]


def test_impact_csv_parses(dlv: Any) -> None:
    result = dlv("impact", "wh/raw_orders", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["name"], r["owners"], r["distance"]) for r in rows] == [
        ("orders", "team:sales", "1"),
        ("revenue", "team:finance; ann", "2"),
    ]


def test_impact_exits_3_when_a_downstream_node_is_in_error(dlv: Any) -> None:
    result = dlv("impact", "ol/events_raw", "--json")
    assert result.exit_code == 3, result.output
    statuses = {n["name"]: n["status"] for n in json.loads(result.stdout)["affected"]}
    assert statuses == {"load_events": "error", "events_clean": "at_risk"}
    assert "failing: 1 affected node: ol-jobs/load_events (error)" in result.stderr


def test_at_risk_fails_only_when_asked(dlv: Any) -> None:
    assert dlv("impact", "ol-jobs/load_events").exit_code == 0
    assert dlv("impact", "ol-jobs/load_events", "--fail-on", "at-risk").exit_code == 3
    assert dlv("impact", "ol/events_raw", "--fail-on", "never").exit_code == 0


def test_an_ambiguous_name_lists_the_candidates_and_exits_2(dlv: Any) -> None:
    result = dlv("impact", "orders")
    assert result.exit_code == 2
    assert result.stdout == ""
    err = result.stderr.splitlines()
    assert err[0] == "error: 'orders' names 2 nodes: give namespace/name or the id"
    assert [line.split()[0] for line in err[1:]] == ["staging/orders", "wh/orders"]


def test_an_unknown_name_exits_2(dlv: Any) -> None:
    result = dlv("lineage", "no_such_table")
    assert result.exit_code == 2
    assert result.stderr == "error: no node is named 'no_such_table'\n"


def test_login_keeps_a_private_file_and_never_prints_the_token(dlv: Any, remote: Remote) -> None:
    result = dlv("login", "--username", "admin", token=None, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    path = credentials.path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = credentials.load()
    assert stored is not None
    assert stored.url == remote.url
    assert stored.token not in result.output
    assert f"Logged in to {remote.url} as admin" in result.stdout
    # Used without DLV_TOKEN, then forgotten.
    assert dlv("lineage", "wh/orders", token=None).exit_code == 0
    assert dlv("logout").exit_code == 0
    assert not path.exists()
    after = dlv("lineage", "wh/orders", token=None)
    assert after.exit_code == 1
    assert after.stderr.startswith(f"error: not logged in to {remote.url}")


def test_login_with_an_api_token_read_from_stdin(dlv: Any, remote: Remote) -> None:
    result = dlv("login", "--token", token=None, input=remote.read_token + "\n")
    assert result.exit_code == 0, result.output
    assert remote.read_token not in result.output
    assert dlv("impact", "wh/orders", token=None).exit_code == 0


def test_login_refuses_a_token_the_server_refuses(dlv: Any) -> None:
    result = dlv("login", "--token", token=None, input="dlv_not-a-real-token\n")
    assert result.exit_code == 1
    assert result.stderr == ("error: the server refused this token (invalid, expired or revoked)\n")
    assert not credentials.path().exists()


def test_an_expired_session_says_run_dlv_login(dlv: Any, remote: Remote) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    credentials.save(credentials.Credentials(remote.url, "old-session", "admin", past))
    result = dlv("impact", "wh/orders", token=None)
    assert result.exit_code == 1
    assert result.stderr == "error: session expired, run `dlv login`\n"
    # ... and `dlv login` alone (no --url, no DLV_URL) signs in to that server again.
    again = CliRunner().invoke(cli, ["login", "--username", "admin"], input=PASSWORD + "\n")
    assert again.exit_code == 0, again.output
    assert dlv("impact", "wh/orders", token=None).exit_code == 0


def test_a_refused_token_exits_1_without_showing_it(dlv: Any) -> None:
    result = dlv("impact", "wh/orders", token="dlv_not-a-real-token")
    assert result.exit_code == 1
    assert "refused the token in DLV_TOKEN" in result.stderr
    assert "not-a-real-token" not in result.output


def test_a_server_that_is_down_exits_1_in_one_line(dlv: Any) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    result = dlv("impact", "wh/orders", "--url", down)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot reach the DLV server at {down}: ")
    assert len(result.stderr.splitlines()) == 1


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colors_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert not remote_cli._color()
    monkeypatch.setattr("sys.stdout", Terminal())
    assert remote_cli._color()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not remote_cli._color()
