"""The Airflow collector against a local server answering as Airflow's REST API does (the
answers of a real Airflow 3.3.2: tests/collectors/fixtures/airflow3.json)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.audit.models import AuditRecord
from dlv.auth.models import TokenScope
from dlv.collectors import airflow
from dlv.health.network import NetworkPolicy
from tests.collectors.fake_systems import PASSWORD, USERNAME, FakeAirflow
from tests.collectors.jobs_helpers import (
    NOTHING,
    collect,
    collected,
    counts,
    job,
    jobs,
    system_node,
)
from tests.conftest import Caller, make_token
from tests.ingestion import airflow_fixtures

NAMESPACE = "airflow-prod"
RUN = "manual__2026-12-07T04:13:18.289169+00:00"
RUN_QUOTED = "manual__2026-12-07T04%3A13%3A18.289169%2B00%3A00"


@pytest.fixture
def fake() -> Iterator[FakeAirflow]:
    with FakeAirflow().serve() as server:
        assert isinstance(server, FakeAirflow)
        yield server


def node_for(
    client: TestClient, admin: Caller, fake: FakeAirflow, **connection: Any
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "base_url": fake.url,
        "api_version": fake.version,
        "auth": {"type": "basic", "username": USERNAME, "password": PASSWORD},
        "timeout": 2,
        **connection,
    }
    return system_node(client, admin, "airflow", NAMESPACE, config)


@pytest.fixture
def af_node(client: TestClient, admin: Caller, fake: FakeAirflow) -> dict[str, Any]:
    return node_for(client, admin, fake)


def test_dags_and_tasks_become_jobs_named_as_the_provider_names_them(
    client: TestClient, admin: Caller, af_node: dict[str, Any]
) -> None:
    result = collect(client, admin, af_node)
    assert result["status"] == "ok", result
    assert counts(result) == {**NOTHING, "created": 5}
    found = jobs(client, admin, NAMESPACE)
    assert sorted(found) == ["flaky", "flaky.extract", "flaky.load", "idle", "idle.noop"]
    assert found["flaky"]["parent_id"] == af_node["id"]
    assert found["idle"]["parent_id"] == af_node["id"]
    assert found["flaky.load"]["parent_id"] == found["flaky"]["id"]
    assert found["idle.noop"]["parent_id"] == found["idle"]["id"]
    assert collected(client, admin, found["flaky"])["object_kind"] == "dag"
    assert collected(client, admin, found["flaky.load"])["object_kind"] == "task"


def test_a_failed_task_is_an_error_with_its_run_time_and_log_link(
    client: TestClient, admin: Caller, fake: FakeAirflow, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    load = job(client, admin, NAMESPACE, "flaky.load")
    assert load["status"] == "error"
    assert load["status_message"] == (
        f"Task load failed in DAG run {RUN} at 2026-12-07T04:13:51+00:00 (try 1); log: "
        f"{fake.url}/dags/flaky/runs/{RUN_QUOTED}/tasks/load?try_number=1"
    )
    dag = job(client, admin, NAMESPACE, "flaky")
    assert dag["status"] == "error"
    assert dag["status_message"] == (
        f"DAG run {RUN} failed at 2026-12-07T04:13:52+00:00: load failed"
    )
    assert job(client, admin, NAMESPACE, "flaky.extract")["status"] == "ok"


def test_a_dag_never_run_stays_unknown_and_a_paused_one_is_tagged(
    client: TestClient, admin: Caller, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    idle = job(client, admin, NAMESPACE, "idle")
    assert idle["status"] == "unknown"
    assert "airflow:paused" in idle["tags"]
    assert "airflow:paused" not in job(client, admin, NAMESPACE, "flaky")["tags"]
    assert "paused" in collected(client, admin, idle)["comment"]


def test_unpausing_a_dag_removes_the_tag(
    client: TestClient, admin: Caller, fake: FakeAirflow, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    fake.model["dags"][1]["is_paused"] = False
    assert counts(collect(client, admin, af_node)) == {**NOTHING, "updated": 1}
    assert "airflow:paused" not in job(client, admin, NAMESPACE, "idle")["tags"]


def test_a_second_collection_writes_nothing(
    client: TestClient, admin: Caller, db: Session, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    audits = len(db.scalars(select(AuditRecord)).all())
    db.rollback()
    again = collect(client, admin, af_node)
    assert again["status"] == "ok"
    assert counts(again) == NOTHING
    assert again["discovered"] == 5
    assert len(db.scalars(select(AuditRecord)).all()) == audits


def test_a_status_change_is_audited_with_the_collector_origin(
    client: TestClient, admin: Caller, db: Session, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    load = job(client, admin, NAMESPACE, "flaky.load")
    records = db.scalars(
        select(AuditRecord).where(
            AuditRecord.action == "node.status", AuditRecord.target_id == load["id"]
        )
    ).all()
    assert len(records) == 1
    assert records[0].changes["origin"] == "collector"
    assert records[0].changes["status"] == {"from": "unknown", "to": "error"}


def test_a_task_that_succeeds_in_the_next_run_turns_ok(
    client: TestClient, admin: Caller, fake: FakeAirflow, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    fake.set_state("load", "success")
    fake.model["dag_runs"]["flaky"][0]["state"] = "success"
    assert counts(collect(client, admin, af_node)) == {**NOTHING, "updated": 2}
    assert job(client, admin, NAMESPACE, "flaky.load")["status"] == "ok"
    assert job(client, admin, NAMESPACE, "flaky")["status"] == "ok"


def test_a_run_in_progress_keeps_the_last_outcome(
    client: TestClient, admin: Caller, fake: FakeAirflow, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    fake.set_state("load", "running")
    fake.model["dag_runs"]["flaky"][0]["state"] = "running"
    collect(client, admin, af_node)
    assert job(client, admin, NAMESPACE, "flaky.load")["status"] == "error"
    assert job(client, admin, NAMESPACE, "flaky")["status"] == "error"


def test_a_status_someone_set_since_stays_until_airflow_says_something_new(
    client: TestClient, admin: Caller, fake: FakeAirflow, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    load = job(client, admin, NAMESPACE, "flaky.load")
    with_db_status(client, load["id"], "ok")
    collect(client, admin, af_node)
    assert job(client, admin, NAMESPACE, "flaky.load")["status"] == "ok"
    fake.set_state("load", "failed")
    fake.model["task_instances"]["flaky"][1]["try_number"] = 2
    collect(client, admin, af_node)
    assert job(client, admin, NAMESPACE, "flaky.load")["status"] == "error"


def with_db_status(client: TestClient, node_id: str, status: str) -> None:
    """Set a node's status the way an OpenLineage event or a check would (straight in the DB)."""
    from dlv.nodes.models import Node  # noqa: PLC0415

    factory = client.app.state.sessionmaker  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        node = session.scalars(select(Node).where(Node.id == uuid.UUID(node_id))).one()
        node.status = status


