"""End to end: the real openlineage-python client, configured the way a team configures it
(HTTP transport, api_key auth, with and without gzip), against a running DLV server; then
lineage and impact of what it emitted, read through the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    ownership_job,
    parent_run,
    schema_dataset,
    sql_job,
)
from sqlalchemy.orm import Session

from dlv.auth.models import TokenScope
from tests.conftest import Caller, make_token
from tests.ingestion.factories import AIRFLOW_NS, PG_NS, at
from tests.ingestion.servers import ingest_server

pytestmark = pytest.mark.integration

DAG = "etl_orders"


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    with ingest_server(database_url, tmp_path / "server") as running:
        yield running.url


def client_for(url: str, token: str, compression: str | None) -> OpenLineageClient:
    transport: dict[str, Any] = {
        "type": "http",
        "url": url,
        "auth": {"type": "api_key", "apiKey": token},
    }
    if compression:
        transport["compression"] = compression
    return OpenLineageClient(config={"transport": transport})


def table(name: str, *columns: str) -> dict[str, Any]:
    fields = [schema_dataset.SchemaDatasetFacetFields(name=c, type="varchar") for c in columns]
    return {"schema": schema_dataset.SchemaDatasetFacet(fields=fields)}


def task_event(
    state: RunState,
    task: str,
    run: str,
    dag_run: str,
    minutes: float,
    inputs: list[InputDataset],
    outputs: list[OutputDataset],
    error: str | None = None,
) -> RunEvent:
    run_facets: dict[str, Any] = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=dag_run), job=parent_run.Job(namespace=AIRFLOW_NS, name=DAG)
        )
    }
    if error:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="PYTHON"
        )
    job_facets = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="AIRFLOW", jobType="TASK"
        ),
        "sql": sql_job.SQLJobFacet(query=f"-- {task}\nINSERT INTO ..."),
        "ownership": ownership_job.OwnershipJobFacet(
            owners=[ownership_job.Owner(name="team:orders")]
        ),
        "documentation": documentation_job.DocumentationJobFacet(description=f"The {task} step"),
    }
    return RunEvent(
        eventType=state,
        eventTime=at(minutes),
        run=Run(runId=run, facets=run_facets),
        job=Job(namespace=AIRFLOW_NS, name=f"{DAG}.{task}", facets=job_facets),
        inputs=inputs,
        outputs=outputs,
        producer="https://github.com/apache/airflow/tree/providers-openlineage/2.3.0",
    )


def emit_pipeline(client: OpenLineageClient) -> None:
    """extract: raw.orders -> staging.orders (fails); load: staging -> mart (completes)."""
    dag_run = str(uuid.uuid4())
    raw = InputDataset(namespace=PG_NS, name="shop.raw.orders", facets=table("x", "id", "amount"))
    staging_out = OutputDataset(
        namespace=PG_NS, name="shop.staging.orders", facets=table("x", "id", "amount")
    )
    staging_in = InputDataset(namespace=PG_NS, name="shop.staging.orders")
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "total": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace=PG_NS, name="shop.staging.orders", field="amount"
                    )
                ]
            )
        }
    )
    mart = OutputDataset(
        namespace=PG_NS,
        name="shop.mart.revenue",
        facets={**table("x", "total"), "columnLineage": lineage},
    )
    extract, load = str(uuid.uuid4()), str(uuid.uuid4())
    for event in (
        task_event(RunState.START, "extract", extract, dag_run, 0, [raw], [staging_out]),
        task_event(RunState.START, "load", load, dag_run, 1, [staging_in], [mart]),
        task_event(RunState.COMPLETE, "load", load, dag_run, 2, [staging_in], [mart]),
        task_event(
            RunState.FAIL, "extract", extract, dag_run, 3, [raw], [staging_out], "disk full"
        ),
    ):
        client.emit(event)


def node_id(api: httpx.Client, name: str) -> str:
    r = api.get("/api/v1/nodes", params={"namespace": PG_NS, "name": name})
    [item] = r.json()["items"]
    return str(item["id"])


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_the_openlineage_client_feeds_lineage_and_impact(
    server: str, db: Session, admin: Caller, compression: str | None
) -> None:
    token = make_token(db, "airflow", TokenScope.ingest)["Authorization"].removeprefix("Bearer ")
    emit_pipeline(client_for(server, token, compression))
    with httpx.Client(base_url=server, headers=admin.headers, timeout=10) as api:
        raw = node_id(api, "shop.raw.orders")
        graph = api.get(f"/api/v1/nodes/{raw}/lineage").json()
        assert {n["name"]: n["distance"] for n in graph["nodes"]} == {
            "shop.raw.orders": 0,
            f"{DAG}.extract": 1,
            "shop.staging.orders": 2,
            f"{DAG}.load": 3,
            "shop.mart.revenue": 4,
        }
        mart = node_id(api, "shop.mart.revenue")
        report = api.get(f"/api/v1/nodes/{mart}/impact", params={"direction": "upstream"}).json()
        causes = [(n["name"], n["status_message"]) for n in report["likely_root_causes"]]
        assert causes == [(f"{DAG}.extract", "disk full")]
        load_edge = next(
            e for e in api.get("/api/v1/edges", params={"target_id": mart}).json()["items"]
        )
        columns = api.get(f"/api/v1/edges/{load_edge['id']}/columns").json()
        assert columns["fields"]["total"]["inputFields"][0]["field"] == "amount"
