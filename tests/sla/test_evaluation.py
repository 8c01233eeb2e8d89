"""The evaluator: a breach makes a node late with the reason, a success (a COMPLETE event
posted to /api/v1/lineage) clears it; both reach the status history and the audit trail.
The clock is the test's: rounds run at the moments the test names."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from dlv.audit.models import AuditRecord
from dlv.auth.principal import SYSTEM
from dlv.events.models import Event
from dlv.health import service as health
from dlv.health.schemas import CheckResult, CheckStatus
from dlv.nodes.models import Node
from dlv.sla import service
from dlv.sla.loop import SlaEvaluator
from dlv.sla.schemas import SlaWrite
from tests.ingestion.conftest import Poster
from tests.ingestion.factories import PG_NS
from tests.sla.conftest import OUTPUT, Clock, after, job, run

FRESH_2H = {"freshness": {"max_age_seconds": 7200}}
SLA_KINDS = {"sla.late", "sla.met"}
Evaluators = Callable[..., SlaEvaluator]


def set_sla(
    factory: sessionmaker[Session], node_id: str, body: dict[str, Any], at: datetime
) -> None:
    with factory() as session:
        service.put(session, SYSTEM, uuid.UUID(node_id), SlaWrite.model_validate(body), at)
        session.commit()


def sla_of(factory: sessionmaker[Session], node_id: str, now: datetime) -> dict[str, Any]:
    with factory() as session:
        return service.get(session, uuid.UUID(node_id), now).model_dump(mode="json")


def actions(factory: sessionmaker[Session], node_id: str) -> list[str]:
    with factory() as session:
        stmt = select(AuditRecord.action).where(AuditRecord.target_id == node_id)
        return [a for a in session.scalars(stmt.order_by(AuditRecord.id)) if a.startswith("sla.")]


def history(poster: Poster, node_id: str) -> list[tuple[str, str, str]]:
    items = poster.get(f"/api/v1/nodes/{node_id}/checks")["items"]
    return [(c["status"], c["message"], c["actor"]) for c in reversed(items)]


def test_a_stale_job_turns_late_with_the_reason(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)  # succeeded at T0 + 1 min
    node_id = job(poster)["id"]
    set_sla(factory, node_id, FRESH_2H, after(2))
    clock.now = after(120)
    assert evaluator().tick() == 0
    clock.now = after(60 * 3 + 13)
    assert evaluator().tick() == 1
    found = job(poster)
    assert found["status"] == "late"
    assert found["status_message"] == "no successful run for 3 h 12 min, SLA 2 h"
    got = sla_of(factory, node_id, clock.now)
    assert got["state"] == "late"
    assert got["late_since"] is not None
    assert history(poster, node_id)[-1] == ("late", found["status_message"], "sla")
    assert actions(factory, node_id)[-1] == "sla.late"


def test_a_complete_run_clears_it(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    node_id = job(poster)["id"]
    set_sla(factory, node_id, FRESH_2H, after(2))
    clock.now = after(200)
    evaluator().tick()
    run(poster, 205)  # COMPLETE at T0 + 206 min
    assert job(poster)["status"] == "ok"
    clock.now = after(207)
    assert evaluator().tick() == 1
    assert sla_of(factory, node_id, clock.now)["state"] == "met"
    assert job(poster)["status"] == "ok"
    assert [h[0] for h in history(poster, node_id)] == ["late", "ok"]
    assert actions(factory, node_id)[-2:] == ["sla.late", "sla.met"]


def test_a_written_dataset_is_as_fresh_as_its_producers_last_success(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    dataset = poster.node(PG_NS, OUTPUT)
    set_sla(factory, dataset["id"], FRESH_2H, after(2))
    clock.now = after(150)
    evaluator().tick()
    assert poster.node(PG_NS, OUTPUT)["status"] == "late"
    run(poster, 151)
    clock.now = after(153)
    evaluator().tick()
    assert poster.node(PG_NS, OUTPUT)["status"] == "ok"
    assert sla_of(factory, dataset["id"], clock.now)["last_success_at"].startswith(
        "2026-11-26T10:32:00"
    )


def test_a_missed_deadline_turns_late_at_its_time(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)  # Thursday 2026-11-26, done 09:01 CET
    node_id = job(poster)["id"]
    friday_by_six = {"deadline": {"time": "06:00", "zone": "Europe/Berlin", "days": ["fri"]}}
    set_sla(factory, node_id, friday_by_six, after(2))
    friday_six = datetime.fromisoformat("2026-11-27T05:00:00+00:00")
    clock.now = friday_six.replace(second=0, minute=0, hour=4, microsecond=0)
    assert evaluator().tick() == 0
    clock.now = friday_six
    assert evaluator().tick() == 1
    assert job(poster)["status_message"] == "not done by 06:00 Europe/Berlin on Fri 2026-11-27"


def test_late_does_not_overwrite_an_error(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    run(poster, 10, "FAIL")
    node_id = job(poster)["id"]
    assert job(poster)["status"] == "error"
    set_sla(factory, node_id, FRESH_2H, after(12))
    clock.now = after(200)
    assert evaluator().tick() == 1
    assert job(poster)["status"] == "error"
    assert sla_of(factory, node_id, clock.now)["state"] == "late"
    run(poster, 201)  # success: ingestion makes it ok, the evaluator marks the SLA met
    clock.now = after(203)
    evaluator().tick()
    assert job(poster)["status"] == "ok"
    assert sla_of(factory, node_id, clock.now)["state"] == "met"


def test_late_nodes_are_found_by_the_status_filter_and_counted(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    node_id = job(poster)["id"]
    set_sla(factory, node_id, FRESH_2H, after(2))
    clock.now = after(200)
    evaluator().tick()
    assert [n["id"] for n in poster.get("/api/v1/nodes", status="late")["items"]] == [node_id]
    summary = poster.get("/api/v1/health/summary")
    assert summary["by_status"]["late"] == 1
    assert [k["late"] for k in summary["by_kind"] if k["kind"] == "job"] == [1]


def test_removing_the_sla_gives_the_status_back(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    node_id = job(poster)["id"]
    set_sla(factory, node_id, FRESH_2H, after(2))
    clock.now = after(200)
    evaluator().tick()
    r = poster.client.delete(f"/api/v1/nodes/{node_id}/sla", headers=poster.admin.headers)
    assert r.status_code == 204
    assert job(poster)["status"] == "ok"
    assert job(poster)["status_message"] is None


def test_an_at_risk_dataset_is_at_risk_again_once_met(
    poster: Poster,
    factory: sessionmaker[Session],
    clock: Clock,
    evaluator: Evaluators,
) -> None:
    run(poster, 0)
    run(poster, 10, "FAIL")
    dataset = poster.node(PG_NS, OUTPUT)
    assert dataset["status"] == "at_risk"
    set_sla(factory, dataset["id"], FRESH_2H, after(12))
    clock.now = after(200)
    evaluator().tick()
    assert poster.node(PG_NS, OUTPUT)["status"] == "late"
    with factory() as session:  # a collector reports that the table was loaded
        pk = session.scalars(select(Node.pk).where(Node.id == uuid.UUID(dataset["id"]))).one()
        service.record_success(session, [pk], after(199))
        session.commit()
    evaluator().tick()
    assert poster.node(PG_NS, OUTPUT)["status"] == "at_risk"
    assert poster.node(PG_NS, OUTPUT)["status_message"] == dataset["status_message"]


def test_a_passing_connection_check_does_not_clear_late(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    node_id = job(poster)["id"]
    set_sla(factory, node_id, FRESH_2H, after(2))
    clock.now = after(200)
    evaluator().tick()
    with factory() as session:
        node = session.scalars(select(Node).where(Node.id == uuid.UUID(node_id))).one()
        target = health.Target(node.pk, node.id, node.kind, None)  # type: ignore[arg-type]
        ok = CheckResult(
            status=CheckStatus.ok, latency_ms=3, message="ok", steps=[], checked_at=clock.now
        )
        assert health.record(session, SYSTEM, target, ok) is False
        session.commit()
    assert job(poster)["status"] == "late"


def test_a_success_replayed_from_before_the_breach_does_not_clear_it(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    node_id = job(poster)["id"]
    set_sla(factory, node_id, FRESH_2H, after(2))
    clock.now = after(200)
    evaluator().tick()
    with factory() as session:  # ingestion set it ok from a stale success: late again
        session.execute(update(Node).where(Node.id == uuid.UUID(node_id)).values(status="ok"))
        session.commit()
    assert evaluator().tick() == 1
    assert job(poster)["status"] == "late"


def test_another_process_does_not_evaluate_while_one_leads(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    set_sla(factory, job(poster)["id"], FRESH_2H, after(2))
    clock.now = after(10)
    assert evaluator("a").tick() == 0
    assert evaluator("b").tick() is None
    clock.now = after(11)
    evaluator("a").release()
    assert evaluator("b").tick() == 0


def test_impact_answers_list_late_nodes_downstream(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    job_id, dataset = job(poster)["id"], poster.node(PG_NS, OUTPUT)
    poster.get(f"/api/v1/nodes/{job_id}/impact")  # facts now held in memory
    set_sla(factory, dataset["id"], FRESH_2H, after(2))
    clock.now = after(200)
    evaluator().tick()
    impact = poster.get(f"/api/v1/nodes/{job_id}/impact")
    assert [n["id"] for n in impact["late"]] == [dataset["id"]]
    assert impact["late"][0]["status_message"].startswith("no successful run for")


def test_a_dashboard_counts_its_late_nodes(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    node_id = job(poster)["id"]
    layout = {"nodes": [{"node_id": node_id, "x": 0, "y": 0}]}
    r = poster.client.post(
        "/api/v1/dashboards",
        json={"name": "orders", "layout": layout},
        headers=poster.admin.headers,
    )
    assert r.status_code == 201, r.text
    set_sla(factory, node_id, FRESH_2H, after(2))
    clock.now = after(200)
    evaluator().tick()
    [listed] = poster.get("/api/v1/dashboards")["items"]
    assert (listed["nodes_in_error"], listed["nodes_late"]) == (0, 1)
    assert poster.get(f"/api/v1/dashboards/{listed['id']}")["nodes_late"] == 1


def test_each_transition_is_an_event_for_the_stream(
    poster: Poster, factory: sessionmaker[Session], clock: Clock, evaluator: Evaluators
) -> None:
    run(poster, 0)
    node_id = job(poster)["id"]
    set_sla(factory, node_id, FRESH_2H, after(2))
    clock.now = after(200)
    evaluator().tick()
    run(poster, 201)
    clock.now = after(203)
    evaluator().tick()
    with factory() as session:
        stmt = select(Event.kind, Event.payload).where(Event.node_id == uuid.UUID(node_id))
        rows = [(k, p) for k, p in session.execute(stmt.order_by(Event.id)) if k in SLA_KINDS]
    assert [k for k, _ in rows] == ["sla.late", "sla.met"]
    assert rows[0][1]["status"] == {"from": "ok", "to": "late"}
    assert rows[0][1]["name"] == "etl_orders.build_daily"
