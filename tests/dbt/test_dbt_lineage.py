"""End to end with a real dbt: ``dbt-ol seed/run/test`` (openlineage-dbt's wrapper) runs the
project in tests/dbt/project on a real PostgreSQL and sends its lineage to a running DLV, as a
user configures it (OPENLINEAGE_URL, OPENLINEAGE_API_KEY = a DLV ingest token). Then
``dlv import dbt`` of the same run's artifacts must land on the very nodes dbt-ol made.

The module's fixture runs dbt once; each test reads from what DLV mapped. With
DLV_RECORD_DBT_FIXTURES=1 it rewrites the fixtures the fast tests use (tests/dbt/project_db.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from integration import realservers
from sqlalchemy import make_url

from dlv.auth.models import Role, TokenScope
from dlv.auth.principal import SYSTEM
from dlv.crypto import SecretBox
from dlv.db import make_engine, make_sessionmaker
from dlv.dbt import service as dbt_service
from tests.conftest import (
    PG_ADMIN_URL,
    SECRET_KEY,
    make_token,
    make_user,
    migrated_url,
    scratch_postgres,
)
from tests.dbt import project_db
from tests.ingestion.servers import CatalogReads, ingest_server
from tests.ingestion.test_airflow_lineage import events_after
from tests.servers import require_real

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

JOBS = "dbt-integration"  # OPENLINEAGE_NAMESPACE: the jobs' namespace
RECORD = bool(os.environ.get("DLV_RECORD_DBT_FIXTURES"))
MAPPED_TIMEOUT = 120.0


@dataclass
class Run(CatalogReads):
    """DLV after the dbt commands: its API, the names dbt used, and what it wrote."""

    api: httpx.Client
    database_url: str
    database: str  # the PostgreSQL database dbt built in
    namespace: str  # the datasets': postgres://host:port
    target: Path  # dbt's target/ (manifest.json) and each command's run_results
    events: list[dict[str, Any]]
    exits: dict[str, int]

    def table(self, name: str) -> dict[str, Any]:
        """The dataset of ``schema.table`` in dbt's database."""
        return self.node(self.namespace, f"{self.database}.{name}")

    def job(self, name: str) -> dict[str, Any]:
        """A job by its name without the database (``analytics_staging.shop.stg_orders``)."""
        return self.node(JOBS, name if name.startswith("test.") else f"{self.database}.{name}")


