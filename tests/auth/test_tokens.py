from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.auth.models import ApiToken, Role, TokenScope
from dlv.auth.security import JWT_ALGORITHM, JWT_AUDIENCE
from tests.conftest import PASSWORD, SECRET_KEY, Caller, make_token, make_user


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


# ------------------------------------------------ a token never outlives its owner's rights


def admin_token_of(client: TestClient, owner: Caller) -> dict[str, str]:
    """Headers with an admin-scope token that ``owner`` made through the API."""
    return {"Authorization": f"Bearer {create(client, owner, name='mine', scope='admin')['token']}"}


def test_admin_token_of_a_demoted_user_is_refused_on_admin_routes(
    client: TestClient, admin: Caller, db: Session
) -> None:
    owner = make_user(db, "owner", Role.admin)
    token = admin_token_of(client, owner)
    r = client.patch(f"/api/v1/users/{owner.id}", json={"role": "viewer"}, headers=admin.headers)
    assert r.status_code == 200
    new_admin = {"username": "mallory", "password": PASSWORD, "role": "admin"}
    assert client.post("/api/v1/users", json=new_admin, headers=token).status_code == 403


def test_admin_token_of_a_demoted_user_can_still_do_what_a_viewer_does(
    client: TestClient, admin: Caller, db: Session
) -> None:
    owner = make_user(db, "owner", Role.admin)
    token = admin_token_of(client, owner)
    client.patch(f"/api/v1/users/{owner.id}", json={"role": "viewer"}, headers=admin.headers)
    assert client.get("/api/v1/nodes", headers=token).status_code == 200


def test_token_of_a_promoted_again_user_gets_admin_back(
    client: TestClient, admin: Caller, db: Session
) -> None:
    owner = make_user(db, "owner", Role.admin)
    token = admin_token_of(client, owner)
    for role in ("viewer", "admin"):
        client.patch(f"/api/v1/users/{owner.id}", json={"role": role}, headers=admin.headers)
    assert client.get("/api/v1/users", headers=token).status_code == 200


def test_token_of_a_deleted_user_is_refused_with_401(
    client: TestClient, admin: Caller, db: Session
) -> None:
    owner = make_user(db, "owner", Role.admin)
    token = admin_token_of(client, owner)
    assert client.delete(f"/api/v1/users/{owner.id}", headers=admin.headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401


def test_deleting_a_user_deletes_and_audits_their_tokens(
    client: TestClient, admin: Caller, db: Session
) -> None:
    owner = make_user(db, "owner", Role.admin)
    made = create(client, owner, name="theirs", scope="read")
    client.delete(f"/api/v1/users/{owner.id}", headers=admin.headers)
    assert db.scalars(select(ApiToken)).all() == []
    audit = client.get("/api/v1/audit?action=token.revoke", headers=admin.headers).json()
    assert [(a["target_id"], a["changes"]["reason"]) for a in audit["items"]] == [
        (made["id"], "owner deleted")
    ]


def test_token_made_with_a_users_token_acts_for_that_user(
    client: TestClient, admin: Caller, db: Session
) -> None:
    owner = make_user(db, "owner", Role.admin)
    parent = admin_token_of(client, owner)
    r = client.post("/api/v1/tokens", json={"name": "child", "scope": "admin"}, headers=parent)
    child = {"Authorization": f"Bearer {r.json()['token']}"}
    assert r.json()["created_by_id"] == str(owner.id)
    client.patch(f"/api/v1/users/{owner.id}", json={"role": "viewer"}, headers=admin.headers)
    assert client.get("/api/v1/users", headers=child).status_code == 403


def test_operator_token_acts_for_no_user(client: TestClient, admin: Caller, db: Session) -> None:
    headers = make_token(db, "ops", TokenScope.admin)  # as `dlv tokens create` makes it
    listed = client.get("/api/v1/tokens", headers=admin.headers).json()["items"]
    assert [t["created_by_id"] for t in listed] == [None]
    assert client.get("/api/v1/users", headers=headers).status_code == 200


def test_ingest_token_of_a_demoted_user_may_no_longer_ingest(
    client: TestClient, admin: Caller, db: Session
) -> None:
    owner = make_user(db, "owner", Role.admin)
    made = create(client, owner, name="spark", scope="ingest")
    client.patch(f"/api/v1/users/{owner.id}", json={"role": "viewer"}, headers=admin.headers)
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert client.post("/api/v1/lineage", json={}, headers=headers).status_code == 403


# ---------------------------------------------------- strict integers (schemathesis 23.9a)


@pytest.mark.parametrize("days", [True, False, "30", 30.5], ids=["true", "false", "str", "frac"])
def test_expires_days_must_be_a_json_integer(
    client: TestClient, admin: Caller, days: object
) -> None:
    body = {"name": "x", "scope": "read", "expires_days": days}
    r = client.post("/api/v1/tokens", json=body, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.expires_days"
