"""End to end: Marquez's own Python client (marquez-python, from PyPI) against a real
``dlv serve`` process fed with the events a real Airflow sent (tests/ingestion/fixtures)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from marquez_client import MarquezClient
from marquez_client.errors import APIError

from dlv.auth.models import TokenScope
from dlv.db import make_engine, make_sessionmaker
from tests.conftest import make_token, migrated_database
from tests.ingestion import airflow_fixtures
from tests.servers import dlv_server

SHOP = airflow_fixtures.load("shop_etl")
PG_NS = SHOP.postgres_namespace  # postgres://127.0.0.1:5432: slashes and colons
JOBS_NS = SHOP.namespace
STAGING = SHOP.table("staging.orders")[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """One server for the module, fed once: (url, headers of a read token)."""
    with migrated_database(tmp_path_factory, "dlv_marquez") as database:
        url = database if "://" in database else f"sqlite:///{database}"
        engine = make_engine(url)
        with make_sessionmaker(engine)() as db:
            ingest = make_token(db, "airflow", TokenScope.ingest)
            read = make_token(db, "marquez-reader", TokenScope.read)
        engine.dispose()
        home = tmp_path_factory.mktemp("marquez-home")
        with dlv_server(url, home) as base, httpx.Client(base_url=base, timeout=30) as http:
            for event in SHOP.events:
                r = http.post("/api/v1/lineage", json=event, headers=ingest)
                assert r.status_code == 201, r.text
            yield base, read


@pytest.fixture(scope="module")
def client(server: tuple[str, dict[str, str]]) -> MarquezClient:
    url, headers = server
    return MarquezClient(url, api_key=headers["Authorization"].removeprefix("Bearer "))


def get(server: tuple[str, dict[str, str]], path: str, **params: Any) -> httpx.Response:
    url, headers = server
    return httpx.get(url + path, params=params, headers=headers, timeout=30)


def test_list_namespaces_lists_the_jobs_and_the_datasets_namespaces(client: MarquezClient) -> None:
    names = [n["name"] for n in client.list_namespaces()["namespaces"]]
    assert names == sorted([JOBS_NS, PG_NS])


def test_get_namespace_reads_a_namespace_with_slashes_and_colons(client: MarquezClient) -> None:
    namespace = client.get_namespace(PG_NS)
    assert namespace["name"] == PG_NS
    assert namespace["ownerName"] == "anonymous"
    assert namespace["createdAt"] <= namespace["updatedAt"]


def test_list_datasets_lists_the_tables_events_and_their_sql_named(
    client: MarquezClient,
) -> None:
    listed = client.list_datasets(PG_NS)
    names = [d["name"] for d in listed["datasets"]]
    assert names == sorted(
        SHOP.table(t)[1]
        for t in (
            "raw.orders",
            "staging.orders",
            "mart.revenue",
            "mart.report",
            "staging.missing_table",  # named only in build_report's SQL
        )
    )
    assert listed["totalCount"] == 5


def test_get_dataset_has_marquez_fields_facets_and_dlv_status(client: MarquezClient) -> None:
    dataset = client.get_dataset(PG_NS, STAGING)
    assert dataset["id"] == {"namespace": PG_NS, "name": STAGING}
    assert dataset["type"] == "DB_TABLE"
    assert dataset["sourceName"] == PG_NS
    assert dataset["fields"], "the schema facet's columns"
    assert {"name", "type", "tags", "description"} <= set(dataset["fields"][0])
    assert dataset["facets"]["schema"]["fields"][0]["name"] == dataset["fields"][0]["name"]
    assert dataset["currentVersion"] is None
    assert dataset["dlv"]["status"] in {"ok", "unknown"}
    uuid.UUID(dataset["dlv"]["id"])


def test_list_jobs_lists_the_dag_and_its_tasks_with_their_latest_run(
    client: MarquezClient,
) -> None:
    jobs = {j["name"]: j for j in client.list_jobs(JOBS_NS)["jobs"]}
    assert set(jobs) == {
        "shop_etl",
        "shop_etl.load_orders",
        "shop_etl.build_revenue",
        "shop_etl.build_report",
    }
    assert jobs["shop_etl.build_report"]["latestRun"]["state"] == "FAILED"
    assert jobs["shop_etl.load_orders"]["latestRun"]["state"] == "COMPLETED"


def test_get_job_has_inputs_outputs_parent_and_dlv_owners(client: MarquezClient) -> None:
    job = client.get_job(JOBS_NS, "shop_etl.load_orders")
    assert job["inputs"] == [{"namespace": PG_NS, "name": SHOP.table("raw.orders")[1]}]
    assert job["outputs"] == [{"namespace": PG_NS, "name": STAGING}]
    assert job["parentJobName"] == "shop_etl"
    assert job["simpleName"] == "load_orders"
    assert job["type"] == "BATCH"
    assert len(job["latestRuns"]) == 1
    dag = client.get_job(JOBS_NS, "shop_etl")
    assert dag["dlv"]["owners"] == ["alice", "bob", "carol"]
    assert dag["facets"]["ownership"]["owners"][0] == {"name": "alice"}
    assert dag["description"] == "Orders into revenue, and a report"


def test_list_job_runs_lists_a_jobs_runs(client: MarquezClient) -> None:
    runs = client.list_job_runs(JOBS_NS, "shop_etl.build_report")["runs"]
    assert [r["state"] for r in runs] == ["FAILED"]
    assert runs[0]["durationMs"] is not None


def test_get_job_run_has_the_facets_its_events_sent(client: MarquezClient) -> None:
    [run] = client.list_job_runs(JOBS_NS, "shop_etl.build_report")["runs"]
    read = client.get_job_run(run["id"])
    assert read["id"] == run["id"]
    assert read["state"] == "FAILED"
    assert "missing_table" in read["facets"]["errorMessage"]["message"]
    outputs = [v["datasetVersionId"]["name"] for v in read["outputDatasetVersions"]]
    assert outputs == [SHOP.table("mart.report")[1]]


def test_list_tags_lists_the_tags_events_set(client: MarquezClient) -> None:
    names = {t["name"] for t in client.list_tags()["tags"]}
    assert "finance" in names


def test_unknown_names_are_api_errors_from_problem_json_404s(
    client: MarquezClient, server: tuple[str, dict[str, str]]
) -> None:
    with pytest.raises(APIError):
        client.get_dataset(PG_NS, "no.such.table")
    with pytest.raises(APIError):
        client.get_job_run(str(uuid.uuid4()))
    for path in (
        "/api/v1/namespaces/nowhere",
        "/api/v1/namespaces/nowhere/datasets",
        "/api/v1/namespaces/nowhere/jobs",
        f"/api/v1/namespaces/{quote(PG_NS, safe='')}/datasets/nothing",
        f"/api/v1/namespaces/{quote(JOBS_NS, safe='')}/jobs/nothing/runs",
    ):
        r = get(server, path)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
    # A namespace that holds only jobs exists: it lists no datasets.
    r = get(server, f"/api/v1/namespaces/{quote(JOBS_NS, safe='')}/datasets")
    assert r.status_code == 200, r.text
    assert (r.json()["datasets"], r.json()["totalCount"]) == ([], 0)


def test_lineage_of_a_dataset_is_marquez_graph_of_jobs_and_datasets(
    server: tuple[str, dict[str, str]],
) -> None:
    r = get(server, "/api/v1/lineage", nodeId=f"dataset:{PG_NS}:{STAGING}", depth=20)
    assert r.status_code == 200, r.text
    graph = {n["id"]: n for n in r.json()["graph"]}
    load = f"job:{JOBS_NS}:shop_etl.load_orders"
    staging = f"dataset:{PG_NS}:{STAGING}"
    revenue = f"dataset:{PG_NS}:{SHOP.table('mart.revenue')[1]}"
    assert {load, staging, revenue, f"job:{JOBS_NS}:shop_etl.build_revenue"} <= set(graph)
    assert {"origin": load, "destination": staging} in graph[staging]["inEdges"]
    assert {"origin": load, "destination": staging} in graph[load]["outEdges"]
    assert graph[load]["type"] == "JOB"
    assert graph[staging]["type"] == "DATASET"
    assert graph[staging]["data"]["id"] == {"namespace": PG_NS, "name": STAGING}


def test_search_finds_datasets_and_jobs_by_name(server: tuple[str, dict[str, str]]) -> None:
    r = get(server, "/api/v1/search", q="orders")
    assert r.status_code == 200, r.text
    found = {(x["type"], x["name"]) for x in r.json()["results"]}
    assert ("JOB", "shop_etl.load_orders") in found
    assert ("DATASET", STAGING) in found
    only_jobs = get(server, "/api/v1/search", q="orders", filter="job").json()["results"]
    assert {x["type"] for x in only_jobs} == {"JOB"}