def test_a_dag_that_disappeared_is_marked_gone_and_pruned_on_request(
    client: TestClient, admin: Caller, fake: FakeAirflow, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    fake.remove_dag("idle")
    result = collect(client, admin, af_node)
    assert counts(result) == {**NOTHING, "gone": 2}
    idle = job(client, admin, NAMESPACE, "idle")
    assert collected(client, admin, idle)["gone_at"] is not None
    pruned = collect(client, admin, af_node, prune="true")
    assert pruned["pruned"] == 2
    assert sorted(jobs(client, admin, NAMESPACE)) == ["flaky", "flaky.extract", "flaky.load"]


def test_a_dag_that_comes_back_is_collected_again(
    client: TestClient, admin: Caller, fake: FakeAirflow, af_node: dict[str, Any]
) -> None:
    collect(client, admin, af_node)
    idle = fake.model["dags"][1]
    fake.remove_dag("idle")
    collect(client, admin, af_node)
    fake.model["dags"].append(idle)
    assert counts(collect(client, admin, af_node)) == {**NOTHING, "updated": 2}
    assert collected(client, admin, job(client, admin, NAMESPACE, "idle"))["gone_at"] is None


def test_dags_are_read_page_by_page(
    client: TestClient, admin: Caller, fake: FakeAirflow, af_node: dict[str, Any]
) -> None:
    fake.add_dags(230)
    result = collect(client, admin, af_node)
    assert result["status"] == "ok", result
    assert result["discovered"] == 5 + 230 * 2
    pages = [s for s in fake.seen if s.startswith("GET /api/v2/dags?")]
    assert pages == [f"GET /api/v2/dags?limit=100&offset={o}" for o in (0, 100, 200)]


def test_a_capped_listing_says_so_and_marks_nothing_gone(
    client: TestClient,
    admin: Caller,
    fake: FakeAirflow,
    af_node: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake.add_dags(10)
    collect(client, admin, af_node)
    monkeypatch.setattr(airflow, "MAX_DAGS", 4)
    result = collect(client, admin, af_node)
    assert result["status"] == "ok"
    assert result["message"].endswith("; only the first 4 of 12 DAGs were read")
    assert result["gone"] == 0


def test_task_instances_are_read_page_by_page(
    client: TestClient,
    admin: Caller,
    fake: FakeAirflow,
    af_node: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(airflow, "PAGE", 1)
    collect(client, admin, af_node)
    pages = [s for s in fake.seen if "/taskInstances" in s]
    assert [p.rsplit("?", 1)[1] for p in pages] == ["limit=1&offset=0", "limit=1&offset=1"]
    assert job(client, admin, NAMESPACE, "flaky.load")["status"] == "error"


def test_rejected_credentials_are_a_failed_collection_naming_no_secret(
    client: TestClient, admin: Caller, db: Session, fake: FakeAirflow
) -> None:
    node = node_for(
        client, admin, fake, auth={"type": "basic", "username": USERNAME, "password": "wrong-pw"}
    )
    result = collect(client, admin, node)
    assert result["status"] == "error"
    assert result["message"].startswith("Credentials rejected (HTTP 401 at /auth/token)")
    history = client.get(f"/api/v1/nodes/{node['id']}/collections", headers=admin.headers)
    stored = history.text + " ".join(str(a.changes) for a in db.scalars(select(AuditRecord)))
    assert "wrong-pw" not in stored + result["message"]
    assert jobs(client, admin, NAMESPACE) == {}


def test_a_stalled_airflow_times_out_per_request(
    client: TestClient, admin: Caller, fake: FakeAirflow
) -> None:
    node = node_for(client, admin, fake, timeout=1)
    fake.delay = 1.5
    result = collect(client, admin, node)
    assert result["status"] == "error"
    assert "Timed out" in result["message"]
    assert "1 s timeout" in result["message"]


def test_a_denied_destination_is_never_contacted(
    client: TestClient, admin: Caller, fake: FakeAirflow
) -> None:
    node = node_for(client, admin, fake, base_url=fake.url.replace("127.0.0.1", "localhost"))
    client.app.state.network_policy = NetworkPolicy.parse("", "default,localhost")  # type: ignore[attr-defined]
    result = collect(client, admin, node)
    assert result["status"] == "error"
    assert result["message"].startswith("Destination not allowed")
    assert fake.seen == []


@pytest.fixture
def airflow2() -> Iterator[FakeAirflow]:
    with FakeAirflow(version=2).serve() as server:
        assert isinstance(server, FakeAirflow)
        yield server


def test_airflow2_is_read_at_api_v1_with_basic_auth(
    client: TestClient, admin: Caller, airflow2: FakeAirflow
) -> None:
    node = node_for(client, admin, airflow2)
    result = collect(client, admin, node)
    assert result["status"] == "ok", result
    assert all(" /api/v1/" in s for s in airflow2.seen)
    load = job(client, admin, NAMESPACE, "flaky.load")
    assert load["status_message"].endswith(
        f"log: {airflow2.url}/dags/flaky/grid?dag_run_id={RUN_QUOTED}&task_id=load&tab=logs"
    )


def test_a_bearer_token_is_sent_and_never_shown(
    client: TestClient, admin: Caller, airflow2: FakeAirflow
) -> None:
    node = node_for(client, admin, airflow2, auth={"type": "bearer", "token": "tok-secret-123"})
    result = collect(client, admin, node)
    assert result["status"] == "error"
    assert "Credentials rejected (HTTP 401" in result["message"]
    assert "tok-secret-123" not in result["message"]


def shop_etl(model: dict[str, Any]) -> dict[str, Any]:
    """The recorded answers renamed to the DAG tests/ingestion's recording ran: shop_etl, whose
    build_report failed after load_orders and build_revenue succeeded."""
    states = {"load_orders": "success", "build_revenue": "success", "build_report": "failed"}
    dag = {**model["dags"][0], "dag_id": "shop_etl"}
    task, instance = model["tasks"]["flaky"][0], model["task_instances"]["flaky"][1]
    return {
        **model,
        "dags": [dag],
        "tasks": {"shop_etl": [{**task, "task_id": t} for t in states]},
        "dag_runs": {"shop_etl": [{**model["dag_runs"]["flaky"][0], "dag_id": "shop_etl"}]},
        "task_instances": {
            "shop_etl": [{**instance, "task_id": t, "state": s} for t, s in states.items()]
        },
    }


def test_collected_jobs_are_the_nodes_openlineage_events_reported(
    client: TestClient, admin: Caller, db: Session, fake: FakeAirflow
) -> None:
    recording = airflow_fixtures.load("shop_etl")
    ingest = make_token(db, "airflow-prod", TokenScope.ingest)
    for event in recording.events:
        assert client.post("/api/v1/lineage", json=event, headers=ingest).status_code == 201
    reported = jobs(client, admin, recording.namespace)
    assert sorted(reported) == [
        "shop_etl",
        "shop_etl.build_report",
        "shop_etl.build_revenue",
        "shop_etl.load_orders",
    ]
    fake.model = shop_etl(fake.model)
    config = {
        "base_url": fake.url,
        "api_version": 3,
        "auth": {"type": "basic", "username": USERNAME, "password": PASSWORD},
    }
    node = system_node(client, admin, "airflow", recording.namespace, config)
    result = collect(client, admin, node)
    assert counts(result) == {**NOTHING, "updated": 4}
    found = jobs(client, admin, recording.namespace)
    assert {n: j["id"] for n, j in found.items()} == {n: j["id"] for n, j in reported.items()}
    assert found["shop_etl"]["parent_id"] == node["id"]
    assert found["shop_etl.build_report"]["parent_id"] == found["shop_etl"]["id"]
    assert found["shop_etl.build_report"]["status"] == "error"


def test_a_system_node_named_like_a_dag_is_left_alone(
    client: TestClient, admin: Caller, fake: FakeAirflow
) -> None:
    config = {
        "base_url": fake.url,
        "api_version": 3,
        "auth": {"type": "basic", "username": USERNAME, "password": PASSWORD},
    }
    r = client.post(
        "/api/v1/nodes",
        json={
            "kind": "airflow",
            "namespace": NAMESPACE,
            "name": "flaky",
            "connection": {"kind": "airflow", **config},
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.text
    node = r.json()
    result = collect(client, admin, node)
    assert result["status"] == "ok", result
    again = client.get(f"/api/v1/nodes/{node['id']}", headers=admin.headers).json()
    assert (again["kind"], again["status"], again["parent_id"]) == ("airflow", "unknown", None)
    assert "flaky" not in jobs(client, admin, NAMESPACE)
