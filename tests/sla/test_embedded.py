"""The evaluator inside a running app (DLV_SLA=embedded): its lifespan runs rounds on its own,
and hands the lease back when the app stops."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dlv.app import create_app
from dlv.auth.models import Role, TokenScope
from dlv.config import Settings
from dlv.db import utcnow
from dlv.monitor.models import MonitorLease
from dlv.sla.models import NodeSla
from tests.conftest import SECRET_KEY, Caller, make_token, make_user
from tests.ingestion.conftest import Poster
from tests.sla.conftest import job, run

WAIT_SECONDS = 30  # an upper bound for a slow machine, not a measurement
HOUR = {"freshness": {"max_age_seconds": 3600}}


def test_a_running_server_turns_a_stale_node_late_by_itself(
    database_url: str, tmp_path: Path, db: Session
) -> None:
    settings = Settings(
        home=tmp_path / "home",
        database_url=database_url,
        secret_key=SECRET_KEY,
        sla="embedded",
        sla_interval_seconds=0.2,
        _env_file=None,
    )
    admin = make_user(db, "root", Role.admin)
    ingest = make_token(db, "airflow", TokenScope.ingest)
    with TestClient(create_app(settings)) as client:
        poster = Poster(client, ingest, admin)
        run(poster, 0)  # its last success is the factories' T0: long ago
        node_id = job(poster)["id"]
        r = client.put(f"/api/v1/nodes/{node_id}/sla", json=HOUR, headers=admin.headers)
        assert r.status_code == 200, r.text
        give_up = time.monotonic() + WAIT_SECONDS
        while job(poster)["status"] != "late" and time.monotonic() < give_up:
            time.sleep(0.1)
        assert job(poster)["status"] == "late"
        assert job(poster)["status_message"].startswith("no successful run for")
    lease = db.scalars(select(MonitorLease).where(MonitorLease.name == "sla")).one()
    assert lease.expires_at <= utcnow()  # released on the way out


def test_deleting_a_node_deletes_its_sla(client: TestClient, admin: Caller, db: Session) -> None:
    r = client.post(
        "/api/v1/nodes",
        json={"kind": "dataset", "namespace": "s3://lake", "name": "gone"},
        headers=admin.headers,
    )
    node_id = r.json()["id"]
    assert client.put(f"/api/v1/nodes/{node_id}/sla", json=HOUR, headers=admin.headers).is_success
    assert client.delete(f"/api/v1/nodes/{node_id}", headers=admin.headers).status_code == 204
    assert db.scalar(select(func.count()).select_from(NodeSla)) == 0
