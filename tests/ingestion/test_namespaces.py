"""Which producers are reporting: events per namespace, mapped, failed, the latest."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.auth.models import TokenScope
from dlv.db import utcnow
from dlv.ingestion.models import OpenLineageEvent
from dlv.ingestion.service import MAX_ATTEMPTS
from tests.conftest import Caller, make_token
from tests.ingestion.conftest import Poster, runtime
from tests.ingestion.factories import (
    AIRFLOW_NS,
    SPARK_NS,
    T0,
    airflow_task,
    orders_task,
    run_id,
    spark_action,
)

URL = "/api/v1/ingestion/namespaces"


def test_each_namespace_counts_its_events_latest_first(poster: Poster) -> None:
    poster.post(
        orders_task("START", run=(r := run_id()), dag_run=run_id(), minutes=1),
        orders_task("COMPLETE", run=r, dag_run=run_id(), minutes=5),
    )
    poster.post(spark_action("START", run=run_id(), app_run=run_id(), minutes=3))
    body = poster.get(URL)
    assert [n["namespace"] for n in body["namespaces"]] == [SPARK_NS, AIRFLOW_NS]
    airflow = body["namespaces"][1]
    counts = {k: airflow[k] for k in ("events", "mapped", "pending", "failed")}
    assert counts == {"events": 2, "mapped": 2, "pending": 0, "failed": 0}
    assert datetime.fromisoformat(airflow["last_event_time"]) == T0 + timedelta(minutes=5)
    assert airflow["oldest_pending_received_at"] is None
    assert body["truncated"] is False


def test_events_that_failed_to_map_are_counted_apart(
    poisoned: None, client: TestClient, poster: Poster
) -> None:
    poster.post(orders_task("COMPLETE", run=run_id(), dag_run=run_id()))
    poster.post(airflow_task("COMPLETE", task="poison", run=run_id(), dag_run=run_id()))
    for _ in range(MAX_ATTEMPTS + 1):
        runtime(client).drain_all(wait=True)
    (airflow,) = poster.get(URL)["namespaces"]
    assert (airflow["events"], airflow["mapped"], airflow["failed"]) == (2, 1, 1)


def test_unmapped_events_say_since_when_they_wait(client: TestClient, db: Session) -> None:
    # As another live process leaves an event it stored but did not map yet: this one's
    # drain takes it only after OTHERS_GRACE (at once if received before this one started).
    received = utcnow()
    db.add(
        OpenLineageEvent(
            received_at=received,
            event_time=T0,
            kind="run",
            event_type="START",
            run_id=uuid.uuid4(),
            namespace="airflow-staging",
            name="etl.load",
            payload="{}",
            sender_kind="token",
            sender_id=None,
            sender="token:airflow",
        )
    )
    db.commit()
    r = client.get(URL, headers=make_token(db, "reader", TokenScope.read))
    (staging,) = r.json()["namespaces"]
    assert (staging["events"], staging["pending"], staging["mapped"]) == (1, 1, 0)
    assert datetime.fromisoformat(staging["oldest_pending_received_at"]) == received


def test_since_leaves_out_older_events_and_limit_says_when_it_cut(poster: Poster) -> None:
    poster.post(orders_task("START", run=run_id(), dag_run=run_id()))
    poster.post(spark_action("START", run=run_id(), app_run=run_id()))
    later = (utcnow() + timedelta(hours=1)).isoformat()
    assert poster.get(URL, since=later)["namespaces"] == []
    cut = poster.get(URL, limit=1)
    assert ([n["namespace"] for n in cut["namespaces"]], cut["truncated"]) == ([SPARK_NS], True)


def test_a_viewer_may_read_it_and_a_stranger_may_not(client: TestClient, viewer: Caller) -> None:
    assert client.get(URL, headers=viewer.headers).status_code == 200
    assert client.get(URL).status_code == 401
