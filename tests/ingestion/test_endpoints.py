"""The OpenLineage endpoints: what they accept, what they refuse (and that refusing stores
nothing), gzip, batches, authentication."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import lz4.frame
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dlv.auth.models import TokenScope
from dlv.ingestion.models import OpenLineageEvent, Run
from dlv.nodes.models import Node
from tests.conftest import Caller, make_token
from tests.ingestion.conftest import Poster
from tests.ingestion.factories import orders_task, run_id

URL = "/api/v1/lineage"


def event() -> dict[str, Any]:
    return orders_task("START", run=run_id(), dag_run=run_id())


def stored(db: Session) -> tuple[int, int, int]:
    found = (
        db.scalar(select(func.count()).select_from(OpenLineageEvent)) or 0,
        db.scalar(select(func.count()).select_from(Run)) or 0,
        db.scalar(select(func.count()).select_from(Node)) or 0,
    )
    db.rollback()  # end the read: on SQLite it holds the write lock the server needs
    return found


def test_an_event_is_stored_and_answered_201(poster: Poster, db: Session) -> None:
    body = event()
    [event_id] = poster.post(body)
    row = db.get(OpenLineageEvent, event_id)
    assert row is not None
    assert json.loads(row.payload) == body


def test_on_postgresql_event_text_is_stored_lz4_compressed(poster: Poster, db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite: compressed by the app, tested below")
    body = event()
    body["job"]["facets"]["documentation"]["description"] = "Daily order totals. " * 200
    [event_id] = poster.post(body)
    method = db.scalar(
        select(func.pg_column_compression(OpenLineageEvent.payload)).where(
            OpenLineageEvent.id == event_id
        )
    )
    assert method == "lz4"


def test_on_sqlite_event_text_is_stored_compressed_and_read_back_as_sent(
    poster: Poster, db: Session
) -> None:
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL compresses stored text itself")
    body = event()
    body["job"]["facets"]["documentation"]["description"] = "Daily order totals. " * 200
    [event_id] = poster.post(body)
    raw = "SELECT typeof(payload), length(payload), payload FROM openlineage_events WHERE id = :id"
    kind, size, stored = db.execute(text(raw), {"id": event_id}).one()
    assert kind == "blob"
    assert size < len(json.dumps(body)) / 4
    assert json.loads(lz4.frame.decompress(stored)) == body
    row = db.get(OpenLineageEvent, event_id)
    assert row is not None
    assert json.loads(row.payload) == body


@pytest.mark.parametrize("stored_as", ["text", "zlib"])
def test_event_text_stored_before_reads_back(poster: Poster, db: Session, stored_as: str) -> None:
    # Rows stored as text before SQLite compressed them (and every row on PostgreSQL), and
    # rows SQLite stored zlib-compressed before LZ4.
    if stored_as == "zlib" and db.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL compresses stored text itself")
    body = event()
    [event_id] = poster.post(body)
    sent = json.dumps(body)
    stored = sent if stored_as == "text" else zlib.compress(sent.encode(), 1)
    plain = "UPDATE openlineage_events SET payload = :stored WHERE id = :id"
    db.execute(text(plain), {"stored": stored, "id": event_id})
    db.commit()
    db.expire_all()
    row = db.get(OpenLineageEvent, event_id)
    assert row is not None
    assert json.loads(row.payload) == body


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e["run"].pop("runId"), "body.run.runId"),
        (lambda e: e.pop("eventTime"), "body.eventTime"),
        (lambda e: e.pop("job"), "body.job"),
        (lambda e: e.update(eventType="FINISHED"), "body.eventType"),
        (lambda e: e["run"].update(runId="not-a-uuid"), "body.run.runId"),
        (lambda e: e.update(eventTime="yesterday"), "body.eventTime"),
        (lambda e: e.update(eventTime=1764144000), "body.eventTime"),
        # UTC of these is past datetime's range; a time kept near it would overflow later.
        (lambda e: e.update(eventTime="0001-01-01T00:00:00+01:00"), "body.eventTime"),
        (lambda e: e.update(eventTime="9999-12-31T23:30:00-01:00"), "body.eventTime"),
        (lambda e: e.update(eventTime="9999-12-31T23:30:00Z"), "body.eventTime"),
        (lambda e: e.update(inputs="orders"), "body.inputs"),
        (lambda e: e["inputs"][1].update(name=5), "body.inputs[1].name"),
        (lambda e: e["job"].update(namespace=""), "body.job.namespace"),
        (lambda e: e["job"].update(name="etl\u202eredro"), "body.job.name"),
        (
            lambda e: e["inputs"][0].update(namespace="postgres://db\u200b:5432"),
            "body.inputs[0].namespace",
        ),
        (
            lambda e: e["run"]["facets"]["parent"]["job"].pop("name"),
            "body.run.facets.parent.job.name",
        ),
        (lambda e: e["job"]["facets"]["sql"].pop("query"), "body.job.facets.sql.query"),
        (lambda e: e["job"].update(name="a\x00b"), "body.job.name"),
        (lambda e: e["job"]["facets"].update(note={"text": "a\x00b"}), "body.job.facets.note.text"),
    ],
)
def test_an_invalid_event_is_400_naming_the_field_and_nothing_is_stored(
    client: TestClient, ingest_headers: dict[str, str], db: Session, mutate: Any, field: str
) -> None:
    body = event()
    mutate(body)
    r = client.post(URL, json=body, headers=ingest_headers)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]]
    assert "hunter2" not in r.text  # a secret is not echoed
    assert stored(db) == (0, 0, 0)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"event"', b"\xff\xfe", b"NaN"])
def test_a_body_that_is_not_an_event_object_is_400(
    client: TestClient, ingest_headers: dict[str, str], body: bytes
) -> None:
    r = client.post(
        URL, content=body, headers={**ingest_headers, "content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "body"


def test_a_gzip_body_is_accepted(
    client: TestClient, ingest_headers: dict[str, str], db: Session
) -> None:
    body = event()
    headers = {**ingest_headers, "content-type": "application/json", "content-encoding": "gzip"}
    r = client.post(URL, content=gzip.compress(json.dumps(body).encode()), headers=headers)
    assert r.status_code == 201, r.text
    row = db.get(OpenLineageEvent, r.json()["id"])
    assert row is not None
    assert json.loads(row.payload) == body


@pytest.mark.parametrize(
    ("encoding", "content"),
    [
        ("gzip", b"plain text, not gzip"),
        ("gzip", gzip.compress(b'{"a": 1}', mtime=0)[:-12]),
        ("br", b"{}"),
    ],
)
def test_bad_or_unsupported_compression_is_400(
    client: TestClient, ingest_headers: dict[str, str], encoding: str, content: bytes
) -> None:
    headers = {**ingest_headers, "content-type": "application/json", "content-encoding": encoding}
    r = client.post(URL, content=content, headers=headers)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] in ("header.Content-Encoding", "body")


def test_a_gzip_bomb_is_refused_with_413(
    client: TestClient, ingest_headers: dict[str, str], settings: Any
) -> None:
    bomb = gzip.compress(b" " * (settings.max_body_bytes + 1))
    headers = {**ingest_headers, "content-type": "application/json", "content-encoding": "gzip"}
    assert client.post(URL, content=bomb, headers=headers).status_code == 413


def test_unknown_facets_and_fields_are_kept(poster: Poster) -> None:
    body = event()
    body["run"]["facets"]["acme_cost"] = {"_producer": "x", "_schemaURL": "y", "dollars": 3.5}
    body["job"]["facets"]["documentation"] = {"_deleted": True}
    body["x-vendor"] = {"anything": [1, 2]}
    poster.post(body)
    run = poster.get(f"/api/v1/runs/{body['run']['runId']}")
    payload = run["events"][0]["payload"]
    assert payload["run"]["facets"]["acme_cost"]["dollars"] == 3.5
    assert payload["x-vendor"] == {"anything": [1, 2]}


def test_a_batch_stores_the_good_events_and_reports_the_bad(
    client: TestClient, ingest_headers: dict[str, str], db: Session
) -> None:
    good, bad = event(), event()
    bad["run"]["runId"] = "nope"
    r = client.post(f"{URL}/batch", json=[good, bad, "x"], headers=ingest_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (1, 2)
    assert [item["status"] for item in body["results"]] == [201, 400, 400]
    assert body["results"][1]["errors"][0]["field"] == "body[1].run.runId"
    assert body["results"][2]["errors"][0]["field"] == "body[2]"
    assert db.get(OpenLineageEvent, body["results"][0]["id"]) is not None
    assert stored(db)[:2] == (1, 1)


def test_a_batch_keeps_each_event_as_sent_big_integers_and_unicode_included(
    client: TestClient, ingest_headers: dict[str, str], db: Session
) -> None:
    plain, big = event(), event()
    plain["job"]["facets"]["documentation"]["description"] = "Bestellungen \u2014 t\u00e4glich"
    big["run"]["facets"]["acme"] = {"_producer": "x", "_schemaURL": "y", "rows": 2**70}
    r = client.post(f"{URL}/batch", json=[plain, big], headers=ingest_headers)
    assert r.json()["accepted"] == 2, r.text
    ids = [item["id"] for item in r.json()["results"]]
    payloads = [db.get(OpenLineageEvent, i).payload for i in ids]  # type: ignore[union-attr]
    assert [json.loads(p) for p in payloads] == [plain, big]


def test_a_batch_must_be_an_array(client: TestClient, ingest_headers: dict[str, str]) -> None:
    r = client.post(f"{URL}/batch", json=event(), headers=ingest_headers)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "body"


def test_anonymous_callers_are_refused(client: TestClient) -> None:
    assert client.post(URL, json=event()).status_code == 401
    assert (
        client.post(URL, json=event(), headers={"Authorization": "Bearer dlv_x"}).status_code == 401
    )


@pytest.mark.parametrize("scope", [TokenScope.read])
def test_a_token_without_ingest_scope_is_403(
    client: TestClient, db: Session, scope: TokenScope
) -> None:
    headers = make_token(db, "reader", scope)
    assert client.post(URL, json=event(), headers=headers).status_code == 403


def test_admin_tokens_and_admin_users_may_ingest(
    client: TestClient, db: Session, admin: Caller
) -> None:
    for headers in (make_token(db, "ops", TokenScope.admin), admin.headers):
        assert client.post(URL, json=event(), headers=headers).status_code == 201


def test_a_viewer_may_not_ingest(client: TestClient, viewer: Caller) -> None:
    assert client.post(URL, json=event(), headers=viewer.headers).status_code == 403


def test_the_sender_is_kept_with_the_event(poster: Poster) -> None:
    body = event()
    poster.post(body)
    run = poster.get(f"/api/v1/runs/{body['run']['runId']}")
    assert run["events"][0]["sender"] == "token:airflow-prod"
