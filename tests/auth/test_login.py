from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.app import create_app
from dlv.auth.models import Role
from dlv.config import Settings
from tests.conftest import PASSWORD, SECRET_KEY, Caller, make_user

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


# -------------------------------------- one name per account, lockouts that lock the guesser


def from_address(app: FastAPI, address: str) -> TestClient:
    """A client whose requests come from ``address`` (the app is already started)."""
    return TestClient(app, client=(address, 50000))


def test_login_name_is_case_insensitive(client: TestClient, admin: Caller) -> None:
    assert login(client, "ROOT", PASSWORD)[0] == 200


FULL_WIDTH_ROOT = "\uff52\uff4f\uff4f\uff54"


def test_look_alike_login_names_share_one_failure_count(client: TestClient, admin: Caller) -> None:
    for name in ("root", "ROOT", "Root", FULL_WIDTH_ROOT, "rOOT"):
        assert login(client, name, "wrong-password")[0] == 401
    assert login(client, "root", PASSWORD)[0] == 429


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(
    app: FastAPI, client: TestClient, admin: Caller
) -> None:
    attacker = from_address(app, "203.0.113.9")
    for _ in range(6):
        attacker.post(TOKEN_URL, data={"username": "root", "password": "wrong-password"})
    assert login(attacker, "root", PASSWORD)[0] == 429
    assert login(client, "root", PASSWORD)[0] == 200


def test_failures_spread_over_many_addresses_lock_the_user_at_the_ceiling(
    database_url: str, tmp_path: Path, db: Session
) -> None:
    make_user(db, "root", Role.admin)
    settings = Settings(
        home=tmp_path / "home",
        database_url=database_url,
        secret_key=SECRET_KEY,
        login_max_failures=2,
        login_user_max_failures=6,
        _env_file=None,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        for i in range(3):
            for _ in range(2):
                login(from_address(app, f"198.51.100.{i}"), "root", "wrong-password")
        assert login(client, "root", PASSWORD)[0] == 429


def test_a_lockout_is_logged_with_user_and_address_but_no_password(
    app: FastAPI, client: TestClient, admin: Caller, caplog: pytest.LogCaptureFixture
) -> None:
    attacker = from_address(app, "203.0.113.9")
    with caplog.at_level(logging.WARNING, logger="dlv.auth"):
        for _ in range(5):
            login(attacker, "Root", "Guessed-Pa55word")
    lockouts = [r.getMessage() for r in caplog.records if "lockout" in r.getMessage()]
    assert len(lockouts) == 1
    assert "'root'" in lockouts[0]
    assert "203.0.113.9" in lockouts[0]
    assert "Guessed-Pa55word" not in caplog.text
