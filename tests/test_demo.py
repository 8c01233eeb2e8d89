from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dlv.cli.main import app as cli
from dlv.config import get_settings
from tests.conftest import SECRET_KEY, Caller


@pytest.fixture
def run_demo(database_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("DLV_DATABASE_URL", database_url)
    monkeypatch.setenv("DLV_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("DLV_HOME", str(tmp_path))

    def run() -> str:
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli, ["demo"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        return result.output

    return run


def test_demo_loads_a_platform_with_meaningful_impact(
    client: TestClient, admin: Caller, run_demo: object
) -> None:
    assert "Loaded" in run_demo()  # type: ignore[operator]
    nodes = client.get("/api/v1/nodes?q=raw.orders", headers=admin.headers).json()["items"]
    raw_orders = next(n for n in nodes if n["name"] == "shop.raw.orders")
    report = client.get(f"/api/v1/nodes/{raw_orders['id']}/impact", headers=admin.headers).json()
    names = {n["name"] for n in report["affected"]}
    assert {"shop.mart.fct_revenue", "features/customer_ltv"} <= names
    assert "finance-analytics" in {o["owner"] for o in report["owners"]}


def test_demo_twice_changes_nothing(client: TestClient, admin: Caller, run_demo: object) -> None:
    run_demo()  # type: ignore[operator]
    before = client.get("/api/v1/nodes?limit=500", headers=admin.headers).json()["items"]
    assert "already loaded" in run_demo()  # type: ignore[operator]
    after = client.get("/api/v1/nodes?limit=500", headers=admin.headers).json()["items"]
    assert len(before) == len(after) == 19  # 3 systems, 9 datasets, 7 jobs
