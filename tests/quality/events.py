"""Data quality events shaped like the ones real producers send.

dbt (openlineage-dbt, ``integration/common/openlineage/common/provider/dbt/processor.py``,
``parse_test``, 1.39): per model with tests, one job ``<database>.<schema>.<model>.test``
(``jobType`` TEST / DBT) whose START and COMPLETE (FAIL when an ``error``-severity test
failed) carry the model as the only input, with ``dataQualityAssertions`` in ``inputFacets``
(and copied into ``facets``): ``assertion`` is the test node's name (manifest v12), ``column``
its ``column_name``, ``severity`` its config's severity. Assertion fields per the spec's
``DataQualityAssertionsDatasetFacet`` 1-0-2.

Great Expectations (openlineage-common's ``OpenLineageValidationAction``,
``provider/great_expectations/action.py`` and ``results.py``): one COMPLETE event per
validation, the job named after the expectation suite, the validated table as input with
``inputFacets`` ``dataQuality`` and ``dataQualityMetrics`` (the same
``DataQualityMetricsInputDatasetFacet``: ``rowCount``, ``columnMetrics`` with ``nullCount``,
``distinctCount``, ``sum``, ``count``, ``min``, ``max``, ``quantiles``) and
``greatExpectations_assertions`` (``expectationType``, ``success``, ``column``); the shape
its own tests assert (``integration/common/tests/great_expectations``).
"""

from __future__ import annotations

from typing import Any

from tests.ingestion.factories import PG_NS, at, run_id

DBT_PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.39.0/integration/dbt"
GE_PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.39.0/integration/common"
RUN_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
DBT_NS = "dbt"
GE_NS = "great_expectations"
MODEL = "dev.public.orders"  # database.schema.model, as openlineage-dbt names it
TEST_JOB = "dev.public.jaffle_shop.orders.test"


def _facet(producer: str, kind: str, spec: str = "1-0-2", **fields: Any) -> dict[str, Any]:
    url = f"https://openlineage.io/spec/facets/{spec}/{kind}.json#/$defs/{kind}"
    return {"_producer": producer, "_schemaURL": url, **fields}


def not_null(column: str, passed: bool, severity: str = "error") -> dict[str, Any]:
    """One dbt generic test's result, as ``parse_assertions`` makes it."""
    return {
        "assertion": f"not_null_orders_{column}",
        "success": passed,
        "column": column,
        "severity": severity,
    }


def dbt_test_run(*assertions: dict[str, Any], minutes: float = 0) -> list[dict[str, Any]]:
    """START and COMPLETE (or FAIL) of a dbt test run of the ``orders`` model."""
    facet = _facet(DBT_PRODUCER, "DataQualityAssertionsDatasetFacet", assertions=list(assertions))
    dataset = {
        "namespace": PG_NS,
        "name": MODEL,
        "facets": {"dataQualityAssertions": facet},
        "inputFacets": {"dataQualityAssertions": facet},
    }
    failed = any(not a["success"] and a.get("severity") != "warn" for a in assertions)
    run = {
        "runId": run_id(),
        "facets": {
            "dbt_version": {"_producer": DBT_PRODUCER, "version": "1.10.15"},
            "processing_engine": _facet(
                DBT_PRODUCER,
                "ProcessingEngineRunFacet",
                "1-1-1",
                name="dbt",
                version="1.10.15",
                openlineageAdapterVersion="1.39.0",
            ),
        },
    }
    job = {
        "namespace": DBT_NS,
        "name": TEST_JOB,
        "facets": {
            "jobType": _facet(
                DBT_PRODUCER,
                "JobTypeJobFacet",
                "2-0-3",
                processingType="BATCH",
                integration="DBT",
                jobType="TEST",
            ),
            "dbt_node": {
                "_producer": DBT_PRODUCER,
                "original_file_path": "models/orders.sql",
                "database": "dev",
                "schema": "public",
                "alias": "orders",
                "unique_id": "model.jaffle_shop.orders",
            },
        },
    }
    return [
        {
            "eventType": event_type,
            "eventTime": at(minutes + offset),
            "producer": DBT_PRODUCER,
            "schemaURL": RUN_SCHEMA,
            "run": run,
            "job": job,
            "inputs": [dataset],
            "outputs": [],
        }
        for offset, event_type in ((0.0, "START"), (0.5, "FAIL" if failed else "COMPLETE"))
    ]


def ge_validation(
    row_count: int, null_ids: int, *, minutes: float = 0, passed: bool = True
) -> dict[str, Any]:
    """A Great Expectations validation of ``orders`` (the action's one COMPLETE event)."""
    metrics = _facet(
        GE_PRODUCER,
        "DataQualityMetricsInputDatasetFacet",
        "1-0-2",
        rowCount=row_count,
        columnMetrics={
            "id": {"nullCount": null_ids, "distinctCount": row_count - null_ids},
            "amount": {
                "sum": 1234.5,
                "count": row_count,
                "min": 0.5,
                "max": 99.0,
                "quantiles": {"0.25": 3.0, "0.5": 10.0, "0.75": 40.0},
            },
        },
    )
    return {
        "eventType": "COMPLETE",
        "eventTime": at(minutes),
        "producer": GE_PRODUCER,
        "schemaURL": RUN_SCHEMA,
        "run": {
            "runId": run_id(),
            "facets": {
                "great_expectations_meta": {
                    "_producer": GE_PRODUCER,
                    "expectation_suite_name": "orders_suite",
                    "run_id": {"run_name": "nightly", "run_time": at(minutes)},
                    "validation_time": at(minutes),
                }
            },
        },
        "job": {"namespace": GE_NS, "name": "orders_suite"},
        "inputs": [
            {
                "namespace": PG_NS,
                "name": MODEL,
                "facets": {
                    "dataSource": _facet(
                        GE_PRODUCER, "DatasourceDatasetFacet", name=PG_NS, uri=f"{PG_NS}/dev"
                    ),
                },
                "inputFacets": {
                    "dataQuality": metrics,
                    "dataQualityMetrics": metrics,
                    "greatExpectations_assertions": {
                        "_producer": GE_PRODUCER,
                        "assertions": [
                            {
                                "expectationType": "expect_table_row_count_to_be_between",
                                "success": True,
                            },
                            {
                                "expectationType": "expect_column_values_to_not_be_null",
                                "success": passed,
                                "column": "id",
                            },
                        ],
                    },
                },
            }
        ],
        "outputs": [],
    }
