"""Checks wait on the network without blocking the API or holding the database."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Caller
from tests.health.conftest import SilentServer
from tests.nodes.factories import create, dataset


def hanging_pg(name: str, port: int) -> dict[str, Any]:
    connection = {"host": "127.0.0.1", "port": port, "database": "x", "user": "u"}
    return {
        "kind": "postgres",
        "namespace": "postgres://hang",
        "name": name,
        "connection": {**connection, "connect_timeout": 3},
    }


def test_the_api_answers_reads_and_writes_while_check_all_waits(
    app: FastAPI, client: TestClient, admin: Caller, silent_server: SilentServer
) -> None:
    for i in range(3):
        create(client, admin, hanging_pg(f"hang{i}", silent_server.port))

    async def scenario() -> tuple[int, int, bool, dict[str, Any]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dlv") as api:
            run = asyncio.create_task(
                api.post("/api/v1/health/check-all?concurrency=3", headers=admin.headers)
            )
            # Once a check holds a connection to the silent server, it is waiting on the network.
            assert await asyncio.to_thread(silent_server.accepted.wait, 10)
            write = await api.post("/api/v1/nodes", json=dataset("new"), headers=admin.headers)
            read = await api.get("/api/v1/health/summary", headers=admin.headers)
            still_running = not run.done()
            counts = (await run).json()
        return write.status_code, read.status_code, still_running, counts

    write, read, still_running, counts = asyncio.run(scenario())
    assert (write, read) == (201, 200)
    assert still_running
    assert (counts["checked"], counts["error"]) == (3, 3)
