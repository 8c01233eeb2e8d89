"""The events ``bench.ingest`` sends: Airflow-provider-shaped task runs, built before the clock
starts (see bench/ingest.py for the shape)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

PG_NS = "postgres://warehouse.internal:5432"
AIRFLOW_NS = "airflow-bench"
T0 = datetime(2026, 11, 26, tzinfo=UTC)
RUN_SPACING = 0.05  # seconds of event time between two runs' starts


def _facet(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "_producer": "https://github.com/apache/airflow/tree/providers-openlineage/2.3.0",
        "_schemaURL": f"https://openlineage.io/spec/facets/1-0-0/{kind}.json#/$defs/{kind}",
        **fields,
    }


def _table(index: int, output_of: list[int] | None = None) -> dict[str, Any]:
    name = f"warehouse.layer{index % 3}.table_{index}"
    columns = [{"name": f"col_{c}", "type": "varchar"} for c in range(8)]
    facets: dict[str, Any] = {"schema": _facet("SchemaDatasetFacet", fields=columns)}
    if output_of:
        facets["columnLineage"] = _facet(
            "ColumnLineageDatasetFacet",
            fields={
                f"col_{c}": {
                    "inputFields": [
                        {
                            "namespace": PG_NS,
                            "name": f"warehouse.layer{i % 3}.table_{i}",
                            "field": f"col_{c}",
                        }
                        for i in output_of[:2]
                    ]
                }
                for c in range(4)
            },
        )
    return {"namespace": PG_NS, "name": name, "facets": facets}


def _event(
    job: int, jobs: int, state: str, run: str, dag_run: str, seconds: float
) -> dict[str, Any]:
    rng = random.Random(job)
    tables = jobs * 2
    inputs = rng.sample(range(tables), 3)
    outputs = rng.sample([t for t in range(tables) if t not in inputs], 2)
    dag = f"dag_{job // 10}"
    run_facets: dict[str, Any] = {
        "parent": _facet(
            "ParentRunFacet",
            run={"runId": dag_run},
            job={"namespace": AIRFLOW_NS, "name": dag},
        ),
        "airflow": _facet("AirflowRunFacet", taskInstance={"try_number": 1}),
    }
    if state == "FAIL":
        run_facets["errorMessage"] = _facet(
            "ErrorMessageRunFacet",
            message="psycopg.OperationalError: connection refused",
            programmingLanguage="PYTHON",
        )
    return {
        "eventType": state,
        "eventTime": (T0 + timedelta(seconds=seconds)).isoformat(),
        "producer": "https://github.com/apache/airflow/tree/providers-openlineage/2.3.0",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run, "facets": run_facets},
        "job": {
            "namespace": AIRFLOW_NS,
            "name": f"{dag}.task_{job}",
            "facets": {
                "jobType": _facet(
                    "JobTypeJobFacet", processingType="BATCH", integration="AIRFLOW", jobType="TASK"
                ),
                "sql": _facet("SQLJobFacet", query=f"INSERT INTO t{outputs[0]} SELECT ..."),
                "ownership": _facet("OwnershipJobFacet", owners=[{"name": f"team:{job % 7}"}]),
                "documentation": _facet("DocumentationJobFacet", description=f"Task {job}"),
            },
        },
        "inputs": [_table(t) for t in inputs],
        "outputs": [_table(t, output_of=inputs) for t in outputs],
    }


def runs(count: int, jobs: int, seed: int, start: int = 0) -> list[list[dict[str, Any]]]:
    """``count`` runs, each [START, COMPLETE or FAIL 30 s later], over ``jobs`` jobs.

    Event times advance by ``RUN_SPACING`` per run, as a busy platform's would: each job runs
    every ``jobs * RUN_SPACING`` seconds and repeats the same facets every time.
    """
    rng = random.Random(seed)
    result = []
    for n in range(start, start + count):
        job = n % jobs
        run, dag_run = str(uuid.uuid4()), str(uuid.uuid4())
        end = "FAIL" if rng.random() < 0.05 else "COMPLETE"
        result.append(
            [
                _event(job, jobs, "START", run, dag_run, n * RUN_SPACING),
                _event(job, jobs, end, run, dag_run, n * RUN_SPACING + 30),
            ]
        )
    return result
