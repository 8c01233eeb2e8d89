"""Every owner an ownership facet names, and tags facets as node tags (issue 23, point 5)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.ingestion.conftest import Poster
from tests.ingestion.factories import AIRFLOW_NS, facet, orders_task, run_id

TASK = "etl_orders.build_daily"


def task_event(minutes: float = 0, **job_facets: Any) -> dict[str, Any]:
    event = orders_task("COMPLETE", run=run_id(), dag_run=run_id(), minutes=minutes)
    event["job"]["facets"].update(job_facets)
    return event


def owners(*names: str) -> dict[str, Any]:
    return facet("OwnershipJobFacet", owners=[{"name": n, "type": "MAINTAINER"} for n in names])


def tags(*pairs: tuple[str, str]) -> dict[str, Any]:
    return facet(
        "TagsJobFacet", tags=[{"key": k, "value": v, "source": "AIRFLOW"} for k, v in pairs]
    )


def test_every_owner_of_an_ownership_facet_is_kept(poster: Poster) -> None:
    poster.post(task_event(ownership=owners("alice", "bob", "alice")))
    task = poster.node(AIRFLOW_NS, TASK)
    assert task["owners"] == ["alice", "bob"]
    assert task["owner"] == "alice"


def test_the_owner_filter_matches_any_owner(poster: Poster) -> None:
    poster.post(task_event(ownership=owners("alice", "bob")))
    for who in ("alice", "bob"):
        found = poster.get("/api/v1/nodes", owner=who)["items"]
        assert [n["name"] for n in found] == [TASK], who
    assert poster.get("/api/v1/nodes", owner="carol")["items"] == []


def test_impact_lists_a_node_under_each_of_its_owners(poster: Poster) -> None:
    poster.post(task_event(ownership=owners("alice", "bob")))
    orders = poster.node("postgres://db.internal:5432", "shop.public.orders")
    report = poster.get(f"/api/v1/nodes/{orders['id']}/impact")
    by_owner = {o["owner"]: [n["name"] for n in o["nodes"]] for o in report["owners"]}
    assert by_owner["alice"] == by_owner["bob"] == [TASK]


def test_a_persons_owners_are_never_overwritten(
    client: TestClient, admin: Caller, poster: Poster
) -> None:
    poster.post(task_event(ownership=owners("alice", "bob")))
    task = poster.node(AIRFLOW_NS, TASK)
    r = client.patch(
        f"/api/v1/nodes/{task['id']}", json={"owners": ["carol"]}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    poster.post(task_event(minutes=60, ownership=owners("dave")))
    assert poster.node(AIRFLOW_NS, TASK)["owners"] == ["carol"]


def test_tags_facets_become_node_tags(poster: Poster) -> None:
    # Airflow sends DAG tags as key = value = the tag; a key with its own value keeps both.
    poster.post(task_event(tags=tags(("finance", "finance"), ("team", "data"), ("Bad Tag!", ""))))
    assert poster.node(AIRFLOW_NS, TASK)["tags"] == ["finance", "team:data"]


def test_a_newer_tags_facet_replaces_only_the_tags_events_set(
    client: TestClient, admin: Caller, poster: Poster
) -> None:
    poster.post(task_event(tags=tags(("finance", "finance"), ("daily", "daily"))))
    task = poster.node(AIRFLOW_NS, TASK)
    r = client.patch(
        f"/api/v1/nodes/{task['id']}",
        json={"tags": [*task["tags"], "pii"]},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    poster.post(task_event(minutes=60, tags=tags(("finance", "finance"), ("hourly", "hourly"))))
    poster.post(task_event(minutes=-60, tags=tags(("old", "old"))))  # older: changes nothing
    assert poster.node(AIRFLOW_NS, TASK)["tags"] == ["finance", "hourly", "pii"]
    facts = poster.get(f"/api/v1/nodes/{task['id']}/openlineage")
    assert facts["tags"] == ["finance", "hourly"]
