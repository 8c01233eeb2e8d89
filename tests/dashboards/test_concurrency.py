"""Two editors: every write names its base version; a stale one is refused and loses nothing."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.dashboards.factories import URL, body, get, nodes, placed, post


def test_the_stale_editor_gets_409_and_the_first_write_survives(
    client: TestClient, admin: Caller
) -> None:
    a, b = nodes(client, admin, "a", "b")
    created = post(client, admin, body(nodes=placed([a])))
    path = f"{URL}/{created['id']}"
    alice, bob = get(client, admin, created["id"]), get(client, admin, created["id"])
    alice_layout = {"nodes": placed([a, b])}
    r = client.put(
        path,
        json={"name": alice["name"], "layout": alice_layout, "version": alice["version"]},
        headers=admin.headers,
    )
    assert r.status_code == 200
    r = client.put(
        path,
        json={"name": "Bob's rename", "layout": {"nodes": []}, "version": bob["version"]},
        headers=admin.headers,
    )
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["current_version"] == 2
    assert r.json()["type"].endswith("/stale-version")
    now = get(client, admin, created["id"])
    assert (now["name"], now["layout"]["nodes"], now["version"]) == (
        alice["name"],
        alice_layout["nodes"],
        2,
    )


def test_the_stale_editor_can_save_after_reloading(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, body())
    path = f"{URL}/{created['id']}"
    client.patch(path, json={"owner": "alice", "version": 1}, headers=admin.headers)
    r = client.patch(path, json={"description": "bob", "version": 1}, headers=admin.headers)
    current = r.json()["current_version"]
    r = client.patch(path, json={"description": "bob", "version": current}, headers=admin.headers)
    assert r.status_code == 200
    assert (r.json()["owner"], r.json()["description"], r.json()["version"]) == ("alice", "bob", 3)


def test_if_match_carries_the_base_version(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, body())
    path = f"{URL}/{created['id']}"
    etag = client.get(path, headers=admin.headers).headers["ETag"]
    r = client.patch(path, json={"owner": "x"}, headers={**admin.headers, "If-Match": etag})
    assert r.status_code == 200
    r = client.patch(path, json={"owner": "y"}, headers={**admin.headers, "If-Match": etag})
    assert r.status_code == 409
    assert r.headers["ETag"] == '"2"'


def test_a_weak_etag_is_accepted(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, body())
    r = client.patch(
        f"{URL}/{created['id']}",
        json={"owner": "x"},
        headers={**admin.headers, "If-Match": 'W/"1"'},
    )
    assert r.status_code == 200


def test_a_write_without_a_base_version_is_428(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, body())
    r = client.patch(f"{URL}/{created['id']}", json={"owner": "x"}, headers=admin.headers)
    assert r.status_code == 428
    assert r.json()["errors"][0]["field"] == "body.version"
    assert get(client, admin, created["id"])["owner"] is None


def test_a_malformed_if_match_is_422(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, body())
    r = client.patch(
        f"{URL}/{created['id']}", json={"owner": "x"}, headers={**admin.headers, "If-Match": "*"}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "header.If-Match"


def test_if_match_and_body_version_must_agree(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, body())
    r = client.patch(
        f"{URL}/{created['id']}",
        json={"owner": "x", "version": 1},
        headers={**admin.headers, "If-Match": '"2"'},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "header.If-Match"


def test_a_stale_delete_is_refused(client: TestClient, admin: Caller) -> None:
    created = post(client, admin, body())
    path = f"{URL}/{created['id']}"
    client.patch(path, json={"owner": "x", "version": 1}, headers=admin.headers)
    r = client.delete(path, headers={**admin.headers, "If-Match": '"1"'})
    assert r.status_code == 409
    assert client.get(path, headers=admin.headers).status_code == 200


def test_of_simultaneous_writers_from_one_version_exactly_one_wins(
    client: TestClient, admin: Caller
) -> None:
    created = post(client, admin, body())
    path = f"{URL}/{created['id']}"
    writers = 6
    start = threading.Barrier(writers)
    answers: dict[int, Any] = {}

    def save(i: int) -> None:
        start.wait()
        r = client.patch(
            path, json={"description": f"writer {i}", "version": 1}, headers=admin.headers
        )
        answers[i] = (r.status_code, r.json())

    threads = [threading.Thread(target=save, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, (status, _) in answers.items() if status == 200]
    assert len(winners) == 1
    assert sorted(status for status, _ in answers.values()) == [200] + [409] * (writers - 1)
    final = get(client, admin, created["id"])
    assert (final["description"], final["version"]) == (f"writer {winners[0]}", 2)
