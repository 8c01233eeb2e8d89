"""Credentials in connection URLs: refused on the way in, masked in rows stored before that."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.audit.models import AuditRecord
from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.nodes.factories import create

URL_SECRET = "url-s3cret-Value-77"

# (kind, URL field, where the 422 says the credential belongs)
URL_FIELDS = [
    pytest.param("airflow", "base_url", "auth.password", id="airflow"),
    pytest.param("spark", "url", "token", id="spark"),
]
CREDENTIAL_URLS = [
    pytest.param(f"https://dlv:{URL_SECRET}@host.internal:8080", id="user-password"),
    pytest.param(f"https://{URL_SECRET}@host.internal:8080", id="token-as-user"),
    pytest.param(f"https://host.internal/?token={URL_SECRET}", id="token"),
    pytest.param(f"https://host.internal/?a=1&access_token={URL_SECRET}", id="access_token"),
    pytest.param(f"https://host.internal/?api_key={URL_SECRET}", id="api_key"),
    pytest.param(f"https://host.internal/?apiKey={URL_SECRET}", id="apiKey"),
    pytest.param(f"https://host.internal/?password={URL_SECRET}", id="password"),
    pytest.param(f"https://host.internal/?client_secret={URL_SECRET}", id="client_secret"),
    pytest.param(f"https://host.internal/?sig={URL_SECRET}", id="sas-sig"),
    pytest.param(f"https://host.internal/?X-Amz-Signature={URL_SECRET}", id="aws-signature"),
    pytest.param(f"https://host.internal/#access_token={URL_SECRET}", id="fragment"),
]


def system(kind: str, field: str, url: str) -> dict[str, Any]:
    return {"kind": kind, "namespace": kind, "name": "prod", "connection": {field: url}}


def refused(r: Any, field: str) -> str:
    """The 422's message for ``field``, after checking the secret is nowhere in the answer."""
    assert r.status_code == 422, r.text
    assert URL_SECRET not in r.text
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert field in errors, errors
    return str(errors[field])


@pytest.mark.parametrize(("kind", "field", "instead"), URL_FIELDS)
@pytest.mark.parametrize("url", CREDENTIAL_URLS)
def test_creating_a_node_with_credentials_in_its_url_is_422_naming_the_secret_field(
    client: TestClient, admin: Caller, kind: str, field: str, instead: str, url: str
) -> None:
    r = client.post("/api/v1/nodes", json=system(kind, field, url), headers=admin.headers)
    message = refused(r, f"body.connection.{kind}.{field}")
    assert f"{field} must not carry credentials" in message
    assert instead in message


@pytest.mark.parametrize(("kind", "field", "instead"), URL_FIELDS)
def test_updating_a_connection_with_credentials_in_its_url_is_422_and_keeps_the_old_one(
    client: TestClient, admin: Caller, kind: str, field: str, instead: str
) -> None:
    node = create(client, admin, system(kind, field, "https://host.internal:8080"))
    bad = {"connection": {"kind": kind, field: f"https://dlv:{URL_SECRET}@host.internal:8080"}}
    r = client.patch(f"/api/v1/nodes/{node['id']}", json=bad, headers=admin.headers)
    assert instead in refused(r, f"body.connection.{kind}.{field}")
    stored = client.get(f"/api/v1/nodes/{node['id']}", headers=admin.headers).json()
    assert stored["connection"][field] == "https://host.internal:8080/"


@pytest.mark.parametrize(("kind", "field", "instead"), URL_FIELDS)
@pytest.mark.parametrize(
    "url",
    [
        "https://host.internal/?limit=1&keyword=x",
        "https://host.internal:8080/?tenant=sales",
        "https://host.internal:8080/ui#dags",
    ],
)
def test_a_url_with_a_query_or_fragment_is_422_the_api_paths_go_after_it(
    client: TestClient, admin: Caller, kind: str, field: str, instead: str, url: str
) -> None:
    # Not for credentials (these parameters name none): "?x=1" + "/api/v1/..." is no URL.
    r = client.post("/api/v1/nodes", json=system(kind, field, url), headers=admin.headers)
    message = refused(r, f"body.connection.{kind}.{field}")
    assert f"{field} must end with its path" in message
    assert "credentials" not in message
    assert client.get("/api/v1/nodes", headers=admin.headers).json()["items"] == []


