"""Datasets a job's SQL or column lineage names but its events do not report are derived:
created, marked, and drawn as derived edges (issue 23, point 3)."""

from __future__ import annotations

from typing import Any

from tests.ingestion.conftest import Poster
from tests.ingestion.factories import AIRFLOW_NS, PG_NS, airflow_task, facet, pg_table, run_id

TASK = "etl_orders.report"


def report_run(sql: str, *, state: str = "FAIL", inputs: tuple[str, ...] = ()) -> dict[str, Any]:
    return airflow_task(
        state,
        task="report",
        run=run_id(),
        dag_run=run_id(),
        inputs=[pg_table(name, "id") for name in inputs],
        outputs=[pg_table("shop.mart.report", "id")],
        job_facets={"sql": facet("SQLJobFacet", query=sql)},
    )


def upstream(poster: Poster) -> dict[str, str]:
    task = poster.node(AIRFLOW_NS, TASK)
    edges = poster.get("/api/v1/edges", target_id=task["id"])["items"]
    names = {n["id"]: n["name"] for n in poster.get("/api/v1/nodes", limit=200)["items"]}
    return {names[e["source_id"]]: e["origin"] for e in edges}


def test_a_table_only_the_sql_reads_is_derived_under_the_jobs_database(poster: Poster) -> None:
    poster.post(report_run("INSERT INTO mart.report SELECT id FROM staging.missing_table"))
    assert upstream(poster) == {"shop.staging.missing_table": "derived"}
    missing = poster.node(PG_NS, "shop.staging.missing_table")
    facts = poster.get(f"/api/v1/nodes/{missing['id']}/openlineage")
    assert facts["derived"] == {"job": f"{AIRFLOW_NS}/{TASK}", "source": "sql"}


def test_unqualified_tables_are_in_public_and_names_fold_to_lower_case(poster: Poster) -> None:
    poster.post(report_run("INSERT INTO mart.report SELECT id FROM Missing_Orders"))
    assert upstream(poster) == {"shop.public.missing_orders": "derived"}


def test_reported_inputs_are_not_derived_again(poster: Poster) -> None:
    poster.post(
        report_run(
            "INSERT INTO mart.report SELECT id FROM public.orders",
            state="COMPLETE",
            inputs=("shop.public.orders",),
        )
    )
    assert upstream(poster) == {"shop.public.orders": "openlineage"}


def test_once_reported_a_derived_table_is_an_ordinary_input(poster: Poster) -> None:
    sql = "INSERT INTO mart.report SELECT id FROM staging.late_table"
    poster.post(report_run(sql))
    poster.post(report_run(sql, state="COMPLETE", inputs=("shop.staging.late_table",)))
    assert upstream(poster) == {"shop.staging.late_table": "openlineage"}
    late = poster.node(PG_NS, "shop.staging.late_table")
    assert poster.get(f"/api/v1/nodes/{late['id']}/openlineage")["derived"] is None


def test_sql_that_does_not_parse_derives_nothing(poster: Poster) -> None:
    poster.post(report_run("INSERT INTO mart.report SELECT ... FROM"))
    assert upstream(poster) == {}


def test_a_column_lineage_input_holding_a_password_is_made_a_node_masked(
    poster: Poster,
) -> None:
    # Masked when the event is stored, as in the event's own datasets (docs/security.md).
    event = report_run("SELECT 1")
    event["outputs"][0]["facets"]["columnLineage"] = facet(
        "ColumnLineageDatasetFacet",
        fields={
            "id": {
                "inputFields": [
                    {"namespace": "postgres://u:pw@db:5432", "name": "shop.x.y", "field": "id"}
                ]
            }
        },
    )
    poster.post(event)
    assert upstream(poster) == {"shop.x.y": "derived"}
    assert poster.node("postgres://u:***@db:5432", "shop.x.y")["name"] == "shop.x.y"


def test_a_column_lineage_input_is_named_in_nfc_as_reported_datasets_are(
    poster: Poster,
) -> None:
    event = report_run("SELECT 1")
    decomposed = "shop.staging.cafe\u0301s"  # "cafés" with a combining accent (NFD)
    event["outputs"][0]["facets"]["columnLineage"] = facet(
        "ColumnLineageDatasetFacet",
        fields={"id": {"inputFields": [{"namespace": PG_NS, "name": decomposed, "field": "id"}]}},
    )
    poster.post(event)
    assert upstream(poster) == {"shop.staging.caf\u00e9s": "derived"}
