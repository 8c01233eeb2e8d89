"""Real-time stream benchmark: N connected WebSocket clients, a status change reaches them all.

    python -m bench.stream --db sqlite --clients 1000 --rounds 20
    python -m bench.stream --db postgresql

A fresh database is migrated and one ``dlv serve`` process (uvicorn, one worker) started on
it. ``--clients`` WebSocket clients (this process, one asyncio loop) connect and authenticate
with one API token. Then, ``--rounds`` times, an OpenLineage event (FAIL, then COMPLETE, in
turn) posted to the server flips a job's status; each client notes when the ``node.status``
event reached it. Printed: delivery latency p50/p99/max (posting the event to receipt, over
every client and round), the server's RSS before and after the clients connected (memory per
idle connection), and the baseline: the UI before the stream polled status every 15 s
(``STATUS_POLL_MS``), so a change showed after half the interval on average and up to the
whole interval (p99 14.85 s), for every open page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench.common import database, free_port, wait_ready
from dlv import migrate
from dlv.auth import service as auth_service
from dlv.auth.models import TokenScope
from dlv.auth.principal import SYSTEM
from dlv.auth.schemas import TokenCreate
from dlv.db import make_engine, make_sessionmaker

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
POLL_BASELINE_SECONDS = 15.0  # ui/src/api/queries.ts STATUS_POLL_MS before the stream
JOB = "bench-stream-job"


def admin_token(url: str) -> str:
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        _, secret = auth_service.create_token(
            session, SYSTEM, TokenCreate(name="bench", scope=TokenScope.admin)
        )
    engine.dispose()
    return secret


@contextmanager
def server(url: str, home: Path, *, deflate: bool) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "DLV_DATABASE_URL": url, "DLV_SECRET_KEY": SECRET}
    env |= {"DLV_HOME": str(home), "DLV_MONITOR": "off"}
    cmd = [sys.executable, "-m", "uvicorn", "dlv.app:create_app", "--factory"]
    cmd += ["--port", str(port), "--log-level", "warning", "--backlog", "4096"]
    cmd += ["--ws-per-message-deflate", str(deflate).lower()]  # False: as `dlv serve` runs
    cmd += ["--ws", os.environ.get("DLV_BENCH_WS", "auto")]
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run_event(event_type: str, run_id: str) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": datetime.now(UTC).isoformat(),
        "producer": "https://example.com/bench-stream",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id},
        "job": {"namespace": "bench", "name": JOB},
        "inputs": [],
        "outputs": [],
    }


class Client:
    def __init__(self) -> None:
        self.received: dict[str, float] = {}  # new status -> when it arrived (monotonic)
        self.ws: ClientConnection | None = None

    async def open(self, url: str, token: str) -> None:
        self.ws = await connect(url, open_timeout=120, max_queue=None)
        first = {"token": token, "kinds": ["node.status"]}
        await self.ws.send(json.dumps(first))
        hello = json.loads(await self.ws.recv())
        assert hello["type"] == "hello", hello

    async def listen(self) -> None:
        assert self.ws is not None
        async for raw in self.ws:
            message = json.loads(raw)
            if message.get("kind") == "node.status":
                self.received[message["id"]] = time.monotonic()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(base: str, pid: int, token: str, clients: int, rounds: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    ws_url = base.replace("http://", "ws://") + "/api/v1/stream"
    async with httpx.AsyncClient(timeout=60) as http:
        # One request first: the job exists, the process has loaded what it lazily loads.
        r = await http.post(
            f"{base}/api/v1/lineage", json=run_event("START", str(uuid.uuid4())), headers=headers
        )
        r.raise_for_status()
        await asyncio.sleep(1)
        before = rss_kib(pid)
        crowd = [Client() for _ in range(clients)]
        started = time.monotonic()
        for i in range(0, clients, 50):
            await asyncio.gather(*(c.open(ws_url, token) for c in crowd[i : i + 50]))
        connect_seconds = time.monotonic() - started
        await asyncio.sleep(2)
        after = rss_kib(pid)
        listeners = [asyncio.create_task(c.listen()) for c in crowd]
        latencies: list[float] = []
        spreads: list[float] = []  # first to last client of a round: the fan-out
        for n in range(rounds):
            sent = time.monotonic()
            kind = "FAIL" if n % 2 == 0 else "COMPLETE"
            r = await http.post(
                f"{base}/api/v1/lineage", json=run_event(kind, str(uuid.uuid4())), headers=headers
            )
            r.raise_for_status()
            # Polled, not awaited: the receipt times are taken by the listeners themselves.
            deadline = time.monotonic() + 30
            while (  # noqa: ASYNC110
                time.monotonic() < deadline and any(len(c.received) <= n for c in crowd)
            ):
                await asyncio.sleep(0.01)
            missing = sum(1 for c in crowd if len(c.received) <= n)
            if missing:
                raise SystemExit(f"round {n}: {missing} clients never got the change")
            arrived = [sorted(c.received.items(), key=lambda kv: int(kv[0]))[n][1] for c in crowd]
            latencies.extend(at - sent for at in arrived)
            spreads.append(max(arrived) - min(arrived))
            await asyncio.sleep(0.5)
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        await asyncio.gather(*(c.ws.close() for c in crowd if c.ws))
    print(f"clients: {clients}, rounds: {rounds}, deliveries: {len(latencies)}")
    print(f"connect + authenticate all: {connect_seconds:.1f} s")
    print(
        f"stream latency (post -> received): p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {pct(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    spread = statistics.median(spreads) * 1000
    print(
        f"fan-out (first to last client of a change): median {spread:.0f} ms, "
        f"max {max(spreads) * 1000:.0f} ms"
    )
    print(
        f"server RSS: {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB with the clients: "
        f"{(after - before) / clients:.1f} KiB per idle connection"
    )
    print(
        f"baseline (the UI's polling every {POLL_BASELINE_SECONDS:g} s): p50 "
        f"{POLL_BASELINE_SECONDS / 2:.1f} s, p99 {POLL_BASELINE_SECONDS * 0.99:.2f} s, "
        f"and {clients / POLL_BASELINE_SECONDS:.0f} requests/s per polled query for {clients} pages"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--deflate", action="store_true", help="permessage-deflate on (uvicorn's default)"
    )
    args = parser.parse_args()
    with database(args.db) as url, tempfile.TemporaryDirectory() as home:
        migrate.upgrade(url)
        token = admin_token(url)
        with server(url, Path(home), deflate=args.deflate) as (base, pid):
            print(
                f"database: {args.db}; permessage-deflate {'on' if args.deflate else 'off'}; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            asyncio.run(bench(base, pid, token, args.clients, args.rounds))


if __name__ == "__main__":
    main()