def test_testing_an_unsaved_config_with_credentials_in_its_url_is_422(
    client: TestClient, admin: Caller
) -> None:
    body = {"kind": "spark", "connection": {"url": f"http://127.0.0.1:1/?token={URL_SECRET}"}}
    r = client.post("/api/v1/connections/test", json=body, headers=admin.headers)
    assert "token" in refused(r, "body.connection.spark.url")


def test_urls_without_credentials_are_accepted(client: TestClient, admin: Caller) -> None:
    create(client, admin, system("airflow", "base_url", "https://host.internal:8080/airflow"))


# -- rows stored before the rule ----------------------------------------------------------------

LEGACY_URL = f"http://dlv:{URL_SECRET}@spark-history:18080/?token={URL_SECRET}&limit=5"


@pytest.fixture
def legacy_node(client: TestClient, admin: Caller, db: Session) -> str:
    """A spark node whose stored URL holds credentials, as an older DLV accepted them."""
    node = create(client, admin, system("spark", "url", "http://spark-history:18080"))
    row = db.scalars(select(Node).where(Node.id == uuid.UUID(node["id"]))).one()
    assert row.connection is not None
    row.connection = {**row.connection, "url": LEGACY_URL}
    db.commit()
    return str(node["id"])


def test_a_url_stored_with_credentials_is_masked_for_viewers(
    client: TestClient, viewer: Caller, legacy_node: str
) -> None:
    r = client.get(f"/api/v1/nodes/{legacy_node}", headers=viewer.headers)
    assert r.status_code == 200
    assert URL_SECRET not in r.text
    assert r.json()["connection"]["url"] == "http://***@spark-history:18080/?token=***&limit=5"


def test_a_url_stored_with_credentials_is_masked_in_the_node_list(
    client: TestClient, viewer: Caller, legacy_node: str
) -> None:
    r = client.get("/api/v1/nodes?kind=spark", headers=viewer.headers)
    assert r.status_code == 200
    assert URL_SECRET not in r.text


def test_a_url_stored_with_credentials_is_masked_in_the_graph_export(
    client: TestClient, viewer: Caller, legacy_node: str
) -> None:
    r = client.get("/api/v1/graph/export", headers=viewer.headers)
    assert r.status_code == 200
    assert URL_SECRET not in r.text
    (spark,) = [n for n in json.loads(r.text)["nodes"] if n["kind"] == "spark"]
    assert spark["connection"]["url"] == "http://***@spark-history:18080/?token=***&limit=5"


def test_a_url_stored_with_credentials_is_masked_in_new_audit_records(
    client: TestClient, admin: Caller, db: Session, legacy_node: str
) -> None:
    r = client.patch(
        f"/api/v1/nodes/{legacy_node}",
        json={"connection": {"kind": "spark", "url": "http://spark-history:18080"}},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    stored = db.scalars(select(AuditRecord).where(AuditRecord.target_id == legacy_node)).all()
    assert stored
    assert URL_SECRET not in repr([a.changes for a in stored])


def test_audit_records_written_before_the_rule_are_masked_when_read(
    client: TestClient, admin: Caller, db: Session
) -> None:
    db.add(
        AuditRecord(
            actor_kind="user",
            actor="root",
            action="node.create",
            target_type="node",
            changes={"connection": {"kind": "spark", "url": LEGACY_URL}},
        )
    )
    db.commit()
    r = client.get("/api/v1/audit?action=node.create", headers=admin.headers)
    assert r.status_code == 200
    assert URL_SECRET not in r.text
    assert r.json()["items"][0]["changes"]["connection"]["url"].startswith("http://***@")


def test_saving_a_stored_url_back_as_shown_is_refused_pointing_to_the_secret_field(
    client: TestClient, admin: Caller, legacy_node: str
) -> None:
    # A client that reads the node and sends its connection back must move the credential.
    shown = client.get(f"/api/v1/nodes/{legacy_node}", headers=admin.headers).json()
    connection = {"kind": "spark", "url": shown["connection"]["url"]}
    r = client.patch(
        f"/api/v1/nodes/{legacy_node}", json={"connection": connection}, headers=admin.headers
    )
    assert "token (sent as a bearer token)" in refused(r, "body.connection.spark.url")
