"""``GET /metrics``: HTTP traffic by route template, domain counters, index and pool gauges,
and the off/open/token guard."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from dlv.config import Settings
from dlv.ops import metrics, multiproc
from tests.conftest import Caller
from tests.nodes.factories import create, dataset
from tests.ops.conftest import ops_app, ops_settings
from tests.servers import free_port

METRICS_TOKEN = "metrics-token-0123456789abcdef"


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(
    scrape: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


def test_counters_move_with_traffic(client: TestClient, admin: Caller) -> None:
    before = samples(client)
    for _ in range(3):
        assert client.get("/api/v1/nodes", headers=admin.headers).status_code == 200
    missing = f"/api/v1/nodes/{uuid.uuid4()}"
    assert client.get(missing, headers=admin.headers).status_code == 404
    create(client, admin, dataset("orders"))
    after = samples(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    listed = {"method": "GET", "route": "/api/v1/nodes", "status": "200"}
    assert delta("dlv_http_requests_total", **listed) == 3
    assert delta("dlv_http_request_duration_seconds_count", **listed) == 3
    assert delta("dlv_http_request_duration_seconds_sum", **listed) > 0
    one = {"method": "GET", "route": "/api/v1/nodes/{node_id}", "status": "404"}
    assert delta("dlv_http_requests_total", **one) == 1
    created = {"method": "POST", "route": "/api/v1/nodes", "status": "201"}
    assert delta("dlv_http_requests_total", **created) == 1


def test_routes_are_labelled_by_template_never_by_url(client: TestClient, admin: Caller) -> None:
    ids = [str(uuid.uuid4()) for _ in range(2)]
    for node_id in ids:
        client.get(f"/api/v1/nodes/{node_id}", headers=admin.headers)
    client.get(f"/api/no/such/page/{ids[0]}")  # outside /api, an unknown path is a UI page
    scrape = samples(client)
    labels = {v for (_, pairs) in scrape for _, v in pairs}
    assert not any(node_id in label for label in labels for node_id in ids)
    unmatched = {"method": "GET", "route": metrics.UNMATCHED, "status": "404"}
    assert value(scrape, "dlv_http_requests_total", **unmatched) >= 1


def test_an_unhandled_error_counts_as_a_500(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        before = samples(client)
        assert client.get("/boom").status_code == 500
        after = samples(client)
    labels = {"method": "GET", "route": "/boom", "status": "500"}
    assert (
        value(after, "dlv_http_requests_total", **labels)
        - value(before, "dlv_http_requests_total", **labels)
        == 1
    )


def test_domain_counters_are_exported(client: TestClient) -> None:
    before = samples(client)
    metrics.events_ingested.inc(2)
    metrics.events_rejected.inc()
    metrics.record_check("postgres", "error", seconds=0.2)
    after = samples(client)
    assert value(after, "dlv_ingest_events_total") - value(before, "dlv_ingest_events_total") == 2
    assert (
        value(after, "dlv_ingest_events_rejected_total")
        - value(before, "dlv_ingest_events_rejected_total")
        == 1
    )
    checks = {"kind": "postgres", "status": "error"}
    assert (
        value(after, "dlv_check_results_total", **checks)
        - value(before, "dlv_check_results_total", **checks)
        == 1
    )
    assert (
        value(after, "dlv_check_duration_seconds_count", kind="postgres")
        - value(before, "dlv_check_duration_seconds_count", kind="postgres")
        == 1
    )


def test_a_connection_test_is_counted(client: TestClient, admin: Caller) -> None:
    # A postgres node whose port nothing listens on: a real, failing check.
    node = create(
        client,
        admin,
        {
            "kind": "postgres",
            "namespace": "postgres://127.0.0.1",
            "name": "down",
            "connection": {"host": "127.0.0.1", "port": free_port(), "database": "x", "user": "u"},
        },
    )
    before = samples(client)
    r = client.post(f"/api/v1/nodes/{node['id']}/test-connection", headers=admin.headers)
    assert r.json()["status"] == "error"
    after = samples(client)
    checks = {"kind": "postgres", "status": "error"}
    assert (
        value(after, "dlv_check_results_total", **checks)
        - value(before, "dlv_check_results_total", **checks)
        == 1
    )


def test_lineage_index_gauges_follow_the_graph(client: TestClient, admin: Caller) -> None:
    a = create(client, admin, dataset("a"))["id"]
    b = create(client, admin, dataset("b"))["id"]
    edge = {"source_id": a, "target_id": b}
    assert client.post("/api/v1/edges", json=edge, headers=admin.headers).status_code == 201
    # The index catches up with the change log on its next query.
    assert client.get(f"/api/v1/nodes/{a}/lineage", headers=admin.headers).status_code == 200
    scrape = samples(client)
    assert value(scrape, "dlv_lineage_index_edges") == 1
    assert value(scrape, "dlv_lineage_index_nodes") >= 3  # node keys 1 and 2, plus slot 0
    assert value(scrape, "dlv_lineage_index_bytes") > 0
    assert ("dlv_lineage_index_build_seconds", frozenset()) in scrape
    assert value(scrape, "dlv_lineage_index_change_seq") >= 1


def test_database_pool_gauges_follow_the_pool(client: TestClient, app: FastAPI) -> None:
    engine = app.state.engine
    # Held here while /metrics is scraped. The background loops (stream poller, monitor, SLA
    # evaluator, pruners) may hold one more at any moment, so the count is a lower bound.
    with engine.connect(), engine.connect():
        scrape = samples(client)
    assert value(scrape, "dlv_db_pool_size") == engine.pool.size() >= 1
    assert value(scrape, "dlv_db_pool_checked_out") >= 2


def test_process_metrics_are_exported(client: TestClient) -> None:
    assert value(samples(client), "process_resident_memory_bytes") > 0


MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(database_url: str, tmp_path: Path) -> Iterator[MakeClient]:
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        client = TestClient(ops_app(ops_settings(database_url, tmp_path / "home", **overrides)))
        clients.append(client.__enter__())
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def test_metrics_are_off_by_default(make_client: MakeClient) -> None:
    answer = make_client().get("/metrics")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert "DLV_METRICS" in answer.json()["detail"]


def test_token_mode_refuses_a_missing_or_wrong_token(make_client: MakeClient) -> None:
    client = make_client(metrics="token", metrics_token=METRICS_TOKEN)
    assert client.get("/metrics").status_code == 401
    wrong = {"Authorization": f"Bearer {METRICS_TOKEN[:-1]}x"}
    assert client.get("/metrics", headers=wrong).status_code == 401
    basic = {"Authorization": f"Basic {METRICS_TOKEN}"}
    assert client.get("/metrics", headers=basic).status_code == 401


def test_token_mode_answers_with_the_token(make_client: MakeClient) -> None:
    client = make_client(metrics="token", metrics_token=METRICS_TOKEN)
    r = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 200
    assert "dlv_http_requests_total" in r.text


def test_token_mode_without_a_token_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="DLV_METRICS_TOKEN"):
        Settings(home=tmp_path, metrics="token", _env_file=None)


WORKER = """
import sys
from types import SimpleNamespace
from dlv.ops import metrics, multiproc
metrics.events_ingested.inc(int(sys.argv[1]))
metrics.http_requests.labels(method="GET", route="/healthz", status="200").inc(int(sys.argv[1]))
if sys.argv[2] == "scrape":
    sys.stdout.write(metrics.render(SimpleNamespace()).decode())
"""


def worker(directory: Path, count: int, then: str = "exit") -> str:
    """One short-lived process in multi-process mode: count, optionally scrape, exit."""
    env = {**os.environ, multiproc.MULTIPROC_ENV: str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(count), then],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_multiprocess_mode_sums_every_worker(tmp_path: Path) -> None:
    shared = tmp_path / "not-created-yet"  # the first worker creates it
    worker(shared, 2)
    worker(shared, 3)
    scrape = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(worker(shared, 5, "scrape"))
        for s in family.samples
    }
    assert value(scrape, "dlv_ingest_events_total") == 10
    healthz = {"method": "GET", "route": "/healthz", "status": "200"}
    assert value(scrape, "dlv_http_requests_total", **healthz) == 10


def test_preparing_the_multiprocess_dir_drops_the_last_runs_totals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker(tmp_path, 4)
    assert list(tmp_path.glob("*.db"))
    monkeypatch.setenv(multiproc.MULTIPROC_ENV, str(tmp_path))
    multiproc.prepare_multiprocess_dir()
    assert list(tmp_path.glob("*.db")) == []
