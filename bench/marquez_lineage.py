"""Marquez-compatible lineage against DLV's own lineage route, on the same graph and roots.

    .venv/bin/python bench/marquez_lineage.py                      # 20k nodes / 100k edges
    .venv/bin/python bench/marquez_lineage.py --nodes 200000 --edges 1000000 --backends sqlite

The graph is bench/graphgen.py's (as bench/impact.py), loaded with `dlv graph import`; one
real `dlv serve` answers both routes over HTTP, for the same random dataset and job roots:

* DLV:     GET /api/v1/nodes/{id}/lineage?direction=both&depth=H&limit=L
* Marquez: GET /api/v1/lineage?nodeId=dataset:NS:NAME&depth=D&limit=L

Marquez's walk is undirected with ``depth`` in jobs; the DLV route is given the same number of
hops (``dlv.marquez.graph.hops``). The two walks differ (Marquez's also reaches sibling
consumers), so each answer's node count is printed with its time, and the per-node cost too.
Target: the Marquez route within 1.5x of DLV's.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import wait_ready
from bench.impact import DLV, database, env, graph_document, graph_options, load
from dlv.db import make_engine
from dlv.marquez.graph import hops

LIMIT = 10_000
PORT = 18766


def pick_roots(url: str, count: int, seed: int) -> list[tuple[str, str, str, str]]:
    """(id, kind, namespace, name) of random datasets and jobs."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, kind, namespace, name FROM nodes WHERE kind IN ('dataset', 'job')")
        ).all()
    engine.dispose()
    rng = random.Random(seed)
    return [(str(r[0]), r[1], r[2], r[3]) for r in rng.sample(rows, count)]


def serve(url: str) -> subprocess.Popen[bytes]:
    server_env = {**env(url), "DLV_BOOTSTRAP_ADMIN_PASSWORD": "bench-password"}
    return subprocess.Popen(
        [DLV, "serve", "--port", str(PORT)],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def timed_get(client: httpx.Client, path: str, params: dict[str, Any]) -> tuple[float, Any, int]:
    started = time.perf_counter()
    r = client.get(path, params=params)
    elapsed = time.perf_counter() - started
    r.raise_for_status()
    return elapsed, r.json(), len(r.content)


def bench(url: str, args: argparse.Namespace) -> dict[str, list[float]]:
    roots = pick_roots(url, args.queries, args.seed)
    proc = serve(url)
    base = f"http://127.0.0.1:{PORT}"
    try:
        wait_ready(base, proc, 600)  # a big graph: the lineage index loads at start-up
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "admin", "password": "bench-password"}
        ).json()["access_token"]
        out: dict[str, list[float]] = {
            k: [] for k in ("dlv", "marquez", "dlv_n", "marquez_n", "dlv_b", "marquez_b")
        }
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            for i, (node_id, kind, ns, name) in enumerate(roots):
                depth_hops = hops(args.depth, kind == "dataset")
                own = (
                    f"/api/v1/nodes/{node_id}/lineage",
                    {"direction": "both", "depth": depth_hops, "limit": LIMIT},
                )
                marquez = (
                    "/api/v1/lineage",
                    {"nodeId": f"{kind}:{ns}:{name}", "depth": args.depth, "limit": LIMIT},
                )
                # Alternate which goes first: neither always finds the caches warm.
                order = [("dlv", own), ("marquez", marquez)]
                for label, (path, params) in order if i % 2 == 0 else order[::-1]:
                    elapsed, body, size = timed_get(client, path, params)
                    nodes = len(body["nodes"] if label == "dlv" else body["graph"])
                    out[label].append(elapsed)
                    out[f"{label}_n"].append(nodes)
                    out[f"{label}_b"].append(size)
        return out
    finally:
        proc.terminate()
        proc.wait(30)


def report(backend: str, res: dict[str, list[float]]) -> None:
    dlv, marquez = statistics.median(res["dlv"]), statistics.median(res["marquez"])
    dlv_n, marquez_n = statistics.median(res["dlv_n"]), statistics.median(res["marquez_n"])
    per = [t / max(n, 1) for t, n in zip(res["dlv"], res["dlv_n"], strict=True)]
    per_m = [t / max(n, 1) for t, n in zip(res["marquez"], res["marquez_n"], strict=True)]
    print(f"\n== {backend}: {len(res['dlv'])} roots, HTTP, medians")
    dlv_mb, marquez_mb = (
        statistics.median(res["dlv_b"]) / 1e6,
        statistics.median(res["marquez_b"]) / 1e6,
    )
    print(
        f"DLV     GET /nodes/{{id}}/lineage  {dlv * 1000:8.2f} ms  "
        f"({dlv_n:.0f} nodes, {dlv_mb:.1f} MB)"
    )
    print(
        f"Marquez GET /lineage?nodeId=     {marquez * 1000:8.2f} ms  "
        f"({marquez_n:.0f} nodes, {marquez_mb:.1f} MB)"
    )
    print(f"ratio Marquez / DLV              {marquez / dlv:8.2f} x  (target <= 1.5)")
    per_dlv, per_marquez = statistics.median(per) * 1e6, statistics.median(per_m) * 1e6
    print(f"per node: DLV {per_dlv:.1f} us, Marquez {per_marquez:.1f} us")


def main() -> None:
    parser = graph_options(__doc__.split("\n\n")[0])
    parser.add_argument("--depth", type=int, default=20, help="Marquez's depth (jobs away)")
    args = parser.parse_args()
    document = graph_document(args)
    print(f"machine: {os.cpu_count()} cores; graph {args.nodes} nodes, {args.edges} edges")
    for backend in args.backends.split(","):
        with database(backend, "marquez", reuse=False) as url:
            load(url, document)
            report(backend, bench(url, args))


if __name__ == "__main__":
    main()
