"""The on-call questions, asked of what a real Airflow 3 sent (recorded, replayed here): one
task failing on a missing table, and a task whose SQL changed between two runs (issue 23)."""

from __future__ import annotations

from typing import Any

from tests.ingestion import airflow_fixtures
from tests.ingestion.conftest import Poster

REPORT = "shop_etl.build_report"


def node_id(poster: Poster, key: tuple[str, str]) -> str:
    return str(poster.node(*key)["id"])


def test_the_failing_task_not_its_dag_is_the_root_cause(poster: Poster) -> None:
    shop = airflow_fixtures.load("shop_etl")
    poster.post(*shop.events)
    assert poster.node(*shop.job("shop_etl"))["status"] == "error"  # task_failure
    report = poster.get(
        f"/api/v1/nodes/{node_id(poster, shop.job(REPORT))}/impact", direction="upstream"
    )
    assert [n["name"] for n in report["likely_root_causes"]] == [REPORT]
    assert "shop_etl" not in {n["name"] for n in report["affected"]}
    assert [p["name"] for p in report["parents"]] == ["shop_etl"]


def test_a_healthy_table_downstream_of_nothing_failing_names_no_cause(poster: Poster) -> None:
    shop = airflow_fixtures.load("shop_etl")
    poster.post(*shop.events)
    revenue = node_id(poster, shop.table("mart.revenue"))
    report = poster.get(f"/api/v1/nodes/{revenue}/impact", direction="upstream")
    assert report["likely_root_causes"] == []  # the failed DAG is not upstream of it


def test_the_missing_table_the_sql_reads_is_derived(poster: Poster) -> None:
    shop = airflow_fixtures.load("shop_etl")
    assert shop.event(REPORT, "FAIL")["inputs"] == []  # the provider dropped it
    poster.post(*shop.events)
    missing = poster.node(*shop.table("staging.missing_table"))
    facts = poster.get(f"/api/v1/nodes/{missing['id']}/openlineage")
    assert facts["derived"] == {"job": f"{shop.namespace}/{REPORT}", "source": "columnLineage"}
    [edge] = poster.get("/api/v1/edges", node_id=missing["id"])["items"]
    assert (edge["origin"], edge["target_id"]) == ("derived", node_id(poster, shop.job(REPORT)))
    lineage = poster.get(
        f"/api/v1/nodes/{node_id(poster, shop.job(REPORT))}/lineage", direction="upstream"
    )
    assert "dlv_shop_f7198e05.staging.missing_table" in {n["name"] for n in lineage["nodes"]}


def test_what_the_failed_task_writes_is_at_risk(poster: Poster) -> None:
    shop = airflow_fixtures.load("shop_etl")
    poster.post(*shop.events)
    report_table = poster.node(*shop.table("mart.report"))
    assert report_table["status"] == "at_risk"
    assert report_table["status_message"].startswith(f"producer {REPORT} failed at ")
    assert 'relation "staging.missing_table" does not exist' in report_table["status_message"]
    assert poster.node(*shop.table("mart.revenue"))["status"] == "ok"


def test_every_owner_and_the_dag_tags_are_kept(poster: Poster) -> None:
    shop = airflow_fixtures.load("shop_etl")
    poster.post(*shop.events)
    dag = poster.node(*shop.job("shop_etl"))
    revenue = poster.node(*shop.job("shop_etl.build_revenue"))
    assert dag["owners"] == ["alice", "bob", "carol"]
    assert revenue["owners"] == ["alice", "bob"]
    assert dag["tags"] == revenue["tags"] == ["finance", "team:data"]


def test_the_input_a_changed_query_no_longer_reads_goes_stale(poster: Poster) -> None:
    first = airflow_fixtures.load("changing_sql_run1")
    second = airflow_fixtures.load("changing_sql_run2")
    poster.post(*first.events)
    poster.post(*second.events)
    refresh = node_id(poster, first.job("changing_sql.refresh"))

    def upstream(**params: Any) -> set[str]:
        graph = poster.get(f"/api/v1/nodes/{refresh}/lineage", direction="upstream", **params)
        return {n["name"] for n in graph["nodes"]}

    def table(letter: str) -> str:
        return f"{first.database}.raw.table_{letter}"

    assert upstream() == {"changing_sql.refresh", table("b")}
    assert upstream(include_stale=True) == {"changing_sql.refresh", table("a"), table("b")}
    between = first.event("changing_sql.refresh", "COMPLETE")["eventTime"]
    assert upstream(as_of=between) == {"changing_sql.refresh", table("a")}


def test_replaying_a_whole_run_changes_nothing(poster: Poster) -> None:
    shop = airflow_fixtures.load("shop_etl")
    poster.post(*shop.events)
    runs = poster.get("/api/v1/runs", limit=100)["items"]
    poster.post(*airflow_fixtures.load("shop_etl").events)
    again = poster.get("/api/v1/runs", limit=100)["items"]
    assert [(r["id"], r["event_count"], r["updated_at"]) for r in again] == [
        (r["id"], r["event_count"], r["updated_at"]) for r in runs
    ]
    assert all(r["event_count"] == 2 for r in again)
    task_run = shop.event(REPORT, "FAIL")["run"]["runId"]
    assert len(poster.get(f"/api/v1/runs/{task_run}")["events"]) == 2


def test_a_real_dags_tags_come_back_from_its_run_as_sent(poster: Poster) -> None:
    # The tags facets Airflow sent (job: the DAG's tags; run: the client's version), whose
    # "key" fields a scrubber once took for secrets.
    shop = airflow_fixtures.load("shop_etl")
    poster.post(*shop.events)
    sent = shop.event(REPORT, "FAIL")
    stored = poster.get(f"/api/v1/runs/{sent['run']['runId']}")["events"]
    [payload] = [e["payload"] for e in stored if e["payload"]["eventType"] == "FAIL"]
    for part in ("job", "run"):
        assert payload[part]["facets"]["tags"] == sent[part]["facets"]["tags"]
    assert {"key": "team:data", "source": "AIRFLOW", "value": "team:data"} in (
        payload["job"]["facets"]["tags"]["tags"]
    )
    assert "team:data" in poster.node(*shop.job(REPORT))["tags"]
