"""Secrets in OpenLineage events: masked once, when an event is stored, so that the stored
text, the catalog mapped from it and every answer are safe; DLV_INGEST_STORE_RAW_SECRETS
keeps the text as sent, and the answers masked."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dlv.app import create_app
from dlv.db import make_engine
from dlv.ingestion import decoding
from dlv.ingestion.events import ParsedEvent
from dlv.ingestion.models import ColumnLineage, OpenLineageEvent, OpenLineageNode, Run
from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.ingestion.conftest import Poster, ingest_settings
from tests.ingestion.factories import (
    AIRFLOW_NS,
    PG_NS,
    facet,
    orders_task,
    run_id,
    spark_action,
)

SECRET = "hunter2"
JDBC = f"jdbc:postgresql://db:5432/shop?user=etl&password={SECRET}"
TASK = "etl_orders.build_daily"


def payloads(db: Session) -> list[str]:
    found = list(db.scalars(select(OpenLineageEvent.payload)))
    db.rollback()  # end the read: on SQLite it holds the write lock the server needs
    return found


def with_output(event: dict[str, Any], namespace: str, name: str) -> dict[str, Any]:
    event["outputs"].append({"namespace": namespace, "name": name})
    return event


def test_a_password_in_a_dataset_name_is_masked_in_the_node_name(poster: Poster) -> None:
    event = orders_task("COMPLETE", run=run_id(), dag_run=run_id())
    poster.post(with_output(event, "jdbc", JDBC))
    node = poster.node("jdbc", "jdbc:postgresql://db:5432/shop?user=etl&password=***")
    assert node["kind"] == "dataset"
    assert SECRET not in json.dumps(poster.get("/api/v1/nodes", limit=200))


def test_the_same_dataset_under_a_rotated_password_stays_one_node(poster: Poster) -> None:
    for password in (SECRET, "s3cond-pw"):
        event = orders_task("COMPLETE", run=run_id(), dag_run=run_id())
        poster.post(with_output(event, "jdbc", JDBC.replace(SECRET, password)))
    assert len(poster.get("/api/v1/nodes", namespace="jdbc")["items"]) == 1


def test_a_password_in_a_namespace_is_masked_not_refused(poster: Poster) -> None:
    event = orders_task("COMPLETE", run=run_id(), dag_run=run_id())
    poster.post(with_output(event, f"postgres://etl:{SECRET}@db:5432", "shop.public.refunds"))
    node = poster.node("postgres://etl:***@db:5432", "shop.public.refunds")
    assert node["name"] == "shop.public.refunds"


def test_the_sql_facet_is_masked_and_stays_readable(poster: Poster) -> None:
    query = (
        f"CREATE USER loader WITH PASSWORD '{SECRET}'; "
        f"COPY raw.orders FROM 's3://b/orders' CREDENTIALS 'aws_secret_access_key={SECRET}'; "
        f"SELECT * FROM read_csv('s3://b/x', aws_secret_access_key='{SECRET}')"
    )
    event = orders_task("COMPLETE", run=run_id(), dag_run=run_id())
    event["job"]["facets"]["sql"]["query"] = query
    poster.post(event)
    task = poster.node(AIRFLOW_NS, TASK)
    sql = poster.get(f"/api/v1/nodes/{task['id']}/openlineage")["sql"]
    assert sql == (
        "CREATE USER loader WITH PASSWORD '***'; "
        "COPY raw.orders FROM 's3://b/orders' CREDENTIALS '***'; "
        "SELECT * FROM read_csv('s3://b/x', aws_secret_access_key='***')"
    )


def test_column_lineage_transformation_descriptions_are_masked(poster: Poster) -> None:
    event = orders_task("COMPLETE", run=run_id(), dag_run=run_id())
    lineage = event["outputs"][0]["facets"]["columnLineage"]["fields"]
    lineage["total"]["transformationDescription"] = f"sum over postgres://etl:{SECRET}@db/shop"
    lineage["total"]["inputFields"][0]["transformations"][0]["description"] = (
        f"decrypt(amount, secret => '{SECRET}')"
    )
    poster.post(event)
    task = poster.node(AIRFLOW_NS, TASK)
    daily = poster.node(PG_NS, "shop.analytics.daily_orders")
    [edge] = poster.get("/api/v1/edges", source_id=task["id"], target_id=daily["id"])["items"]
    total = poster.get(f"/api/v1/edges/{edge['id']}/columns")["fields"]["total"]
    assert total["transformationDescription"] == "sum over postgres://etl:***@db/shop"
    assert SECRET not in json.dumps(total)


def test_events_are_stored_masked(poster: Poster, db: Session) -> None:
    event = spark_action(
        "FAIL", run=run_id(), app_run=run_id(), error=f"jdbc:oracle:thin:etl/{SECRET}@//db:1521/x"
    )
    properties = event["run"]["facets"]["spark_properties"]["properties"]
    properties["spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net"] = SECRET
    properties["spark.jdbc.url"] = JDBC
    poster.post(event)
    [stored] = payloads(db)
    assert SECRET not in stored
    stored_properties = json.loads(stored)["run"]["facets"]["spark_properties"]["properties"]
    assert stored_properties["spark.master"] == "yarn"  # the rest as sent


def test_batch_events_are_stored_masked(
    client: TestClient, ingest_headers: dict[str, str], db: Session
) -> None:
    events = [
        with_output(orders_task("START", run=run_id(), dag_run=run_id()), "jdbc", JDBC)
        for _ in range(2)
    ]
    r = client.post("/api/v1/lineage/batch", json=events, headers=ingest_headers)
    assert r.json()["accepted"] == 2, r.text
    assert [SECRET in p for p in payloads(db)] == [False, False]


def test_an_event_without_secrets_is_stored_as_sent(
    client: TestClient, ingest_headers: dict[str, str], db: Session
) -> None:
    body = json.dumps(orders_task("START", run=run_id(), dag_run=run_id()), indent=1)
    headers = {**ingest_headers, "content-type": "application/json"}
    assert client.post("/api/v1/lineage", content=body, headers=headers).status_code == 201
    assert payloads(db) == [body]


def test_tag_keys_and_values_come_back_as_sent(poster: Poster) -> None:
    # OpenLineage's tags facet (job, dataset and run): "key" holds a name, not a secret.
    tags = facet("TagsJobFacet", tags=[{"key": "team", "value": "sales", "source": "DAG"}])
    run = run_id()
    event = orders_task("START", run=run, dag_run=run_id())
    event["job"]["facets"]["tags"] = tags
    event["run"]["facets"]["tags"] = tags
    event["inputs"][0]["facets"]["tags"] = tags
    poster.post(event)
    [stored] = poster.get(f"/api/v1/runs/{run}")["events"]
    payload = stored["payload"]
    for owner in (payload["job"], payload["run"], payload["inputs"][0]):
        assert owner["facets"]["tags"]["tags"] == [
            {"key": "team", "value": "sales", "source": "DAG"}
        ]


def test_a_property_named_like_a_key_has_its_value_masked(poster: Poster) -> None:
    run = run_id()
    event = spark_action("START", run=run, app_run=run_id())
    props = [
        {"key": "spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net", "value": SECRET}
    ]
    event["run"]["facets"]["spark_properties"]["properties"] = props
    poster.post(event)
    [stored] = poster.get(f"/api/v1/runs/{run}")["events"]
    [prop] = stored["payload"]["run"]["facets"]["spark_properties"]["properties"]
    assert prop == {"key": props[0]["key"], "value": "***"}


@pytest.fixture
def raw_client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = ingest_settings(database_url, tmp_path / "home", ingest_store_raw_secrets=True)
    with TestClient(create_app(settings)) as client:
        yield client


def test_stored_raw_an_event_keeps_its_secrets_and_answers_stay_masked(
    raw_client: TestClient, ingest_headers: dict[str, str], admin: Caller, db: Session
) -> None:
    poster, run = Poster(raw_client, ingest_headers, admin), run_id()
    event = with_output(orders_task("FAIL", run=run, dag_run=run_id()), "jdbc", JDBC)
    event["run"]["facets"]["errorMessage"] = facet(
        "ErrorMessageRunFacet",
        message=f"login failed: postgres://etl:{SECRET}@db",
        programmingLanguage="PYTHON",
    )
    poster.post(event)
    assert [json.loads(p) for p in payloads(db)] == [event]  # as sent
    detail = poster.get(f"/api/v1/runs/{run}")
    assert SECRET not in json.dumps(detail)
    assert detail["error_message"] == "login failed: postgres://etl:***@db"
    assert poster.node("jdbc", "jdbc:postgresql://db:5432/shop?user=etl&password=***")
    assert SECRET not in json.dumps(poster.get("/api/v1/nodes", limit=200))


def test_an_event_stored_raw_is_masked_again_when_parsed_for_mapping() -> None:
    # The drain parses stored text again when the handoff does not hold the event.
    event = with_output(orders_task("START", run=run_id(), dag_run=run_id()), "jdbc", JDBC)
    sent = json.dumps(event)
    parsed = decoding.parse_event(sent, keep_raw=True)
    assert isinstance(parsed, ParsedEvent)
    assert parsed.payload == sent
    again = decoding.parse_event(parsed.payload)
    assert isinstance(again, ParsedEvent)
    assert SECRET not in json.dumps(again.event, default=str)
    assert SECRET not in again.payload


def test_events_stored_before_masking_are_masked_when_read(poster: Poster, db: Session) -> None:
    run = run_id()
    [event_id] = poster.post(spark_action("START", run=run, app_run=run_id()))
    row = db.get(OpenLineageEvent, event_id)
    assert row is not None
    row.payload = row.payload.replace('"yarn"', json.dumps(f"yarn://etl:{SECRET}@rm:8032"))
    db.commit()
    detail = poster.get(f"/api/v1/runs/{run}")
    properties = detail["events"][0]["payload"]["run"]["facets"]["spark_properties"]["properties"]
    assert properties["spark.master"] == "yarn://etl:***@rm:8032"


def run_migration(database_url: str, name: str) -> None:
    """Run one migration's upgrade again on a migrated database (it is idempotent)."""
    module = importlib.import_module(f"dlv.migrations.versions.{name}")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            module.upgrade()
    finally:
        engine.dispose()