def _dbt_ol(command: str, work: Path, env: dict[str, str]) -> int:
    python = realservers.venv_python("dbt")
    project = str(work / "project")
    proc = subprocess.run(
        [
            str(python.parent / "dbt-ol"),
            command,
            *("--project-dir", project, "--profiles-dir", project),
            *("--target-path", str(work / "target"), "--log-path", str(work / "logs")),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    (work / f"{command}.log").write_text(proc.stdout + proc.stderr)
    shutil.copyfile(work / "target" / "run_results.json", work / f"run_results_{command}.json")
    return proc.returncode


def _wait_until_mapped(api: httpx.Client) -> None:
    deadline = time.monotonic() + MAPPED_TIMEOUT
    while api.get("/api/v1/ingestion/status").json()["pending"]:
        assert time.monotonic() < deadline, "DLV did not map dbt-ol's events"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    require_real("dbt")
    work = tmp_path_factory.mktemp("dbt")
    # A copy: dbt writes beside profiles.yml (.user.yml), never into the source tree.
    shutil.copytree(project_db.PROJECT, work / "project")
    with (
        migrated_url(tmp_path_factory, "dlv_dbt") as database_url,
        scratch_postgres("dlv_dbt", project_db.SETUP_SQL) as database,
    ):
        engine = make_engine(database_url)
        with make_sessionmaker(engine)() as db:
            bearer = make_token(db, "dbt", TokenScope.ingest)["Authorization"]
            admin = make_user(db, "root", Role.admin)
        pg = make_url(PG_ADMIN_URL)
        namespace = f"postgres://{pg.host}:{pg.port or 5432}"
        with (
            ingest_server(database_url, tmp_path_factory.mktemp("dlv-dbt")) as server,
            httpx.Client(base_url=server.url, headers=admin.headers, timeout=30) as api,
        ):
            env = {
                **os.environ,
                "OPENLINEAGE_URL": server.url,
                "OPENLINEAGE_API_KEY": bearer.removeprefix("Bearer "),
                "OPENLINEAGE_NAMESPACE": JOBS,
                "DLV_DBT_DATABASE": database,
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                "DO_NOT_TRACK": "1",
                # dbt-ol runs `dbt` from PATH, as a user's shell finds it in the venv.
                "PATH": f"{realservers.venv_python('dbt').parent}{os.pathsep}{os.environ['PATH']}",
            }
            exits = {command: _dbt_ol(command, work, env) for command in project_db.COMMANDS}
            _wait_until_mapped(api)
            events, _ = events_after(engine, 0)
            if RECORD:
                _record(work, database, namespace, events)
            yield Run(api, database_url, database, namespace, work, events, exits)
        engine.dispose()


def _record(work: Path, database: str, namespace: str, events: list[dict[str, Any]]) -> None:
    manifest = project_db.trim_manifest(project_db.load_path(work / "target" / "manifest.json"))
    project_db.write("manifest.json", manifest)
    for command in project_db.COMMANDS:
        project_db.write(
            f"run_results_{command}.json",
            project_db.load_path(work / f"run_results_{command}.json"),
        )
    project_db.write("events.json", events)
    project_db.write(
        "meta.json",
        {
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "requirements": realservers.REQUIREMENTS["dbt"],
            "database": database,
            "dataset_namespace": namespace,
            "job_namespace": JOBS,
        },
    )


def test_dbt_ol_ran_every_command_and_the_failing_test_failed(run: Run) -> None:
    assert run.exits == {"seed": 0, "run": 0, "test": 1}, (run.target / "test.log").read_text()


def test_models_sources_and_the_seed_are_datasets_with_their_lineage(run: Run) -> None:
    mart = run.table("analytics_marts.customer_revenue")
    assert run.sources(mart) == {"analytics_marts.shop.customer_revenue"}
    job = run.job("analytics_marts.shop.customer_revenue")
    # The seed is no input of dbt-ol's events: DLV reads it from the model's compiled SQL.
    assert run.sources(job) == {
        "analytics_staging.stg_customers",
        "analytics_staging.stg_orders",
        "analytics_ref.country_codes",
    }
    assert run.sources(run.job("analytics_staging.shop.stg_orders")) == {"raw.orders"}
    assert job["parent_id"] == run.node(JOBS, "dbt-run-shop")["id"]


def test_owners_and_descriptions_come_from_the_project(run: Run) -> None:
    mart = run.table("analytics_marts.customer_revenue")
    assert (mart["owners"], mart["description"]) == (
        ["finance-team"],
        "Revenue per customer and country, for the finance dashboard.",
    )
    source = run.table("raw.orders")
    assert source["owners"] == ["shop-backend"]
    assert source["description"] == "One row per order, as the application wrote it."


def test_the_columns_and_column_lineage_of_a_model_are_kept(run: Run) -> None:
    mart = run.table("analytics_marts.customer_revenue")
    facts = run.get(f"/api/v1/nodes/{mart['id']}/openlineage")
    assert {c["name"] for c in facts["columns"]} >= {"customer_id", "revenue_eur"}
    job = run.job("analytics_marts.shop.customer_revenue")
    [edge] = run.get("/api/v1/edges", source_id=job["id"], target_id=mart["id"])["items"]
    fields = run.get(f"/api/v1/edges/{edge['id']}/columns")["fields"]
    [origin] = fields["revenue_eur"]["inputFields"]
    assert (origin["name"], origin["field"]) == (
        f"{run.database}.analytics_staging.stg_orders",
        "amount_eur",
    )


def test_tests_are_jobs_and_a_failed_test_puts_its_job_in_error(run: Run) -> None:
    tests = run.job("analytics_staging.shop.stg_customers.test")
    assert run.sources(tests) == {"analytics_staging.stg_customers"}
    assert tests["status"] == "error"
    assert run.job("analytics_staging.shop.stg_orders.test")["status"] == "ok"
    singular = run.job("test.shop.revenue_is_positive")
    assert run.sources(singular) == {"analytics_marts.customer_revenue"}


def test_dlv_import_dbt_of_the_artifacts_meets_dbt_ol_on_every_node(run: Run) -> None:
    before = {(n["namespace"], n["name"]) for n in run.get("/api/v1/nodes", limit=500)["items"]}
    manifest = project_db.load_path(run.target / "target" / "manifest.json")
    results = [
        project_db.load_path(run.target / f"run_results_{c}.json") for c in project_db.COMMANDS
    ]
    engine = make_engine(run.database_url)
    with make_sessionmaker(engine).begin() as session:
        done = dbt_service.import_artifacts(
            session, SYSTEM, SecretBox(SECRET_KEY), manifest, results, run.namespace, JOBS
        )
    engine.dispose()
    after = {(n["namespace"], n["name"]) for n in run.get("/api/v1/nodes", limit=500)["items"]}
    # The only node dbt-ol does not send: the job of the seed's generic tests.
    assert after - before == {(JOBS, f"{run.database}.analytics_ref.seed.shop.country_codes.test")}
    mart = run.table("analytics_marts.customer_revenue")
    assert mart["tags"] == ["finance"]  # dbt-ol sends tags as a run facet only
    assert run.get(f"/api/v1/nodes/{mart['id']}/openlineage")["columns"]  # kept
    assert done.in_error == 1
    assert run.job("analytics_staging.shop.stg_customers.test")["status"] == "error"


def _skeleton(events: list[dict[str, Any]], database: str) -> list[tuple[Any, ...]]:
    """What a change of versions could change: types, jobs, facet names, datasets."""

    def names(datasets: list[dict[str, Any]]) -> tuple[str, ...]:
        return tuple(sorted(d["name"].removeprefix(f"{database}.") for d in datasets))

    return sorted(
        (
            e["eventType"],
            e["job"]["name"].removeprefix(f"{database}."),
            tuple(sorted(e["job"].get("facets", {}))),
            names(e.get("inputs", [])),
            names(e.get("outputs", [])),
        )
        for e in events
    )


def test_the_recorded_events_match_what_dbt_ol_sends(run: Run) -> None:
    recorded = project_db.load("events.json")
    assert _skeleton(run.events, run.database) == _skeleton(
        recorded, project_db.meta()["database"]
    ), "re-record: see tests/dbt/project_db.py"
