"""Web UI benchmark: the lineage explorer in headless Chromium against a real `dlv serve`.

    make ui && .venv/bin/python bench/ui.py            # 500 and 2,000 nodes, 5 runs each
    .venv/bin/python bench/ui.py --sizes 500 2000 5000 --runs 3
    .venv/bin/python bench/ui.py --dashboard-nodes 0   # the explorer only

Imports one downstream lineage per size (a root dataset and a layered DAG below it: jobs
between datasets, fan-out of up to three, a fifth of the nodes with a second producer) into a
fresh SQLite instance, serves it with the built UI, and measures in Debian's chromium
(ui/bench/explorer.mjs, Playwright driving it):

- time from navigation to the graph drawn and interactive (every node placed, two frames
  painted after), cold cache, median of the runs, with `all=1` so the explorer draws every
  node instead of offering grouping;
- frame times while dragging the canvas around for two seconds (p50, p95, max);
- the JavaScript shipped before the first screen (the sign-in page; the explorer opened from
  a link), as gzip-compressed bytes;
- a saved dashboard of 1,000 nodes (made with `from-lineage` of the smallest graph that has
  them): navigation to its canvas drawn and interactive, and the frame times panning it as
  opened (every node in view) and zoomed in.

Targets: drawn under 1.5 s at 2,000 nodes, p95 frame time under 33 ms, under 400 KB of
gzipped JavaScript before the first screen; the 1,000-node dashboard open to interactive under
1.5 s, pan p95 under 33 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import free_port, wait_ready

ROOT = Path(__file__).resolve().parent.parent
DLV = str(Path(sys.executable).parent / "dlv")
PASSWORD = "bench harbour lantern 42"
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopq"
NAMESPACES = ["postgres://warehouse:5432", "s3://lake", "airflow", "spark", "kafka://events"]
OWNERS = [f"team-{name}" for name in ("data", "finance", "ml", "growth", "ops", "risk")]


def graph_document(sizes: list[int], seed: int = 7) -> dict[str, Any]:
    """One downstream DAG per size, each below its own root `bench_root_<size>`."""
    rng = random.Random(seed)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []

    def ref(node: dict[str, Any]) -> dict[str, str]:
        return {"namespace": node["namespace"], "name": node["name"]}

    for size in sizes:
        root: dict[str, Any] = {"kind": "dataset", "namespace": NAMESPACES[0]}
        root["name"] = f"bench_root_{size}"
        made = [root]
        layer = [root]
        while len(made) < size:
            nxt = []
            for parent in layer:
                for _ in range(rng.randint(1, 3)):
                    if len(made) >= size:
                        break
                    kind = "job" if parent["kind"] == "dataset" else "dataset"
                    i = len(made)
                    ns = NAMESPACES[(i * 7) % len(NAMESPACES)]
                    child: dict[str, Any] = {"kind": kind, "namespace": ns}
                    child["name"] = f"b{size}_{kind}_{i}"
                    made.append(child)
                    nxt.append(child)
                    edges.append({"source": ref(parent), "target": ref(child)})
                    # A second producer from the same layer: lineage is a DAG, not a tree.
                    if rng.random() < 0.2 and len(layer) > 1:
                        other = rng.choice(layer)
                        if other is not parent and other["kind"] == parent["kind"]:
                            edges.append({"source": ref(other), "target": ref(child)})
            layer = nxt or layer
        for node in made:
            node["owners"] = [rng.choice(OWNERS)]
            node["tags"] = []
        nodes.extend(made)
    return {"format": "dlv-graph", "version": 1, "nodes": nodes, "edges": edges, "dashboards": []}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--dashboard-nodes", type=int, default=1000, help="nodes on the dashboard (0: none)"
    )
    args = parser.parse_args(argv)
    dist = ROOT / "ui" / "dist"
    if not (dist / "index.html").exists():
        sys.exit("ui/dist is not built: run `make ui` first")

    with tempfile.TemporaryDirectory(prefix="dlv-bench-ui-") as tmp:
        home = Path(tmp)
        env = {
            **os.environ,
            "DLV_HOME": str(home),
            "DLV_SECRET_KEY": SECRET,
            "DLV_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD,
            "DLV_UI_DIR": str(dist),
            "DLV_LOG_LEVEL": "WARNING",
        }
        document = home / "graph.json"
        document.write_text(json.dumps(graph_document(args.sizes)))
        subprocess.run([DLV, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run(
            [DLV, "graph", "import", str(document)], env=env, check=True, capture_output=True
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [DLV, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(url, server, 60)
            login = {"username": "admin", "password": PASSWORD}
            token = httpx.post(f"{url}/api/v1/auth/token", data=login).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            roots = []
            for size in args.sizes:
                found = httpx.get(
                    f"{url}/api/v1/nodes", params={"name": f"bench_root_{size}"}, headers=headers
                ).json()["items"]
                roots.append({"nodes": size, "id": found[0]["id"]})
            board = dashboard(url, headers, roots, args.dashboard_nodes)
            result = subprocess.run(
                ["node", "bench/explorer.mjs"],
                cwd=ROOT / "ui",
                env={
                    **os.environ,
                    "DLV_BENCH_URL": url,
                    "DLV_BENCH_TOKEN": token,
                    "DLV_BENCH_ROOTS": json.dumps(roots),
                    "DLV_BENCH_RUNS": str(args.runs),
                    "DLV_BENCH_DASHBOARD": json.dumps(board) if board else "",
                },
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            )
        finally:
            server.terminate()
            server.wait(10)
    report(json.loads(result.stdout.strip().splitlines()[-1]))


def dashboard(
    url: str, headers: dict[str, str], roots: list[dict[str, Any]], nodes: int
) -> dict[str, Any] | None:
    """A saved dashboard of ``nodes`` nodes: the downstream lineage of the smallest graph
    that has as many, nearest first, laid out by the server."""
    big_enough = [r for r in roots if r["nodes"] >= nodes]
    if nodes <= 0 or not big_enough:
        return None
    root = min(big_enough, key=lambda r: r["nodes"])
    body = {
        "root_id": root["id"],
        "direction": "downstream",
        "depth": None,
        "limit": nodes,
        "name": f"bench {nodes} nodes",
    }
    r = httpx.post(f"{url}/api/v1/dashboards/from-lineage", json=body, headers=headers, timeout=60)
    r.raise_for_status()
    return {"nodes": r.json()["node_count"], "id": r.json()["id"]}


def kb(n: float) -> str:
    return f"{n / 1024:.0f} KB"


def report(data: dict[str, Any]) -> None:
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"load average before the report: {load}")
    for label, shipped in (("sign-in page", data["signIn"]), ("explorer link", data["explorer"])):
        if shipped:
            files = ", ".join(f"{f['file']} {kb(f['gzip'])}" for f in shipped["files"])
            print(
                f"JS before the first screen, {label}: {kb(shipped['gzip'])} gzipped "
                f"({kb(shipped['raw'])} raw, {kb(shipped['wire'])} on the wire) [{files}] "
                "(target < 400 KB gzipped)"
            )
    print()
    print(
        "| nodes | drawn + interactive, median (runs) | layout | pan p50 / p95 / max "
        "| same, whole graph fitted in view |"
    )
    print("| --- | --- | --- | --- | --- |")
    for g in data["graphs"]:
        runs = ", ".join(f"{ms:.0f}" for ms in g["drawnMs"])
        pan, fit = g["panning"], g["panning"]["fitted"]
        print(
            f"| {g['nodes']:,} | {g['medianMs']:.0f} ms ({runs}) | {g['layout']} "
            f"{g['layoutMs']} ms, {g['rendered']} of {g['nodes']} in the DOM | "
            f"{pan['p50']:.1f} / {pan['p95']:.1f} / {pan['max']:.1f} ms "
            f"({pan['frames']} frames) | {fit['p50']:.1f} / {fit['p95']:.1f} / "
            f"{fit['max']:.1f} ms ({fit['inDom']} nodes in the DOM) |"
        )
    print("targets: drawn < 1,500 ms at 2,000 nodes; pan p95 < 33 ms")
    d = data.get("dashboard")
    if d:
        runs = ", ".join(f"{ms:.0f}" for ms in d["drawnMs"])
        pan, close = d["panning"], d["panning"]["zoomedIn"]
        print()
        print(
            "| dashboard nodes | open to interactive, median (runs) "
            "| pan as opened p50 / p95 / max | pan zoomed in |"
        )
        print("| --- | --- | --- | --- |")
        print(
            f"| {d['nodes']:,} | {d['medianMs']:.0f} ms ({runs}; its GET sent-answered at "
            f"{', '.join(f'{a:.0f}-{b:.0f}' for a, b in d['apiMsAll'])} ms), "
            f"{d['rendered']} in the DOM | "
            f"{pan['p50']:.1f} / {pan['p95']:.1f} / {pan['max']:.1f} ms ({pan['frames']} frames) | "
            f"{close['p50']:.1f} / {close['p95']:.1f} / {close['max']:.1f} ms "
            f"({close['inDom']} nodes in the DOM) |"
        )
        print("targets: dashboard of 1,000 nodes open to interactive < 1,500 ms; pan p95 < 33 ms")


if __name__ == "__main__":
    main()
