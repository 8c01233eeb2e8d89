"""The password policy, on every path that sets a password: API create, API update, bootstrap
(the CLI's are in tests/cli)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dlv.app import create_app
from dlv.auth.models import User
from dlv.auth.service import WeakPassword
from dlv.config import Settings
from tests.conftest import PASSWORD, Caller

WEAK = [
    pytest.param("password", "top-10 common password", id="common"),
    pytest.param("12345678", "top-10 common password", id="digits"),
    pytest.param("Summer2024!", "similar to a commonly used password", id="breached-style"),
    pytest.param("        ", "only whitespace", id="spaces"),
    pytest.param("margaret.h", "must not be the username", id="username"),
    pytest.param("MARGARET.H", "must not be the username", id="username-upper"),
]


def create_user(client: TestClient, admin: Caller, password: str) -> dict[str, object]:
    body = {"username": "margaret.h", "password": password}
    r = client.post("/api/v1/users", json=body, headers=admin.headers)
    return {"status": r.status_code, "text": r.text, **r.json()}


@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_creating_a_user_with_a_weak_password_is_a_422_that_says_why(
    client: TestClient, admin: Caller, password: str, reason: str
) -> None:
    answer = create_user(client, admin, password)
    assert answer["status"] == 422
    errors = answer["errors"]
    assert isinstance(errors, list)
    assert errors[0]["field"] == "body.password"
    assert reason in errors[0]["message"]


@pytest.mark.parametrize("password", ["12345678", "Summer2024!", "iloveyou2024"])
def test_a_refused_password_is_never_echoed(
    client: TestClient, admin: Caller, password: str
) -> None:
    answer = create_user(client, admin, password)
    assert answer["status"] == 422
    assert password not in str(answer["text"])


def test_a_weak_password_creates_no_user(client: TestClient, admin: Caller, db: Session) -> None:
    create_user(client, admin, "password")
    assert db.scalar(select(func.count()).select_from(User)) == 1


def test_a_strong_password_is_accepted(client: TestClient, admin: Caller) -> None:
    assert create_user(client, admin, "Lichen-Rowboat-Tundra-77")["status"] == 201


def test_setting_a_weak_password_is_refused_and_keeps_the_old_one(
    client: TestClient, admin: Caller
) -> None:
    r = client.patch(
        f"/api/v1/users/{admin.id}", json={"password": "iloveyou"}, headers=admin.headers
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.password"
    login = {"username": "root", "password": PASSWORD}
    assert client.post("/api/v1/auth/token", data=login).status_code == 200


def test_setting_the_username_as_password_is_refused(client: TestClient, admin: Caller) -> None:
    r = client.patch(
        f"/api/v1/users/{admin.id}", json={"password": "ROOT    "}, headers=admin.headers
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"] == "must not be the username"


def test_a_weak_bootstrap_admin_password_stops_the_start(database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        database_url=database_url,
        bootstrap_admin_password="admin123",
        _env_file=None,
    )
    with pytest.raises(WeakPassword) as refused, TestClient(create_app(settings)):
        pass
    assert "DLV_BOOTSTRAP_ADMIN_PASSWORD" in refused.value.detail
    assert "admin123" not in refused.value.detail


def test_a_long_password_is_rated_without_error(client: TestClient, admin: Caller) -> None:
    # zxcvbn refuses more than 72 characters: the policy rates a prefix instead.
    assert create_user(client, admin, "Lichen-Rowboat-Tundra-77 " * 40)["status"] == 201
