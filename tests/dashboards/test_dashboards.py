from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.dashboards.factories import URL, audit_actions, body, get, nodes, placed, post

# Floats that a lossy path (float32, decimal rounding, text formatting) would change.
TRICKY = [0.1 + 0.2, 1e-300, -123456.78901234567, 2.0**-1074, 987654321.0000001, -0.5]


def full_layout(node_ids: list[str]) -> dict[str, Any]:
    return {
        "nodes": [
            {"node_id": node_ids[0], "x": TRICKY[0], "y": TRICKY[1]},
            {
                "node_id": node_ids[1],
                "x": TRICKY[2],
                "y": TRICKY[3],
                "width": 240.25,
                "height": 64.0,
                "collapsed": True,
                "style": {"borderColor": "#ff0000", "opacity": 0.75},
            },
        ],
        "groups": [
            {
                "id": "g-ingest",
                "label": "Ingestion",
                "x": TRICKY[4],
                "y": -40.0,
                "width": 800.0,
                "height": 300.0,
                "node_ids": node_ids,
            }
        ],
        "notes": [{"id": "note-1", "text": "Owned by analytics.\nPage them.", "x": 5.0, "y": 6.0}],
        "viewport": {"x": TRICKY[5], "y": 12.345678901234567, "zoom": 0.3333333333333333},
        "hidden_edge_ids": [],
    }


def test_save_then_load_returns_the_layout_exactly(client: TestClient, admin: Caller) -> None:
    ids = nodes(client, admin, "a", "b")
    layout = full_layout(ids)
    created = post(client, admin, {"name": "Flow", "layout": layout})
    assert get(client, admin, created["id"])["layout"] == layout
    assert created["layout"] == layout


def test_stored_floats_are_bit_identical(client: TestClient, admin: Caller) -> None:
    ids = nodes(client, admin, "a", "b")
    created = post(client, admin, {"name": "Flow", "layout": full_layout(ids)})
    loaded = get(client, admin, created["id"])["layout"]
    got = [loaded["nodes"][0]["x"], loaded["nodes"][0]["y"], loaded["nodes"][1]["x"]]
    assert [v.hex() for v in got] == [v.hex() for v in TRICKY[:3]]


def test_a_new_dashboard_starts_at_version_1_with_an_etag(
    client: TestClient, admin: Caller
) -> None:
    r = client.post(URL, json=body(), headers=admin.headers)
    assert r.status_code == 201
    assert r.json()["version"] == 1
    assert r.headers["ETag"] == '"1"'
    got = client.get(f"{URL}/{r.json()['id']}", headers=admin.headers)
    assert got.headers["ETag"] == '"1"'


def test_fields_of_a_dashboard(client: TestClient, admin: Caller) -> None:
    ids = nodes(client, admin, "a")
    created = post(
        client,
        admin,
        {
            "name": " Revenue ",
            "description": "From orders to the board deck",
            "owner": "analytics",
            "tags": ["Finance", "tier-1"],
            "layout": {"nodes": placed(ids)},
        },
    )
    assert created["name"] == "Revenue"
    assert created["tags"] == ["finance", "tier-1"]
    assert created["created_by"] == admin.username
    assert created["node_count"] == 1
    assert created["created_at"] == created["updated_at"]


def test_viewer_reads_but_cannot_write(client: TestClient, admin: Caller, viewer: Caller) -> None:
    created = post(client, admin, body())
    assert client.get(f"{URL}/{created['id']}", headers=viewer.headers).status_code == 200
    assert client.get(URL, headers=viewer.headers).status_code == 200
    r = client.patch(
        f"{URL}/{created['id']}", json={"description": "x", "version": 1}, headers=viewer.headers
    )
    assert r.status_code == 403
    assert client.post(URL, json=body("other"), headers=viewer.headers).status_code == 403


def test_names_are_unique(client: TestClient, admin: Caller) -> None:
    first = post(client, admin, body("Flow"))
    r = client.post(URL, json=body("Flow"), headers=admin.headers)
    assert r.status_code == 409
    assert r.json()["existing_id"] == first["id"]
    assert r.json()["errors"] == [{"field": "body.name", "message": "must be unique"}]


def test_renaming_onto_another_dashboard_is_409(client: TestClient, admin: Caller) -> None:
    post(client, admin, body("Flow"))
    other = post(client, admin, body("Other"))
    r = client.patch(
        f"{URL}/{other['id']}", json={"name": "Flow", "version": 1}, headers=admin.headers
    )
    assert r.status_code == 409
    assert get(client, admin, other["id"])["name"] == "Other"


