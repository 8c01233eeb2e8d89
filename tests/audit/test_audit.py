from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Caller


def audit(client: TestClient, admin: Caller, **params: str) -> list[dict[str, object]]:
    r = client.get("/api/v1/audit", params=params, headers=admin.headers)
    assert r.status_code == 200
    return list(r.json()["items"])


def test_each_kind_of_change_is_audited_without_secrets(client: TestClient, admin: Caller) -> None:
    secret_password = "very-secret-password-1"
    uid = client.post(
        "/api/v1/users",
        json={"username": "ann", "password": secret_password, "role": "viewer"},
        headers=admin.headers,
    ).json()["id"]
    client.patch(
        f"/api/v1/users/{uid}",
        json={"role": "admin", "password": "another-secret-2"},
        headers=admin.headers,
    )
    token = client.post(
        "/api/v1/tokens", json={"name": "ci", "scope": "read"}, headers=admin.headers
    ).json()
    client.delete(f"/api/v1/tokens/{token['id']}", headers=admin.headers)
    client.post("/api/v1/auth/token", data={"username": "root", "password": PASSWORD})
    client.delete(f"/api/v1/users/{uid}", headers=admin.headers)

    records = audit(client, admin)
    actions = [r["action"] for r in records]
    assert actions == [
        "user.delete",
        "auth.login",
        "token.revoke",
        "token.create",
        "user.update",
        "user.create",
        "user.create",
    ]
    assert all(r["actor"] in ("root", "system") for r in records)
    text = str(records)
    for secret in (secret_password, "another-secret-2", token["token"]):
        assert secret not in text
    update = next(r for r in records if r["action"] == "user.update")
    assert update["changes"] == {"role": {"from": "viewer", "to": "admin"}, "password": "***"}


def test_audit_filters_by_action_and_target(client: TestClient, admin: Caller) -> None:
    client.post("/api/v1/tokens", json={"name": "a", "scope": "read"}, headers=admin.headers)
    t = client.post(
        "/api/v1/tokens", json={"name": "b", "scope": "read"}, headers=admin.headers
    ).json()
    assert len(audit(client, admin, action="token.create")) == 2
    only = audit(client, admin, target_id=t["id"])
    assert [r["changes"]["name"] for r in only] == ["b"]  # type: ignore[index]


def test_audit_paginates_newest_first(client: TestClient, admin: Caller) -> None:
    for i in range(5):
        client.post(
            "/api/v1/tokens", json={"name": f"t{i}", "scope": "read"}, headers=admin.headers
        )
    r = client.get("/api/v1/audit?limit=3&action=token.create", headers=admin.headers).json()
    names = [x["changes"]["name"] for x in r["items"]]
    r2 = client.get(
        f"/api/v1/audit?limit=3&action=token.create&cursor={r['next_cursor']}",
        headers=admin.headers,
    ).json()
    names += [x["changes"]["name"] for x in r2["items"]]
    assert names == ["t4", "t3", "t2", "t1", "t0"]
    assert r2["next_cursor"] is None


def test_a_refused_change_leaves_no_audit_record(client: TestClient, admin: Caller) -> None:
    client.delete(f"/api/v1/users/{admin.id}", headers=admin.headers)  # last admin: 409
    assert audit(client, admin, action="user.delete") == []


def test_audit_filters_by_object_type_and_time_window(client: TestClient, admin: Caller) -> None:
    client.post("/api/v1/tokens", json={"name": "a", "scope": "read"}, headers=admin.headers)
    client.post(
        "/api/v1/users",
        json={"username": "ann", "password": "very-secret-password-1"},
        headers=admin.headers,
    )
    assert [r["action"] for r in audit(client, admin, target_type="token")] == ["token.create"]
    (first,) = audit(client, admin, target_type="token")
    until = str(first["at"])  # before: excludes the record made at that instant
    assert audit(client, admin, target_type="token", until=until) == []
    everything = audit(client, admin, since=until)
    assert [r["action"] for r in everything] == ["user.create", "token.create"]
    assert audit(client, admin, since="2999-01-01T00:00:00Z") == []
