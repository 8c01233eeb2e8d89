"""Read-your-writes across two server processes sharing one database."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session

from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.servers import dlv_server


def names(client: httpx.Client, url: str, node_id: str) -> set[str]:
    r = client.get(f"{url}/api/v1/nodes/{node_id}/lineage")
    assert r.status_code == 200, r.text
    return {n["name"] for n in r.json()["nodes"]}


def test_a_write_through_one_process_is_visible_through_the_other(
    database_url: str, tmp_path: Path, admin: Caller, db: Session
) -> None:
    with (
        dlv_server(database_url, tmp_path / "a") as a,
        dlv_server(database_url, tmp_path / "b") as b,
        httpx.Client(headers=admin.headers, timeout=10) as client,
    ):
        ids = []
        for name in ("src", "dst"):
            r = client.post(
                f"{a}/api/v1/nodes", json={"kind": "dataset", "namespace": "ns", "name": name}
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        assert names(client, b, ids[0]) == {"src"}  # b has built its index by now
        edge = client.post(f"{a}/api/v1/edges", json={"source_id": ids[0], "target_id": ids[1]})
        assert edge.status_code == 201
        assert names(client, b, ids[0]) == {"src", "dst"}
        assert client.delete(f"{b}/api/v1/edges/{edge.json()['id']}").status_code == 204
        assert names(client, a, ids[0]) == {"src"}
        # Node facts too: b holds them in memory since its first answer.
        r = client.patch(f"{a}/api/v1/nodes/{ids[0]}", json={"name": "src_v2"})
        assert r.status_code == 200, r.text
        assert names(client, b, ids[0]) == {"src_v2"}
        db.execute(update(Node).where(Node.name == "src_v2").values(status="error"))
        db.commit()  # as a health check in a third process would
        r = client.get(f"{b}/api/v1/nodes/{ids[0]}/impact")
        assert r.status_code == 200, r.text
        assert r.json()["root"]["status"] == "error"
