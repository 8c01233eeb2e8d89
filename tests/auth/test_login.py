from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Caller

TOKEN_URL = "/api/v1/auth/token"


def login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    r = client.post(TOKEN_URL, data={"username": username, "password": password})
    return r.status_code, r.json()


def test_login_returns_a_bearer_token_that_authenticates(client: TestClient, admin: Caller) -> None:
    status, body = login(client, "root", PASSWORD)
    assert status == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"id": str(admin.id), "username": "root", "role": "admin", "kind": "user"}


def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: TestClient, admin: Caller
) -> None:
    wrong = client.post(TOKEN_URL, data={"username": "root", "password": "nope-nope"})
    unknown = client.post(TOKEN_URL, data={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["content-type"] == "application/problem+json"


def test_repeated_failures_lock_the_user_out_with_429(client: TestClient, admin: Caller) -> None:
    for _ in range(5):
        assert login(client, "root", "wrong-password")[0] == 401
    r = client.post(TOKEN_URL, data={"username": "root", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["status"] == 429


def test_lockout_of_one_user_does_not_lock_another(
    client: TestClient, admin: Caller, viewer: Caller
) -> None:
    for _ in range(5):
        login(client, "root", "wrong-password")
    assert login(client, "vera", PASSWORD)[0] == 200


def test_many_failures_from_one_address_lock_the_address(client: TestClient, admin: Caller) -> None:
    # 20 failures (4x the per-user limit) spread over many usernames.
    for i in range(20):
        login(client, f"user{i}", "wrong-password")
    assert login(client, "root", PASSWORD)[0] == 429


def test_success_resets_the_user_failure_count(client: TestClient, admin: Caller) -> None:
    for _ in range(4):
        login(client, "root", "wrong-password")
    assert login(client, "root", PASSWORD)[0] == 200
    for _ in range(4):
        login(client, "root", "wrong-password")
    assert login(client, "root", PASSWORD)[0] == 200


def test_missing_form_fields_are_a_422_naming_the_field(client: TestClient) -> None:
    r = client.post(TOKEN_URL, data={"username": "root"})
    assert r.status_code == 422
    assert any(e["field"] == "body.password" for e in r.json()["errors"])


def test_password_change_invalidates_existing_login_tokens(
    client: TestClient, admin: Caller
) -> None:
    r = client.patch(
        f"/api/v1/users/{admin.id}",
        json={"password": "a brand new password"},
        headers=admin.headers,
    )
    assert r.status_code == 200
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 401
    assert login(client, "root", "a brand new password")[0] == 200