def test_patch_changes_only_the_fields_sent(client: TestClient, admin: Caller) -> None:
    ids = nodes(client, admin, "a")
    created = post(
        client,
        admin,
        {"name": "Flow", "owner": "ann", "tags": ["x"], "layout": {"nodes": placed(ids)}},
    )
    r = client.patch(
        f"{URL}/{created['id']}",
        json={"description": "now documented", "version": 1},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["description"], got["owner"], got["tags"]) == ("now documented", "ann", ["x"])
    assert got["layout"] == created["layout"]
    assert got["version"] == 2
    assert r.headers["ETag"] == '"2"'


def test_put_replaces_every_field(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, {**body("Flow"), "owner": "ann", "tags": ["x"]})
    r = client.put(
        f"{URL}/{created['id']}",
        json={"name": "Flow v2", "layout": {"notes": []}, "version": 1},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["name"], got["owner"], got["tags"], got["version"]) == ("Flow v2", None, [], 2)


def test_a_write_that_changes_nothing_keeps_the_version(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, {**body("Flow"), "owner": "ann"})
    r = client.patch(
        f"{URL}/{created['id']}", json={"owner": "ann", "version": 1}, headers=admin.headers
    )
    assert r.json()["version"] == 1
    assert audit_actions(client, admin, created["id"]) == ["dashboard.create"]


def test_delete_removes_the_dashboard(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, body())
    assert client.delete(f"{URL}/{created['id']}", headers=admin.headers).status_code == 204
    r = client.get(f"{URL}/{created['id']}", headers=admin.headers)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_duplicate_copies_layout_and_tags_at_version_1(client: TestClient, admin: Caller) -> None:
    ids = nodes(client, admin, "a", "b")
    source = post(client, admin, {"name": "Flow", "tags": ["gold"], "layout": full_layout(ids)})
    client.patch(f"{URL}/{source['id']}", json={"owner": "bo", "version": 1}, headers=admin.headers)
    r = client.post(f"{URL}/{source['id']}/duplicate", headers=admin.headers)
    assert r.status_code == 201, r.text
    copy = r.json()
    assert (copy["name"], copy["version"], copy["owner"]) == ("Flow (copy)", 1, "bo")
    assert copy["layout"] == source["layout"]
    assert copy["tags"] == ["gold"]
    assert copy["id"] != source["id"]


def test_duplicate_picks_the_next_free_copy_name(client: TestClient, admin: Caller) -> None:
    source = post(client, admin, body("Flow"))
    for expected in ("Flow (copy)", "Flow (copy 2)"):
        r = client.post(f"{URL}/{source['id']}/duplicate", headers=admin.headers)
        assert r.json()["name"] == expected


def test_duplicate_under_a_chosen_name(client: TestClient, admin: Caller) -> None:
    source = post(client, admin, body("Flow"))
    r = client.post(
        f"{URL}/{source['id']}/duplicate", json={"name": "Flow for Q3"}, headers=admin.headers
    )
    assert r.json()["name"] == "Flow for Q3"
    r = client.post(f"{URL}/{source['id']}/duplicate", json={"name": "Flow"}, headers=admin.headers)
    assert r.status_code == 409


def test_every_change_is_audited(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, body("Flow"))
    path = f"{URL}/{created['id']}"
    client.patch(path, json={"owner": "x", "version": 1}, headers=admin.headers)
    copy = client.post(f"{path}/duplicate", headers=admin.headers).json()
    client.delete(path, headers=admin.headers)
    assert audit_actions(client, admin, created["id"]) == [
        "dashboard.delete",
        "dashboard.update",
        "dashboard.create",
    ]
    assert audit_actions(client, admin, copy["id"]) == ["dashboard.duplicate"]


def test_update_audit_names_the_changed_fields(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, {**body("Flow"), "owner": "ann"})
    client.patch(
        f"{URL}/{created['id']}", json={"owner": "bob", "version": 1}, headers=admin.headers
    )
    records = client.get(
        f"/api/v1/audit?action=dashboard.update&target_id={created['id']}",
        headers=admin.headers,
    ).json()["items"]
    assert records[0]["changes"]["owner"] == {"from": "ann", "to": "bob"}
    assert records[0]["changes"]["version"] == 2
    assert "layout" not in records[0]["changes"]


def test_unknown_dashboard_is_404(client: TestClient, admin: Caller) -> None:
    missing = "00000000-0000-4000-8000-000000000009"
    assert client.get(f"{URL}/{missing}", headers=admin.headers).status_code == 404
    r = client.patch(f"{URL}/{missing}", json={"version": 1}, headers=admin.headers)
    assert r.status_code == 404
