from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dlv.auth.models import User
from dlv.auth.security import hash_password
from tests.conftest import PASSWORD, Caller


def test_admin_creates_reads_updates_and_deletes_a_user(client: TestClient, admin: Caller) -> None:
    r = client.post(
        "/api/v1/users",
        json={"username": "dana", "password": "long enough pw", "role": "viewer"},
        headers=admin.headers,
    )
    assert r.status_code == 201
    user = r.json()
    assert "password" not in user
    assert "password_hash" not in user
    uid = user["id"]
    assert client.get(f"/api/v1/users/{uid}", headers=admin.headers).json()["role"] == "viewer"
    r = client.patch(f"/api/v1/users/{uid}", json={"role": "admin"}, headers=admin.headers)
    assert r.json()["role"] == "admin"
    assert client.delete(f"/api/v1/users/{uid}", headers=admin.headers).status_code == 204
    assert client.get(f"/api/v1/users/{uid}", headers=admin.headers).status_code == 404


def test_passwords_are_stored_as_argon2id(client: TestClient, admin: Caller, db: Session) -> None:
    client.post(
        "/api/v1/users",
        json={"username": "eve", "password": "plaintext-secret", "role": "viewer"},
        headers=admin.headers,
    )
    stored = db.scalars(select(User).where(User.username == "eve")).one()
    assert stored.password_hash.startswith("$argon2id$")
    assert "plaintext-secret" not in stored.password_hash


def test_duplicate_username_is_409(client: TestClient, admin: Caller) -> None:
    body = {"username": "root", "password": "long enough pw"}
    r = client.post("/api/v1/users", json=body, headers=admin.headers)
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "body.username"


def test_short_password_is_422_without_echoing_it(client: TestClient, admin: Caller) -> None:
    r = client.post(
        "/api/v1/users", json={"username": "x", "password": "hunter2"}, headers=admin.headers
    )
    assert r.status_code == 422
    assert "hunter2" not in r.text
    assert r.json()["errors"][0]["field"] == "body.password"


def test_last_admin_cannot_be_demoted(client: TestClient, admin: Caller) -> None:
    r = client.patch(f"/api/v1/users/{admin.id}", json={"role": "viewer"}, headers=admin.headers)
    assert r.status_code == 409
    assert "last admin" in r.json()["detail"]


def test_last_admin_cannot_be_deleted(client: TestClient, admin: Caller) -> None:
    r = client.delete(f"/api/v1/users/{admin.id}", headers=admin.headers)
    assert r.status_code == 409


def test_an_admin_can_be_demoted_when_another_remains(
    client: TestClient, admin: Caller, db: Session
) -> None:
    from dlv.auth.models import Role  # noqa: PLC0415
    from tests.conftest import make_user  # noqa: PLC0415

    other = make_user(db, "second", Role.admin)
    r = client.patch(f"/api/v1/users/{other.id}", json={"role": "viewer"}, headers=admin.headers)
    assert r.status_code == 200


def test_users_list_paginates_with_a_cursor(client: TestClient, admin: Caller) -> None:
    for name in ("u1", "u2", "u3"):
        client.post(
            "/api/v1/users",
            json={"username": name, "password": "long enough pw"},
            headers=admin.headers,
        )
    first = client.get("/api/v1/users?limit=2", headers=admin.headers).json()
    assert [u["username"] for u in first["items"]] == ["root", "u1"]
    second = client.get(
        f"/api/v1/users?limit=2&cursor={first['next_cursor']}", headers=admin.headers
    ).json()
    assert [u["username"] for u in second["items"]] == ["u2", "u3"]
    assert second["next_cursor"] is None


def test_forged_cursor_is_422(client: TestClient, admin: Caller) -> None:
    r = client.get("/api/v1/users?cursor=not-a-cursor", headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query.cursor"


def test_limit_is_bounded(client: TestClient, admin: Caller) -> None:
    assert client.get("/api/v1/users?limit=100000", headers=admin.headers).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"username": 123, "password": "long enough pw"},
        {"username": True, "password": "long enough pw"},
        {"username": "dana", "password": 1234567890123},
        {"username": "dana", "password": "long enough pw", "role": True},
    ],
    ids=["number-name", "bool-name", "number-password", "bool-role"],
)
def test_user_fields_take_no_coerced_values(
    client: TestClient, admin: Caller, body: dict[str, object]
) -> None:
    r = client.post("/api/v1/users", json=body, headers=admin.headers)
    assert r.status_code == 422


# ----------------------------------------------------------- one canonical form per name


def test_a_username_is_stored_in_its_canonical_form(client: TestClient, admin: Caller) -> None:
    body = {"username": "Dana.Scully", "password": PASSWORD}
    r = client.post("/api/v1/users", json=body, headers=admin.headers)
    assert r.status_code == 201
    assert r.json()["username"] == "dana.scully"


def test_a_name_differing_only_in_case_is_taken(client: TestClient, admin: Caller) -> None:
    body = {"username": "ROOT", "password": PASSWORD}
    r = client.post("/api/v1/users", json=body, headers=admin.headers)
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "body.username"


def test_a_name_from_another_script_or_width_is_refused(client: TestClient, admin: Caller) -> None:
    for name in ("r\u043eot", "\uff52\uff4f\uff4f\uff54"):  # Cyrillic o; full-width root
        r = client.post(
            "/api/v1/users", json={"username": name, "password": PASSWORD}, headers=admin.headers
        )
        assert r.status_code == 422, name
        assert r.json()["errors"][0]["field"] == "body.username"


def legacy_user(db: Session, username: str, password: str) -> None:
    """A row as versions before 0009 could store it (names differing only in case)."""
    db.add(
        User(
            username=username, password_hash=hash_password(password), role="viewer", token_version=0
        )
    )
    db.commit()


def test_legacy_names_differing_only_in_case_each_log_in_by_exact_spelling(
    client: TestClient, db: Session
) -> None:
    legacy_user(db, "ADMIN", "upper case account pw")
    legacy_user(db, "admin", "lower case account pw")
    for name, password in (("ADMIN", "upper case account pw"), ("admin", "lower case account pw")):
        r = client.post("/api/v1/auth/token", data={"username": name, "password": password})
        assert r.status_code == 200, name


def test_no_new_look_alike_of_legacy_names_is_created(
    client: TestClient, admin: Caller, db: Session
) -> None:
    legacy_user(db, "ADMIN", "upper case account pw")
    legacy_user(db, "Admin", "title case account pw")
    body = {"username": "admin", "password": PASSWORD}
    assert client.post("/api/v1/users", json=body, headers=admin.headers).status_code == 409
