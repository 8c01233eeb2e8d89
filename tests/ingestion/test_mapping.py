"""Events into the catalog: job and dataset nodes, parents, edges, metadata, column lineage;
idempotent, and never over a person's word."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dlv.audit.models import AuditRecord
from dlv.ingestion.models import Run
from dlv.lineage.models import Edge, LineageChange
from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.ingestion.conftest import Poster
from tests.ingestion.factories import (
    AIRFLOW_NS,
    PG_NS,
    at,
    facet,
    orders_task,
    pg_table,
    run_id,
)
from tests.nodes.factories import create, postgres_node

TASK = "etl_orders.build_daily"


def post_orders(poster: Poster, event_type: str = "COMPLETE", **kw: Any) -> dict[str, Any]:
    event = orders_task(event_type, run=kw.pop("run", run_id()), dag_run=run_id(), **kw)
    poster.post(event)
    return event


def names(graph: dict[str, Any]) -> dict[str, int]:
    return {n["name"]: n["distance"] for n in graph["nodes"]}


def test_a_task_event_draws_inputs_to_job_to_outputs(poster: Poster) -> None:
    post_orders(poster)
    orders = poster.node(PG_NS, "shop.public.orders")
    graph = poster.get(f"/api/v1/nodes/{orders['id']}/lineage")
    assert names(graph) == {"shop.public.orders": 0, TASK: 1, "shop.analytics.daily_orders": 2}
    edges = poster.get("/api/v1/edges", node_id=orders["id"])["items"]
    assert [e["origin"] for e in edges] == ["openlineage"]


def test_nodes_get_the_kinds_and_keys_the_event_names(poster: Poster) -> None:
    post_orders(poster)
    assert poster.node(AIRFLOW_NS, TASK)["kind"] == "job"
    assert poster.node(PG_NS, "shop.analytics.daily_orders")["kind"] == "dataset"


def test_the_parent_facet_puts_the_task_under_its_dag(poster: Poster) -> None:
    post_orders(poster)
    dag = poster.node(AIRFLOW_NS, "etl_orders")
    assert dag["kind"] == "job"
    assert poster.node(AIRFLOW_NS, TASK)["parent_id"] == dag["id"]


def test_a_postgres_dataset_goes_under_the_server_it_lives_on(
    client: TestClient, admin: Caller, poster: Poster
) -> None:
    # Two databases on the same server: the dataset name's first part picks one.
    create(client, admin, postgres_node("billing", namespace="pg-systems"))
    shop = create(client, admin, postgres_node("shop", namespace="pg-systems"))
    post_orders(poster)
    assert poster.node(PG_NS, "shop.public.orders")["parent_id"] == shop["id"]
    impact = poster.get(f"/api/v1/nodes/{shop['id']}/impact")
    assert {n["name"] for n in impact["affected"]} >= {"shop.public.orders", TASK}


def test_facets_fill_owner_description_columns_query_and_type(poster: Poster) -> None:
    post_orders(poster)
    task = poster.node(AIRFLOW_NS, TASK)
    assert (task["owner"], task["description"]) == ("team:orders", "Daily order totals")
    facts = poster.get(f"/api/v1/nodes/{task['id']}/openlineage")
    assert facts["sql"].startswith("INSERT INTO analytics.daily_orders")
    assert facts["job_type"] == {
        "processingType": "BATCH",
        "integration": "AIRFLOW",
        "jobType": "TASK",
    }
    orders = poster.node(PG_NS, "shop.public.orders")
    columns = poster.get(f"/api/v1/nodes/{orders['id']}/openlineage")["columns"]
    assert [c["name"] for c in columns] == ["id", "customer_id", "amount"]


def test_a_dialect_longer_than_the_catalogs_keeps_the_query_not_the_dialect(
    poster: Poster,
) -> None:
    event = orders_task("FAIL", run=run_id(), dag_run=run_id())
    event["job"]["facets"]["sql"]["dialect"] = "d" * 65
    poster.post(event)
    task = poster.node(AIRFLOW_NS, TASK)
    assert task["status"] == "error"  # mapped, not left failing in the drain
    facts = poster.get(f"/api/v1/nodes/{task['id']}/openlineage")
    assert facts["sql"].startswith("INSERT INTO analytics.daily_orders")
    assert facts["sql_dialect"] is None


def test_a_persons_owner_and_description_are_never_overwritten(
    client: TestClient, admin: Caller, poster: Poster
) -> None:
    post_orders(poster)
    task = poster.node(AIRFLOW_NS, TASK)
    r = client.patch(
        f"/api/v1/nodes/{task['id']}",
        json={"owner": "alice", "description": "Ask Alice first"},
        headers=admin.headers,
    )
    assert r.status_code == 200
    later = orders_task("COMPLETE", run=run_id(), dag_run=run_id(), minutes=60)
    later["job"]["facets"]["ownership"]["owners"] = [{"name": "team:other"}]
    poster.post(later)
    task = poster.node(AIRFLOW_NS, TASK)
    assert (task["owner"], task["description"]) == ("alice", "Ask Alice first")


def test_a_newer_event_updates_what_events_wrote(poster: Poster) -> None:
    post_orders(poster)
    later = orders_task("COMPLETE", run=run_id(), dag_run=run_id(), minutes=60)
    later["job"]["facets"]["documentation"]["description"] = "Daily totals, per region"
    poster.post(later)
    earlier = orders_task("COMPLETE", run=run_id(), dag_run=run_id(), minutes=-60)
    earlier["job"]["facets"]["documentation"]["description"] = "Old text"
    poster.post(earlier)
    assert poster.node(AIRFLOW_NS, TASK)["description"] == "Daily totals, per region"


def test_a_persons_parent_is_kept(client: TestClient, admin: Caller, poster: Poster) -> None:
    folder = create(client, admin, {"kind": "job", "namespace": "teams", "name": "orders"})
    post_orders(poster)
    task = poster.node(AIRFLOW_NS, TASK)
    client.patch(
        f"/api/v1/nodes/{task['id']}", json={"parent_id": folder["id"]}, headers=admin.headers
    )
    post_orders(poster, minutes=30)
    assert poster.node(AIRFLOW_NS, TASK)["parent_id"] == folder["id"]


def test_a_manual_edge_is_left_as_it_is(client: TestClient, admin: Caller, poster: Poster) -> None:
    orders = create(
        client, admin, {"kind": "dataset", "namespace": PG_NS, "name": "shop.public.orders"}
    )
    task = create(client, admin, {"kind": "job", "namespace": AIRFLOW_NS, "name": TASK})
    r = client.post(
        "/api/v1/edges",
        json={"source_id": orders["id"], "target_id": task["id"], "description": "by hand"},
        headers=admin.headers,
    )
    edge = r.json()
    post_orders(poster)
    after = poster.get(f"/api/v1/edges/{edge['id']}")
    assert (after["origin"], after["description"]) == ("manual", "by hand")


def counts(db: Session) -> tuple[int, ...]:
    found = tuple(
        db.scalar(select(func.count()).select_from(model)) or 0
        for model in (Node, Edge, Run, AuditRecord, LineageChange)
    )
    db.rollback()  # end the read: on SQLite it holds the write lock the server needs
    return found


def test_the_same_event_twice_changes_nothing(poster: Poster, db: Session) -> None:
    event = post_orders(poster)
    before = counts(db)
    nodes = poster.get("/api/v1/nodes", limit=100)["items"]
    poster.post(event)
    assert counts(db) == before
    assert poster.get("/api/v1/nodes", limit=100)["items"] == nodes


def test_column_lineage_is_kept_on_the_job_to_output_edge(poster: Poster) -> None:
    post_orders(poster)
    task = poster.node(AIRFLOW_NS, TASK)
    daily = poster.node(PG_NS, "shop.analytics.daily_orders")
    [edge] = poster.get("/api/v1/edges", source_id=task["id"], target_id=daily["id"])["items"]
    columns = poster.get(f"/api/v1/edges/{edge['id']}/columns")
    total = columns["fields"]["total"]["inputFields"]
    assert [(f["name"], f["field"]) for f in total] == [("shop.public.orders", "amount")]


def test_the_lineage_answer_carries_column_lineage_when_asked(poster: Poster) -> None:
    post_orders(poster)
    orders = poster.node(PG_NS, "shop.public.orders")
    task = poster.node(AIRFLOW_NS, TASK)
    daily = poster.node(PG_NS, "shop.analytics.daily_orders")
    url = f"/api/v1/nodes/{orders['id']}/lineage"
    edges = {(e["source_id"], e["target_id"]): e for e in poster.get(url, columns="true")["edges"]}
    total = edges[(task["id"], daily["id"])]["columns"]["fields"]["total"]["inputFields"]
    assert [(f["name"], f["field"]) for f in total] == [("shop.public.orders", "amount")]
    assert "columns" not in edges[(orders["id"], task["id"])]  # no event described it
    plain = poster.get(url)["edges"]
    assert plain
    assert all("columns" not in e for e in plain)


def test_an_edge_without_column_lineage_answers_empty(poster: Poster) -> None:
    post_orders(poster)
    orders = poster.node(PG_NS, "shop.public.orders")
    [edge] = poster.get("/api/v1/edges", source_id=orders["id"])["items"]
    assert poster.get(f"/api/v1/edges/{edge['id']}/columns")["fields"] == {}


def test_a_dataset_event_describes_a_dataset(poster: Poster) -> None:
    table = pg_table("shop.public.refunds", "id", "amount")
    table["facets"]["ownership"] = facet("OwnershipDatasetFacet", owners=[{"name": "team:pay"}])
    poster.post({"eventTime": at(0), "producer": "x", "schemaURL": "y", "dataset": table})
    node = poster.node(PG_NS, "shop.public.refunds")
    assert (node["kind"], node["owner"]) == ("dataset", "team:pay")


def test_a_job_event_draws_edges_without_a_run(poster: Poster, db: Session) -> None:
    event = orders_task("COMPLETE", run=run_id(), dag_run=run_id())
    del event["run"], event["eventType"]
    poster.post(event)
    orders = poster.node(PG_NS, "shop.public.orders")
    assert TASK in names(poster.get(f"/api/v1/nodes/{orders['id']}/lineage"))
    assert db.scalar(select(func.count()).select_from(Run)) == 0


def test_creations_are_audited_as_the_sender(poster: Poster) -> None:
    post_orders(poster)
    records = poster.get("/api/v1/audit", actor="token:airflow-prod", limit=100)["items"]
    actions = {r["action"] for r in records}
    assert {"node.create", "edge.create", "node.status"} <= actions
