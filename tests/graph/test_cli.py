"""``dlv graph export`` / ``dlv graph import``: the service's code path, through files."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dlv.cli.graph import app as graph_app
from dlv.config import get_settings
from tests.conftest import SECRET_KEY, Caller
from tests.graph.conftest import EXPORT, Instance
from tests.graph.docs import document, edge, node, populate
from tests.nodes.factories import SECRETS


@pytest.fixture
def use_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The CLI reads its settings from the environment, like in production."""
    monkeypatch.setenv("DLV_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("DLV_HOME", str(tmp_path / "cli-home"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> object:
    monkeypatch.setenv("DLV_DATABASE_URL", url)
    get_settings.cache_clear()
    return CliRunner().invoke(graph_app, list(args))


@pytest.mark.usefixtures("use_database")
def test_cli_round_trip_through_files_matches_the_http_export(
    client: TestClient,
    admin: Caller,
    database_url: str,
    other: Instance,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    populate(client, admin)
    exported = tmp_path / "graph.json.gz"
    result = run(monkeypatch, database_url, "export", str(exported))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert exported.read_bytes()[:2] == b"\x1f\x8b"
    text = gzip.decompress(exported.read_bytes())
    assert text == client.get(EXPORT, headers=admin.headers).content
    assert not any(s.encode() in text for s in SECRETS)

    result = run(
        monkeypatch, str(other.engine.url.render_as_string(False)), "import", str(exported)
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "nodes_created: 6" in result.stdout  # type: ignore[attr-defined]
    again = tmp_path / "again.json"
    url = other.engine.url.render_as_string(False)
    assert run(monkeypatch, url, "export", str(again)).exit_code == 0  # type: ignore[attr-defined]
    assert again.read_bytes() == text
    assert not Path(f"{again}.part").exists()


@pytest.mark.usefixtures("use_database")
def test_cli_import_of_an_invalid_file_prints_the_problems_and_exits_1(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document([node("a")], [edge("a", "ghost")])))
    result = run(monkeypatch, database_url, "import", str(bad))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "edges[0].target: no node" in result.stderr  # type: ignore[attr-defined]
    assert "nodes_created" not in result.stdout  # type: ignore[attr-defined]


@pytest.mark.usefixtures("use_database")
def test_cli_export_to_stdout(
    client: TestClient, admin: Caller, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(client, admin)
    result = run(monkeypatch, database_url, "export", "-")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert json.loads(result.stdout)["format"] == "dlv-graph"  # type: ignore[attr-defined]
