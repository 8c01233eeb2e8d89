"""Disabling a user: no sign-in, no token of theirs works, and never the last admin."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.auth import service as auth_service
from dlv.auth.models import Role, TokenScope
from dlv.auth.schemas import TokenCreate
from tests.conftest import PASSWORD, Caller, make_user


def disable(client: TestClient, admin: Caller, user: Caller, disabled: bool = True) -> int:
    r = client.patch(f"/api/v1/users/{user.id}", json={"disabled": disabled}, headers=admin.headers)
    return r.status_code


def login(client: TestClient, username: str) -> tuple[int, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return r.status_code, r.text


def test_a_disabled_user_cannot_sign_in_and_is_told_why(
    client: TestClient, admin: Caller, db: Session
) -> None:
    dana = make_user(db, "dana", Role.viewer)
    assert disable(client, admin, dana) == 200
    status, body = login(client, "dana")
    assert status == 401
    assert "disabled" in body


def test_a_wrong_password_for_a_disabled_user_says_nothing_about_it(
    client: TestClient, admin: Caller, db: Session
) -> None:
    dana = make_user(db, "dana", Role.viewer)
    disable(client, admin, dana)
    r = client.post("/api/v1/auth/token", data={"username": "dana", "password": "not it at all"})
    assert r.status_code == 401
    assert "disabled" not in r.text


def test_disabling_stops_their_login_token_for_good(
    client: TestClient, admin: Caller, db: Session
) -> None:
    dana = make_user(db, "dana", Role.viewer)
    assert client.get("/api/v1/auth/me", headers=dana.headers).status_code == 200
    disable(client, admin, dana)
    assert client.get("/api/v1/auth/me", headers=dana.headers).status_code == 401
    disable(client, admin, dana, disabled=False)
    # Enabled again: they sign in anew, their old session stays dead.
    assert client.get("/api/v1/auth/me", headers=dana.headers).status_code == 401
    assert login(client, "dana")[0] == 200


def test_the_api_tokens_of_a_disabled_user_stop_and_come_back(
    client: TestClient, admin: Caller, db: Session
) -> None:
    owner = make_user(db, "owner", Role.admin)
    principal = auth_service.principal_of(auth_service.get_user(db, owner.id))
    _, secret = auth_service.create_token(
        db, principal, TokenCreate(name="etl", scope=TokenScope.read)
    )
    db.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/nodes", headers=headers).status_code == 200
    disable(client, admin, owner)
    assert client.get("/api/v1/nodes", headers=headers).status_code == 401
    disable(client, admin, owner, disabled=False)
    assert client.get("/api/v1/nodes", headers=headers).status_code == 200


def test_the_last_admin_cannot_be_disabled(client: TestClient, admin: Caller) -> None:
    r = client.patch(f"/api/v1/users/{admin.id}", json={"disabled": True}, headers=admin.headers)
    assert r.status_code == 409
    assert r.json()["errors"] == [{"field": "body.disabled", "message": "last admin"}]
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 200


def test_a_disabled_admin_does_not_count_as_another_admin(
    client: TestClient, admin: Caller, db: Session
) -> None:
    other = make_user(db, "second", Role.admin)
    assert disable(client, admin, other) == 200
    assert client.delete(f"/api/v1/users/{admin.id}", headers=admin.headers).status_code == 409
    r = client.patch(f"/api/v1/users/{admin.id}", json={"role": "viewer"}, headers=admin.headers)
    assert r.status_code == 409
    # ...and, disabled, it is no longer guarded: it may be deleted.
    assert client.delete(f"/api/v1/users/{other.id}", headers=admin.headers).status_code == 204


def test_disabling_is_shown_and_audited(client: TestClient, admin: Caller, db: Session) -> None:
    dana = make_user(db, "dana", Role.viewer)
    disable(client, admin, dana)
    user = client.get(f"/api/v1/users/{dana.id}", headers=admin.headers).json()
    assert user["disabled_at"] is not None
    audit = client.get(
        "/api/v1/audit",
        params={"target_id": str(dana.id), "action": "user.update"},
        headers=admin.headers,
    ).json()
    assert audit["items"][0]["changes"] == {"disabled": {"from": False, "to": True}}
    disable(client, admin, dana, disabled=False)
    assert (
        client.get(f"/api/v1/users/{dana.id}", headers=admin.headers).json()["disabled_at"] is None
    )