def test_the_migration_masks_what_the_catalog_kept_from_events(
    poster: Poster, database_url: str, db: Session
) -> None:
    run = run_id()
    event = orders_task("FAIL", run=run, dag_run=run_id())
    event["run"]["facets"]["errorMessage"] = facet("ErrorMessageRunFacet", message="failed")
    poster.post(event)
    # What an older version mapped: an unmasked query, error messages, column lineage.
    leaked = f"jdbc:oracle:thin:u/{SECRET}@db:1521:x"
    db.execute(
        update(OpenLineageNode)
        .where(OpenLineageNode.sql.is_not(None))
        .values(sql=f"CREATE USER u PASSWORD '{SECRET}'")
    )
    db.execute(update(Run).values(error_message=leaked))
    db.execute(update(Node).where(Node.status_message.is_not(None)).values(status_message=leaked))
    transformation = {"type": "INDIRECT", "description": f"password={SECRET}"}
    dataset = [{"namespace": PG_NS, "name": "t", "field": "f", "transformations": [transformation]}]
    db.execute(update(ColumnLineage).values(dataset=dataset))
    db.commit()
    run_migration(database_url, "2026_12_06_0010_mask_openlineage_secrets")
    task = poster.node(AIRFLOW_NS, TASK)
    sql = poster.get(f"/api/v1/nodes/{task['id']}/openlineage")["sql"]
    assert sql == "CREATE USER u PASSWORD '***'"
    masked = "jdbc:oracle:thin:u/***@db:1521:x"
    assert (poster.get(f"/api/v1/runs/{run}")["error_message"], task["status_message"]) == (
        masked,
        masked,
    )
    [lineage] = db.scalars(select(ColumnLineage)).all()
    assert lineage.dataset[0]["transformations"][0]["description"] == "password=***"
    assert lineage.fields["total"]["inputFields"][0]["field"] == "amount"  # the rest kept
    db.rollback()
