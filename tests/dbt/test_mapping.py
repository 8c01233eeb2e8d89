"""The mapping of dbt artifacts, on a real run's recorded artifacts and dbt-ol events: pure."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dlv.dbt.mapping import ArtifactError, map_artifacts
from dlv.graph.schemas import GraphNode
from dlv.nodes.models import NodeStatus
from tests.dbt import project_db

META = project_db.meta()
DB = META["database"]


def mapped(results: list[dict[str, Any]] | None = None) -> Any:
    runs = project_db.run_results() if results is None else results
    return map_artifacts(
        project_db.manifest(), runs, META["dataset_namespace"], META["job_namespace"]
    )


def test_every_job_and_dataset_dbt_ol_sent_has_the_same_name_in_the_import() -> None:
    sent: set[tuple[str, str]] = set()
    for event in project_db.load("events.json"):
        job = event["job"]
        # dbt-ol's wrapper job is the parent of all; its events name no datasets.
        sent.add((job["namespace"], job["name"]))
        for dataset in [*event.get("inputs", []), *event.get("outputs", [])]:
            sent.add((dataset["namespace"], dataset["name"]))
    assert sent <= set(mapped().nodes)


def test_a_model_is_a_job_between_its_inputs_and_its_table() -> None:
    edges = set(mapped().edges)
    job = (META["job_namespace"], f"{DB}.analytics_marts.shop.customer_revenue")
    table = (META["dataset_namespace"], f"{DB}.analytics_marts.customer_revenue")
    seed = (META["dataset_namespace"], f"{DB}.analytics_ref.country_codes")
    assert {(job, table), (seed, job)} <= edges


def test_owners_descriptions_and_tags_come_from_the_project() -> None:
    table = mapped().nodes[(META["dataset_namespace"], f"{DB}.analytics_staging.stg_customers")]
    assert table["owners"] == ["analytics-team"]
    assert table["description"] == "Customers with their country code."
    assert table["tags"] == ["pii", "staging"]


def test_owners_and_a_description_the_catalog_cannot_hold_are_left_out_not_refused() -> None:
    manifest = project_db.manifest()
    node = manifest["nodes"]["model.shop.stg_customers"]
    many = [f"team-{n}" for n in range(30)]
    node["meta"] = {"owner": ["x" * 201, "analytics-team", "analytics-team", *many]}
    node["description"] = "d" * 20_001
    found = map_artifacts(
        manifest, project_db.run_results(), META["dataset_namespace"], META["job_namespace"]
    )
    table = found.nodes[(META["dataset_namespace"], f"{DB}.analytics_staging.stg_customers")]
    assert table["owners"] == ["analytics-team", *many[:19]]
    assert table["description"] is None
    for item in found.document()["nodes"]:  # what the graph import validates: all of it
        GraphNode.model_validate(item)


def test_a_failed_test_puts_the_job_of_its_models_tests_in_error_with_dbts_message() -> None:
    statuses = {s.key[1]: s for s in mapped().statuses}
    failed = statuses[f"{DB}.analytics_staging.shop.stg_customers.test"]
    assert failed.status is NodeStatus.error
    assert (
        failed.message == "not_null_stg_customers_email: Got 1 result, configured to fail if != 0"
    )
    assert statuses[f"{DB}.analytics_staging.shop.stg_orders.test"].status is NodeStatus.ok
    assert statuses[f"{DB}.analytics_staging.shop.stg_orders"].status is NodeStatus.ok


def test_a_failed_model_puts_its_job_in_error() -> None:
    results = copy.deepcopy(project_db.run_results())
    [run] = [r for r in results[1]["results"] if r["unique_id"] == "model.shop.stg_orders"]
    run["status"], run["message"] = "error", 'relation "raw.orders" does not exist'
    statuses = {s.key[1]: s for s in mapped(results).statuses}
    status = statuses[f"{DB}.analytics_staging.shop.stg_orders"]
    assert (status.status, status.message) == (
        NodeStatus.error,
        'relation "raw.orders" does not exist',
    )


def test_a_warning_test_does_not_put_its_job_in_error() -> None:
    results = copy.deepcopy(project_db.run_results())
    for result in results[2]["results"]:
        if result["status"] == "fail":
            result["status"] = "warn"
    statuses = {s.key[1]: s.status for s in mapped(results).statuses}
    assert statuses[f"{DB}.analytics_staging.shop.stg_customers.test"] is NodeStatus.ok


def test_a_manifest_without_its_project_name_is_refused_naming_the_field() -> None:
    manifest = project_db.manifest()
    del manifest["metadata"]["project_name"]
    with pytest.raises(ArtifactError) as caught:
        map_artifacts(manifest, [], META["dataset_namespace"])
    assert caught.value.field == "manifest.metadata.project_name"


def test_an_ephemeral_model_stays_in_the_lineage_as_dbt_ol_names_it() -> None:
    manifest = project_db.manifest()
    manifest["nodes"]["model.shop.stg_orders"]["config"]["materialized"] = "ephemeral"
    edges = set(map_artifacts(manifest, [], META["dataset_namespace"], META["job_namespace"]).edges)
    table = (META["dataset_namespace"], f"{DB}.analytics_staging.stg_orders")
    mart = (META["job_namespace"], f"{DB}.analytics_marts.shop.customer_revenue")
    source = (META["dataset_namespace"], f"{DB}.raw.orders")
    job = (META["job_namespace"], f"{DB}.analytics_staging.shop.stg_orders")
    assert {(table, mart), (source, job), (job, table)} <= edges
