"""OpenLineage events shaped like the ones real producers send.

Airflow (apache-airflow-providers-openlineage): one job per task, named ``dag.task`` in the
Airflow namespace, with a ``parent`` run facet pointing at the DAG run, an ``airflow`` facet
DLV does not read, and PostgreSQL datasets named ``database.schema.table`` in a
``postgres://host:port`` namespace. Spark (openlineage-spark): an application job and one job
per action, named ``app.execute_...``, with a ``parent`` facet pointing at the application,
file datasets, column lineage, and an ``errorMessage`` facet when an action fails.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
AIRFLOW_PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/2.3.0"
SPARK_PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/integration/spark"
AIRFLOW_NS = "airflow-prod"
PG_NS = "postgres://db.internal:5432"
SPARK_NS = "spark-prod"
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def run_id() -> str:
    return str(uuid.uuid4())


def facet(facet_type: str, **fields: Any) -> dict[str, Any]:
    url = f"https://openlineage.io/spec/facets/1-0-0/{facet_type}.json#/$defs/{facet_type}"
    return {"_producer": AIRFLOW_PRODUCER, "_schemaURL": url, **fields}


def schema(*columns: str) -> dict[str, Any]:
    return facet("SchemaDatasetFacet", fields=[{"name": c, "type": "varchar"} for c in columns])


def pg_table(name: str, *columns: str, **facets: Any) -> dict[str, Any]:
    return {
        "namespace": PG_NS,
        "name": name,
        "facets": {
            "schema": schema(*columns),
            "dataSource": facet("DatasourceDatasetFacet", name=PG_NS, uri=f"{PG_NS}/shop"),
            **facets,
        },
    }


def column_lineage(mapping: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    """``{"output column": [(input dataset name, input column)]}`` in the PG namespace."""
    return facet(
        "ColumnLineageDatasetFacet",
        fields={
            out: {
                "inputFields": [
                    {
                        "namespace": PG_NS,
                        "name": table,
                        "field": column,
                        "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                    }
                    for table, column in inputs
                ]
            }
            for out, inputs in mapping.items()
        },
    )


def airflow_task(
    event_type: str,
    *,
    dag: str = "etl_orders",
    task: str = "build_daily",
    run: str,
    dag_run: str,
    minutes: float = 0,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    job_facets: dict[str, Any] | None = None,
    run_facets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": at(minutes),
        "producer": AIRFLOW_PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {
            "runId": run,
            "facets": {
                "parent": facet(
                    "ParentRunFacet",
                    run={"runId": dag_run},
                    job={"namespace": AIRFLOW_NS, "name": dag},
                    root={
                        "run": {"runId": dag_run},
                        "job": {"namespace": AIRFLOW_NS, "name": dag},
                    },
                ),
                "airflow": facet(
                    "AirflowRunFacet",
                    dag={"dag_id": dag, "schedule_interval": "@daily", "owner": "airflow"},
                    taskInstance={"try_number": 1, "pool": "default_pool"},
                ),
                "processing_engine": facet(
                    "ProcessingEngineRunFacet", version="2.10.5", name="Airflow"
                ),
                **(run_facets or {}),
            },
        },
        "job": {
            "namespace": AIRFLOW_NS,
            "name": f"{dag}.{task}",
            "facets": {
                "jobType": facet(
                    "JobTypeJobFacet", processingType="BATCH", integration="AIRFLOW", jobType="TASK"
                ),
                **(job_facets or {}),
            },
        },
        "inputs": inputs or [],
        "outputs": outputs or [],
    }


def orders_task(event_type: str, *, run: str, dag_run: str, minutes: float = 0) -> dict[str, Any]:
    """build_daily: shop.public.orders + shop.public.customers -> shop.analytics.daily_orders."""
    return airflow_task(
        event_type,
        run=run,
        dag_run=dag_run,
        minutes=minutes,
        inputs=[
            pg_table("shop.public.orders", "id", "customer_id", "amount"),
            pg_table("shop.public.customers", "id", "region"),
        ],
        outputs=[
            pg_table(
                "shop.analytics.daily_orders",
                "region",
                "total",
                columnLineage=column_lineage(
                    {
                        "region": [("shop.public.customers", "region")],
                        "total": [("shop.public.orders", "amount")],
                    }
                ),
            )
        ],
        job_facets={
            "sql": facet(
                "SQLJobFacet",
                query="INSERT INTO analytics.daily_orders SELECT region, sum(amount) ...",
            ),
            "ownership": facet("OwnershipJobFacet", owners=[{"name": "team:orders"}]),
            "documentation": facet("DocumentationJobFacet", description="Daily order totals"),
        },
    )


def spark_action(
    event_type: str,
    *,
    run: str,
    app_run: str,
    minutes: float = 0,
    error: str | None = None,
) -> dict[str, Any]:
    """A Spark action reading /raw/clicks and writing /warehouse/sessions."""
    run_facets: dict[str, Any] = {
        "parent": facet(
            "ParentRunFacet",
            run={"runId": app_run},
            job={"namespace": SPARK_NS, "name": "sessionize"},
        ),
        "spark_properties": facet(
            "SparkPropertiesFacet", properties={"spark.master": "yarn", "spark.app.name": "x"}
        ),
        "processing_engine": facet("ProcessingEngineRunFacet", version="3.5.1", name="spark"),
    }
    if error is not None:
        run_facets["errorMessage"] = facet(
            "ErrorMessageRunFacet",
            message=error,
            programmingLanguage="JAVA",
            stackTrace=f"{error}\n\tat org.apache.spark.sql.execution.QueryExecution",
        )
    return {
        "eventType": event_type,
        "eventTime": at(minutes),
        "producer": SPARK_PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run, "facets": run_facets},
        "job": {
            "namespace": SPARK_NS,
            "name": "sessionize.execute_insert_into_hadoop_fs_relation_command.warehouse_sessions",
            "facets": {
                "jobType": facet(
                    "JobTypeJobFacet", processingType="BATCH", integration="SPARK", jobType="JOB"
                )
            },
        },
        "inputs": [
            {
                "namespace": "hdfs://namenode:8020",
                "name": "/raw/clicks",
                "facets": {"schema": schema("user_id", "ts", "url")},
            }
        ],
        "outputs": [
            {
                "namespace": "hdfs://namenode:8020",
                "name": "/warehouse/sessions",
                "facets": {
                    "schema": schema("user_id", "session_start", "clicks"),
                    "columnLineage": facet(
                        "ColumnLineageDatasetFacet",
                        fields={
                            "user_id": {
                                "inputFields": [
                                    {
                                        "namespace": "hdfs://namenode:8020",
                                        "name": "/raw/clicks",
                                        "field": "user_id",
                                    }
                                ]
                            }
                        },
                    ),
                },
                "outputFacets": {
                    "outputStatistics": facet(
                        "OutputStatisticsOutputDatasetFacet", rowCount=10, size=1000
                    )
                },
            }
        ],
    }
