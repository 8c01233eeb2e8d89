from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.nodes.factories import create, dataset, postgres_node


def job(name: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "job", "namespace": "prod_airflow", "name": name, **extra}


class Platform:
    """shop (postgres) contains raw; raw -> stage -> stg -> build -> mart; mart -> report.
    A cycle: report -> fix -> stg.  An unrelated island: other."""

    def __init__(self, client: TestClient, admin: Caller) -> None:
        self.client, self.admin = client, admin
        self.shop = create(client, admin, postgres_node())["id"]
        self.raw = create(
            client, admin, dataset("raw.orders", parent_id=self.shop, owner="ingest")
        )["id"]
        self.stage = create(client, admin, job("stage", owner="etl"))["id"]
        self.stg = create(client, admin, dataset("stg.orders", owner="etl"))["id"]
        self.build = create(client, admin, job("build", owner="analytics"))["id"]
        self.mart = create(client, admin, dataset("mart.revenue", owner="analytics"))["id"]
        self.report = create(client, admin, dataset("report", namespace="bi"))["id"]
        self.fix = create(client, admin, job("fix"))["id"]
        self.other = create(client, admin, dataset("other", namespace="x"))["id"]
        for s, t in [
            (self.raw, self.stage),
            (self.stage, self.stg),
            (self.stg, self.build),
            (self.build, self.mart),
            (self.mart, self.report),
            (self.report, self.fix),
            (self.fix, self.stg),
        ]:
            self.edge(s, t)

    def edge(self, s: str, t: str) -> str:
        r = self.client.post(
            "/api/v1/edges", json={"source_id": s, "target_id": t}, headers=self.admin.headers
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def get(self, path: str) -> Any:
        r = self.client.get(path, headers=self.admin.headers)
        assert r.status_code == 200, r.text
        return r.json() if r.headers["content-type"].startswith("application/json") else r.text


@pytest.fixture
def p(client: TestClient, admin: Caller) -> Platform:
    return Platform(client, admin)


def distances(graph: dict[str, Any]) -> dict[str, int]:
    return {n["name"]: n["distance"] for n in graph["nodes"]}


def test_downstream_lineage_has_distances_and_edges(p: Platform) -> None:
    g = p.get(f"/api/v1/nodes/{p.stg}/lineage")
    assert distances(g) == {"stg.orders": 0, "build": 1, "mart.revenue": 2, "report": 3, "fix": 4}
    assert len(g["edges"]) == 5  # including the cycle edge fix -> stg
    assert g["truncated"] is False


def test_depth_limits_the_walk(p: Platform) -> None:
    g = p.get(f"/api/v1/nodes/{p.stg}/lineage?depth=2")
    assert set(distances(g)) == {"stg.orders", "build", "mart.revenue"}


def test_limit_truncates_and_says_so(p: Platform) -> None:
    g = p.get(f"/api/v1/nodes/{p.stg}/lineage?limit=2")
    assert len(g["nodes"]) == 2
    assert g["truncated"] is True


def test_upstream_lists_containers_apart_from_flow(p: Platform) -> None:
    g = p.get(f"/api/v1/nodes/{p.stage}/lineage?direction=upstream")
    assert distances(g) == {"stage": 0, "raw.orders": 1}
    assert [c["name"] for c in g["parents"]] == ["shop"]
    assert "distance" not in g["parents"][0]
    relations = {(e["source_id"], e["target_id"]): e["relation"] for e in g["edges"]}
    assert relations == {(p.raw, p.stage): "flow"}  # no edge into a container apart
    raw = next(n for n in g["nodes"] if n["name"] == "raw.orders")
    assert raw["parent_id"] == g["parents"][0]["id"] == p.shop


def test_downstream_lineage_draws_containment_as_its_own_edges(p: Platform) -> None:
    g = p.get(f"/api/v1/nodes/{p.shop}/lineage?depth=2")
    assert distances(g) == {"shop": 0, "raw.orders": 1, "stage": 2}
    relations = {(e["source_id"], e["target_id"]): e["relation"] for e in g["edges"]}
    assert relations == {(p.shop, p.raw): "contains", (p.raw, p.stage): "flow"}
    assert g["parents"] == []


def test_both_directions_union(p: Platform) -> None:
    g = p.get(f"/api/v1/nodes/{p.build}/lineage?direction=both")
    d = distances(g)
    assert d["mart.revenue"] == 1
    assert d["stg.orders"] == 1
    assert "shop" not in d
    assert "shop" in {c["name"] for c in g["parents"]}


def test_system_failure_reaches_its_tables_downstream(p: Platform) -> None:
    report = p.get(f"/api/v1/nodes/{p.shop}/impact")
    names = {n["name"] for n in report["affected"]}
    assert {"raw.orders", "stage", "stg.orders", "mart.revenue", "report"} <= names
    assert report["affected_count"] == len(report["affected"]) == 7


def test_impact_counts_owners_and_errors(p: Platform, db: Session) -> None:
    db.execute(
        update(Node)
        .where(Node.name == "mart.revenue")
        .values(status="error", status_message="stale")
    )
    db.commit()
    report = p.get(f"/api/v1/nodes/{p.stg}/impact")
    assert report["affected_count"] == 4
    assert {c["kind"]: c["count"] for c in report["by_kind"]} == {"dataset": 2, "job": 2}
    assert {c["distance"]: c["count"] for c in report["by_distance"]} == {1: 1, 2: 1, 3: 1, 4: 1}
    owners = {o["owner"]: [n["name"] for n in o["nodes"]] for o in report["owners"]}
    assert owners == {"analytics": ["build", "mart.revenue"], None: ["report", "fix"]}
    assert [n["name"] for n in report["in_error"]] == ["mart.revenue"]
    assert report["in_error"][0]["status_message"] == "stale"
    assert report["likely_root_causes"] == []


def set_status(db: Session, names: list[str], status: str = "error") -> None:
    db.execute(update(Node).where(Node.name.in_(names)).values(status=status))
    db.commit()


def names(nodes: list[dict[str, Any]]) -> list[str]:
    return [n["name"] for n in nodes]


def test_the_failing_producer_furthest_upstream_is_the_root_cause(p: Platform, db: Session) -> None:
    # stage fails, so build (downstream of it) fails too: stage explains build.
    set_status(db, ["stage", "build"])
    report = p.get(f"/api/v1/nodes/{p.mart}/impact?direction=upstream")
    assert set(names(report["in_error"])) == {"stage", "build"}
    assert names(report["likely_root_causes"]) == ["stage"]


def test_independent_failures_upstream_are_each_a_cause(p: Platform, db: Session) -> None:
    p.edge(p.other, p.build)
    set_status(db, ["stage", "other"])
    report = p.get(f"/api/v1/nodes/{p.mart}/impact?direction=upstream")
    assert names(report["likely_root_causes"]) == ["stage", "other"]  # furthest first


def test_a_failing_root_with_a_healthy_upstream_is_its_own_cause(p: Platform, db: Session) -> None:
    set_status(db, ["build"])
    report = p.get(f"/api/v1/nodes/{p.build}/impact?direction=upstream")
    assert report["in_error"] == []
    assert names(report["likely_root_causes"]) == ["build"]


def test_a_failing_system_explains_what_reads_from_it(p: Platform, db: Session) -> None:
    # shop holds raw.orders, which stage reads: shop being down explains stage failing.
    set_status(db, ["stage", "shop"])
    report = p.get(f"/api/v1/nodes/{p.mart}/impact?direction=upstream")
    assert "shop" not in names(report["affected"])
    assert names(report["in_error"]) == ["stage"]
    assert [(c["name"], c["status"]) for c in report["parents"]] == [("shop", "error")]
    assert names(report["likely_root_causes"]) == ["shop"]


def test_a_cycle_of_failures_names_the_furthest_failing_nodes(p: Platform, db: Session) -> None:
    # report -> fix -> stg -> build -> mart -> report: all of it failing explains itself.
    set_status(db, ["fix", "stg.orders", "build", "mart.revenue", "report"])
    report = p.get(f"/api/v1/nodes/{p.report}/impact?direction=upstream")
    assert names(report["likely_root_causes"]) == ["fix"]  # 4 hops up, the others 1-3


class Dag:
    """An Airflow DAG (a job) containing two tasks: extract -> orders -> load."""

    def __init__(self, p: Platform) -> None:
        self.dag = create(p.client, p.admin, job("etl"))["id"]
        self.extract = create(p.client, p.admin, job("etl.extract", parent_id=self.dag))["id"]
        self.load = create(p.client, p.admin, job("etl.load", parent_id=self.dag))["id"]
        self.orders = create(p.client, p.admin, dataset("staging.orders"))["id"]
        p.edge(p.mart, self.extract)
        p.edge(self.extract, self.orders)
        p.edge(self.orders, self.load)


def test_a_task_failure_is_not_blamed_on_its_dag(p: Platform, db: Session) -> None:
    dag = Dag(p)
    set_status(db, ["etl", "etl.load"])  # the DAG run failed because its task did
    report = p.get(f"/api/v1/nodes/{dag.load}/impact?direction=upstream")
    assert "etl" not in names(report["affected"])
    assert names(report["likely_root_causes"]) == ["etl.load"]
    assert "etl" in [c["name"] for c in report["parents"]]
    lineage = p.get(f"/api/v1/nodes/{dag.load}/lineage?direction=upstream&depth=1")
    assert distances(lineage) == {"etl.load": 0, "staging.orders": 1}
    assert [c["name"] for c in lineage["parents"]] == ["etl"]


def test_upstream_of_a_dag_goes_into_its_tasks(p: Platform, db: Session) -> None:
    dag = Dag(p)
    set_status(db, ["etl", "etl.extract", "etl.load"])
    report = p.get(f"/api/v1/nodes/{dag.dag}/impact?direction=upstream")
    found = {n["name"]: n["distance"] for n in report["affected"]}
    assert found["etl.extract"] == 1
    assert found["etl.load"] == 1
    assert found["staging.orders"] == 2
    assert found["mart.revenue"] == 2
    # extract fails first; load, downstream of it, and the DAG holding both are explained.
    assert names(report["likely_root_causes"]) == ["etl.extract"]


def test_impact_as_csv(p: Platform) -> None:
    text = p.get(f"/api/v1/nodes/{p.mart}/impact?format=csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["name"], r["distance"]) for r in rows] == [
        ("report", "1"),
        ("fix", "2"),
        ("stg.orders", "3"),
        ("build", "4"),
    ]


def test_a_new_edge_is_visible_to_the_next_query(p: Platform) -> None:
    assert "other" not in distances(p.get(f"/api/v1/nodes/{p.mart}/lineage"))
    edge = p.edge(p.mart, p.other)
    assert distances(p.get(f"/api/v1/nodes/{p.mart}/lineage"))["other"] == 1
    p.client.delete(f"/api/v1/edges/{edge}", headers=p.admin.headers)
    assert "other" not in distances(p.get(f"/api/v1/nodes/{p.mart}/lineage"))


def test_a_deleted_node_disappears_from_lineage(p: Platform) -> None:
    p.client.delete(f"/api/v1/nodes/{p.report}", headers=p.admin.headers)
    assert set(distances(p.get(f"/api/v1/nodes/{p.stg}/lineage"))) == {
        "stg.orders",
        "build",
        "mart.revenue",
    }


def test_reparenting_changes_what_a_system_affects(p: Platform) -> None:
    p.client.patch(f"/api/v1/nodes/{p.raw}", json={"parent_id": None}, headers=p.admin.headers)
    assert p.get(f"/api/v1/nodes/{p.shop}/impact")["affected_count"] == 0


def test_shortest_path_follows_flow(p: Platform) -> None:
    path = p.get(f"/api/v1/lineage/path?from={p.shop}&to={p.mart}")
    assert [n["name"] for n in path["nodes"]] == [
        "shop",
        "raw.orders",
        "stage",
        "stg.orders",
        "build",
        "mart.revenue",
    ]
    assert path["length"] == 5
    assert path["edges"][0]["relation"] == "contains"
    assert {e["relation"] for e in path["edges"][1:]} == {"flow"}


def test_no_path_is_404(p: Platform) -> None:
    r = p.client.get(f"/api/v1/lineage/path?from={p.mart}&to={p.other}", headers=p.admin.headers)
    assert r.status_code == 404


def test_unknown_root_is_404_and_bad_params_422(p: Platform) -> None:
    h = p.admin.headers
    missing = "00000000-0000-4000-8000-000000000009"
    assert p.client.get(f"/api/v1/nodes/{missing}/lineage", headers=h).status_code == 404
    assert p.client.get(f"/api/v1/nodes/{missing}/impact", headers=h).status_code == 404
    for q in ("direction=sideways", "depth=-1", "limit=0"):
        assert p.client.get(f"/api/v1/nodes/{p.stg}/lineage?{q}", headers=h).status_code == 422
    assert (
        p.client.get(f"/api/v1/nodes/{p.stg}/impact?direction=both", headers=h).status_code == 422
    )


def test_viewer_can_read_lineage(p: Platform, viewer: Caller) -> None:
    r = p.client.get(f"/api/v1/nodes/{p.stg}/impact", headers=viewer.headers)
    assert r.status_code == 200


def test_changed_facts_show_in_the_next_answer_whoever_wrote_them(p: Platform, db: Session) -> None:
    # The first answer loads the nodes' facts into memory; later changes must replace them,
    # through the API and through a plain SQL update (the database trigger logs both).
    before = {n["name"]: n for n in p.get(f"/api/v1/nodes/{p.stg}/lineage")["nodes"]}
    assert before["build"]["owner"] == "analytics"
    assert before["mart.revenue"]["status"] != "error"
    r = p.client.patch(
        f"/api/v1/nodes/{p.build}",
        json={"name": "build_v2", "owner": "platform"},
        headers=p.admin.headers,
    )
    assert r.status_code == 200, r.text
    db.execute(
        update(Node).where(Node.name == "mart.revenue").values(status="error", status_message="x")
    )
    db.commit()
    after = {n["name"]: n for n in p.get(f"/api/v1/nodes/{p.stg}/lineage")["nodes"]}
    assert "build" not in after
    assert after["build_v2"]["owner"] == "platform"
    assert (after["mart.revenue"]["status"], after["mart.revenue"]["status_message"]) == (
        "error",
        "x",
    )
    report = p.get(f"/api/v1/nodes/{p.report}/impact?direction=upstream")
    assert [n["name"] for n in report["likely_root_causes"]] == ["mart.revenue"]


def test_parent_ids_follow_reparenting(p: Platform) -> None:
    def parent_of_raw() -> str | None:
        nodes = p.get(f"/api/v1/nodes/{p.raw}/lineage")["nodes"]
        parent: str | None = next(n["parent_id"] for n in nodes if n["name"] == "raw.orders")
        return parent

    assert parent_of_raw() == p.shop
    p.client.patch(f"/api/v1/nodes/{p.raw}", json={"parent_id": None}, headers=p.admin.headers)
    assert parent_of_raw() is None


def test_a_failing_node_with_no_container_upstream_is_its_own_cause(
    p: Platform, db: Session
) -> None:
    # No container outside the answer: the mask of failing containers was an empty float
    # array, and the upstream report a 500.
    set_status(db, ["other"])
    report = p.get(f"/api/v1/nodes/{p.other}/impact?direction=upstream")
    assert names(report["likely_root_causes"]) == ["other"]
