from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.auth.models import ApiToken
from dlv.auth.security import JWT_ALGORITHM, JWT_AUDIENCE
from tests.conftest import SECRET_KEY, Caller


def create(client: TestClient, admin: Caller, **body: object) -> dict[str, object]:
    r = client.post("/api/v1/tokens", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_api_token_is_shown_once_and_listed_without_secret(
    client: TestClient, admin: Caller
) -> None:
    created = create(client, admin, name="airflow", scope="read")
    secret = str(created["token"])
    assert secret.startswith("dlv_")
    listed = client.get("/api/v1/tokens", headers=admin.headers).json()
    assert [t["name"] for t in listed["items"]] == ["airflow"]
    assert secret not in str(listed)
    assert "token" not in listed["items"][0]


def test_api_token_is_stored_hashed(client: TestClient, admin: Caller, db: Session) -> None:
    secret = str(create(client, admin, name="spark", scope="ingest")["token"])
    stored = db.scalars(select(ApiToken)).one()
    assert secret not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_read_token_authenticates_as_a_reader(client: TestClient, admin: Caller) -> None:
    secret = create(client, admin, name="script", scope="read")["token"]
    headers = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["kind"] == "token"
    assert me["role"] == "read"
    assert (
        client.post(
            "/api/v1/tokens", json={"name": "x", "scope": "read"}, headers=headers
        ).status_code
        == 403
    )


def test_revoked_token_is_refused_at_once(client: TestClient, admin: Caller) -> None:
    created = create(client, admin, name="old", scope="admin")
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    r = client.delete(f"/api/v1/tokens/{created['id']}", headers=admin.headers)
    assert r.status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_expired_api_token_is_refused(client: TestClient, admin: Caller, db: Session) -> None:
    created = create(client, admin, name="short", scope="read", expires_days=1)
    token = db.get(ApiToken, __import__("uuid").UUID(str(created["id"])))
    assert token is not None
    token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.commit()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_expired_login_token_is_refused(client: TestClient, admin: Caller) -> None:
    past = datetime.now(UTC) - timedelta(minutes=5)
    token = jwt.encode(
        {"sub": str(admin.id), "ver": 0, "aud": JWT_AUDIENCE, "iat": past, "exp": past},
        SECRET_KEY,
        algorithm=JWT_ALGORITHM,
    )
    r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_tampered_login_token_is_refused(client: TestClient, admin: Caller) -> None:
    token = admin.headers["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    forged = jwt.encode(
        {
            "sub": str(admin.id),
            "ver": 0,
            "aud": JWT_AUDIENCE,
            "exp": datetime.now(UTC) + timedelta(days=365),
        },
        "another-key-that-is-long-enough-to-sign-with",
        algorithm=JWT_ALGORITHM,
    )
    for bad in (f"{header}.{payload}.{signature[:-2]}xx", forged, "dlv_notatoken", "garbage"):
        r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, bad


def test_unknown_scope_is_a_422_naming_the_field(client: TestClient, admin: Caller) -> None:
    r = client.post("/api/v1/tokens", json={"name": "x", "scope": "root"}, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.scope"


def test_revoking_an_unknown_token_is_404(client: TestClient, admin: Caller) -> None:
    r = client.delete("/api/v1/tokens/00000000-0000-0000-0000-000000000001", headers=admin.headers)
    assert r.status_code == 404


# ---------------------------------------------------- strict integers (schemathesis 23.9a)


@pytest.mark.parametrize("days", [True, False, "30", 30.5], ids=["true", "false", "str", "frac"])
def test_expires_days_must_be_a_json_integer(
    client: TestClient, admin: Caller, days: object
) -> None:
    body = {"name": "x", "scope": "read", "expires_days": days}
    r = client.post("/api/v1/tokens", json=body, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.expires_days"
