"""A failed check shows in impact reports: a system's datasets are affected through containment."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.nodes.factories import create, dataset
from tests.servers import free_port


class Shop:
    """A postgres system that cannot be reached, with one dataset in it."""

    def __init__(self, client: TestClient, admin: Caller) -> None:
        self.client, self.admin = client, admin
        connection = {"host": "127.0.0.1", "port": free_port(), "database": "shop", "user": "u"}
        self.db = create(
            client,
            admin,
            {
                "kind": "postgres",
                "namespace": "postgres://shop",
                "name": "shop",
                "connection": connection,
            },
        )["id"]
        self.orders = create(
            client, admin, dataset("public.orders", namespace="postgres://shop", parent_id=self.db)
        )["id"]
        r = client.post(f"/api/v1/nodes/{self.db}/test-connection", headers=admin.headers)
        assert r.json()["status"] == "error"

    def impact(self, node_id: str, direction: str) -> Any:
        r = self.client.get(
            f"/api/v1/nodes/{node_id}/impact?direction={direction}", headers=self.admin.headers
        )
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def shop(client: TestClient, admin: Caller) -> Shop:
    return Shop(client, admin)


def test_a_failed_system_reports_its_datasets_as_affected(shop: Shop) -> None:
    report = shop.impact(shop.db, "downstream")
    assert report["root"]["status"] == "error"
    assert report["root"]["status_message"].startswith("Connection refused")
    assert [n["id"] for n in report["affected"]] == [shop.orders]


def test_a_dataset_names_its_failed_system_as_the_likely_cause(shop: Shop) -> None:
    report = shop.impact(shop.orders, "upstream")
    assert report["in_error"] == []  # no data flows from a server to its tables
    assert [(n["id"], n["status"]) for n in report["parents"]] == [(shop.db, "error")]
    assert [n["id"] for n in report["likely_root_causes"]] == [shop.db]
    assert report["likely_root_causes"][0]["distance"] is None
