"""``dlv import dbt`` on a real run's recorded artifacts, into the test's database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dlv.cli.main import app as dlv_app
from dlv.config import get_settings
from dlv.events.models import Event
from tests.conftest import SECRET_KEY, Caller
from tests.dbt import project_db

META = project_db.meta()
DB = META["database"]
ARTIFACTS = [
    str(project_db.FIXTURES / name)
    for name in ("manifest.json", *(f"run_results_{c}.json" for c in project_db.COMMANDS))
]
OPTIONS = ["--host", "127.0.0.1", "--job-namespace", META["job_namespace"]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[None]:
    """The CLI reads its settings from the environment, like in production."""
    monkeypatch.setenv("DLV_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("DLV_HOME", str(tmp_path / "cli-home"))
    monkeypatch.setenv("DLV_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> Any:
    return CliRunner().invoke(dlv_app, ["import", "dbt", *args])


def node(client: TestClient, caller: Caller, namespace: str, name: str) -> dict[str, Any]:
    r = client.get(
        "/api/v1/nodes", params={"namespace": namespace, "name": name}, headers=caller.headers
    )
    [found] = r.json()["items"]
    return dict(found)


@pytest.mark.usefixtures("cli")
def test_import_creates_the_projects_nodes_edges_and_statuses(
    client: TestClient, admin: Caller
) -> None:
    result = run(*ARTIFACTS, *OPTIONS)
    assert result.exit_code == 0, result.output
    assert "nodes_created: 16" in result.output
    assert "in_error: 1" in result.output
    table = node(client, admin, META["dataset_namespace"], f"{DB}.analytics_marts.customer_revenue")
    assert (table["owners"], table["tags"]) == (["finance-team"], ["finance"])
    job = node(client, admin, META["job_namespace"], f"{DB}.analytics_marts.shop.customer_revenue")
    edges = client.get("/api/v1/edges", params={"source_id": job["id"]}, headers=admin.headers)
    assert [e["target_id"] for e in edges.json()["items"]] == [table["id"]]
    tests = node(
        client, admin, META["job_namespace"], f"{DB}.analytics_staging.shop.stg_customers.test"
    )
    assert tests["status"] == "error"
    assert tests["status_message"] == (
        "not_null_stg_customers_email: Got 1 result, configured to fail if != 0"
    )


@pytest.mark.usefixtures("cli")
def test_a_second_import_of_the_same_artifacts_changes_nothing() -> None:
    assert run(*ARTIFACTS, *OPTIONS).exit_code == 0
    again = run(*ARTIFACTS, *OPTIONS)
    assert again.exit_code == 0, again.output
    assert "nodes_created: 0" in again.output
    assert "nodes_updated: 0" in again.output
    assert "statuses_set: 0" in again.output


@pytest.mark.usefixtures("cli")
def test_the_manifest_alone_imports_the_graph_without_statuses() -> None:
    result = run(ARTIFACTS[0], "--namespace", META["dataset_namespace"])
    assert result.exit_code == 0, result.output
    assert "statuses_set: 0" in result.output


@pytest.mark.usefixtures("cli")
def test_a_manifest_that_is_no_dbt_artifact_is_refused_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_text(json.dumps({"metadata": {}, "nodes": {}}))
    result = run(str(bad), *OPTIONS)
    assert result.exit_code == 1
    assert "manifest.metadata.project_name" in result.output


@pytest.mark.usefixtures("cli")
def test_where_the_tables_live_must_be_given() -> None:
    result = run(ARTIFACTS[0])
    assert result.exit_code == 1
    assert "--host" in result.output


@pytest.mark.usefixtures("cli")
def test_a_missing_file_is_named(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope.json"), *OPTIONS)
    assert result.exit_code == 1
    assert "nope.json" in result.output


@pytest.mark.usefixtures("cli")
def test_a_job_put_in_error_is_in_the_event_log_that_alerts_read(
    client: TestClient, admin: Caller, db: Session
) -> None:
    assert run(*ARTIFACTS, *OPTIONS).exit_code == 0
    name = f"{DB}.analytics_staging.shop.stg_customers.test"
    tests = node(client, admin, META["job_namespace"], name)
    db.rollback()  # see what the CLI committed
    kinds = db.scalars(
        select(Event.payload).where(
            Event.kind == "node.status", Event.node_id == uuid.UUID(tests["id"])
        )
    ).all()
    assert [p["new"] for p in kinds] == ["error"]
