"""Impact-analysis benchmark: DLV's traversal against recursive SQL, networkx and scipy.

    .venv/bin/python bench/impact.py                       # 20k nodes / 100k edges, quick
    .venv/bin/python bench/impact.py --nodes 1000000 --edges 5000000

Generates a layered lineage graph (bench/graphgen.py), loads it with `dlv graph import` (the
project's own import path) into SQLite and into a fresh PostgreSQL database, then times, on
the same random roots and in the same run:

1. DLV as served: the service layer (index traversal + the node facts kept in memory beside
   it, both synced with the change log first) and end to end over HTTP against a real
   `dlv serve`;
2. a recursive CTE over the same tables (Marquez's approach), with the same limit;
3. networkx BFS on the same graph (what a Python user would write);
4. scipy.sparse.csgraph.breadth_first_order (a native lower bound), against DLV's index
   walking the same full closure.

Also: index build time (graph and node facts) and bytes per edge, and how long a single edge
write takes to be visible to the next query. Prints every figure and the ratios.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order
from sqlalchemy import text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import graphgen
from bench.common import postgres_database, wait_ready
from dlv.auth.principal import SYSTEM
from dlv.db import make_engine, make_sessionmaker, read_only
from dlv.impact import service as impact
from dlv.impact.schemas import LineageDirection
from dlv.lineage import service as edges
from dlv.lineage.index import Direction
from dlv.lineage.live import LiveIndex
from dlv.lineage.schemas import EdgeCreate

OUT = Path(__file__).resolve().parent / "out"
DLV = str(Path(sys.executable).parent / "dlv")
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopq"
LIMIT = 10_000
CTE_TIMEOUT_S = 20


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@contextmanager
def database(backend: str, tag: str, reuse: bool) -> Iterator[str]:
    if backend == "sqlite":
        path = OUT / f"impact-{tag}.db"
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield f"sqlite:///{path}"
    else:
        with postgres_database() as url:
            yield url


def env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DLV_DATABASE_URL": url,
        "DLV_SECRET_KEY": SECRET,
        "DLV_HOME": str(OUT / "home"),
    }


def load(url: str, document: Path) -> float:
    subprocess.run([DLV, "db", "upgrade"], env=env(url), check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(
        [DLV, "graph", "import", str(document)], env=env(url), check=True, capture_output=True
    )
    return time.perf_counter() - started


def roots(session: Session, count: int, seed: int) -> list[tuple[int, uuid.UUID]]:
    total = session.execute(text("SELECT MAX(pk) FROM nodes")).scalar_one()
    rng = random.Random(seed)
    picked: list[tuple[int, uuid.UUID]] = []
    while len(picked) < count:
        pk = rng.randint(1, total)
        node_id = session.execute(text("SELECT id FROM nodes WHERE pk = :pk"), {"pk": pk}).scalar()
        if node_id is not None:
            picked.append((pk, uuid.UUID(str(node_id))))
    return picked


CTE = {
    "downstream": "SELECT e.t FROM flow e JOIN r ON e.s = r.pk",
    "upstream": "SELECT e.s FROM flow e JOIN r ON e.t = r.pk",
}


def cte_sql(direction: str) -> str:
    # Containment counts as flow, exactly as in DLV's traversal; UNION makes cycles terminate.
    return (
        "WITH RECURSIVE flow(s, t) AS ("
        " SELECT source_pk, target_pk FROM edges"
        " UNION ALL SELECT parent_pk, pk FROM nodes WHERE parent_pk IS NOT NULL),"
        f" r(pk) AS (SELECT :root UNION {CTE[direction]})"
        " SELECT n.id, n.kind, n.namespace, n.name, n.owner, n.status"
        f" FROM (SELECT pk FROM r LIMIT {LIMIT}) AS hit JOIN nodes n ON n.pk = hit.pk"
    )


def time_cte(session: Session, backend: str, root: int, direction: str) -> float | None:
    conn = session.connection()
    if backend == "postgresql":
        conn.execute(text(f"SET statement_timeout = {CTE_TIMEOUT_S * 1000}"))
    else:
        deadline = time.perf_counter() + CTE_TIMEOUT_S
        raw: Any = conn.connection.dbapi_connection
        raw.set_progress_handler(lambda: int(time.perf_counter() > deadline), 100_000)
    started = time.perf_counter()
    try:
        conn.execute(text(cte_sql(direction)), {"root": root}).all()
    except Exception:  # timed out
        session.rollback()
        return None
    finally:
        if backend == "sqlite":
            raw.set_progress_handler(None, 0)
    return time.perf_counter() - started


def arrays(session: Session) -> tuple[np.ndarray, np.ndarray, int]:
    conn = session.connection()
    flow = np.array(
        conn.execute(text("SELECT source_pk, target_pk FROM edges")).all(), dtype=np.int64
    ).reshape(-1, 2)
    contain = np.array(
        conn.execute(text("SELECT parent_pk, pk FROM nodes WHERE parent_pk IS NOT NULL")).all(),
        dtype=np.int64,
    ).reshape(-1, 2)
    pairs = np.concatenate([flow, contain])
    size = int(conn.execute(text("SELECT MAX(pk) FROM nodes")).scalar_one()) + 1
    return pairs[:, 0], pairs[:, 1], size


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def bench_backend(backend: str, document: Path, args: argparse.Namespace) -> dict[str, Any]:
    res: dict[str, Any] = {"backend": backend}
    tag = f"{args.nodes}-{args.edges}"
    reuse = args.reuse and backend == "sqlite" and (OUT / f"impact-{tag}.db").exists()
    with database(backend, tag, reuse) as url:
        res["import_s"] = float("nan") if reuse else load(url, document)
        print(f"[{backend}] imported in {res['import_s']:.1f} s", flush=True)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        live = LiveIndex()
        with factory(bind=read_only(engine)) as session:
            live.rebuild(session)
            stats = live.stats()
            res["build_s"] = live.build_seconds
            res["bytes_per_edge"] = stats.nbytes / max(stats.edges, 1)
            res["facts_per_edge"] = stats.facts_nbytes / max(stats.edges, 1)
            res["facts_per_node"] = stats.facts_nbytes / max(stats.nodes, 1)
            picked = roots(session, args.queries, args.seed)
            for direction in ("downstream", "upstream"):
                lat, sizes = [], []
                for _, node_id in picked:
                    d, graph = timed(
                        partial(
                            impact.lineage,
                            session,
                            live,
                            node_id,
                            LineageDirection(direction),
                            None,
                            LIMIT,
                        )
                    )
                    lat.append(d)
                    sizes.append(len(graph["nodes"]))
                res[f"service_{direction}"] = median(lat)
                res[f"service_{direction}_p90"] = float(np.percentile(lat, 90))
                res[f"size_{direction}"] = median([float(s) for s in sizes])
                cte = [time_cte(session, backend, pk, direction) for pk, _ in picked[: args.cte]]
                res[f"cte_{direction}"] = median([c for c in cte if c is not None])
                res[f"cte_{direction}_timeouts"] = sum(c is None for c in cte)
                # The same roots on both sides (a timeout counts as the timeout: a lower bound).
                res[f"cte_{direction}_ratio"] = median(
                    [
                        (c if c is not None else CTE_TIMEOUT_S) / d
                        for c, d in zip(cte, lat[: len(cte)], strict=True)
                    ]
                )
            src, dst, size = arrays(session)
            # Full closures: DLV's index vs scipy, no limit on either.
            matrix = csr_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(size, size))
            ours, theirs = [], []
            index = live.current(session)
            for pk, _ in picked:
                ours.append(
                    timed(
                        partial(index.traverse, [pk], Direction.downstream, follow_containment=True)
                    )[0]
                )
                theirs.append(
                    timed(
                        partial(
                            breadth_first_order,
                            matrix,
                            pk,
                            directed=True,
                            return_predecessors=False,
                        )
                    )[0]
                )
            res["index_full"], res["scipy_full"] = median(ours), median(theirs)
            in_nx: list[int] = []
            if args.networkx:
                build, graph = timed(
                    lambda: nx.DiGraph(zip(src.tolist(), dst.tolist(), strict=True))
                )
                res["nx_build_s"] = build
                # Roots with no edge at all are not in networkx's graph: compare on the rest.
                in_nx = [pk for pk, _ in picked if pk in graph]
                nx_lat = []
                for pk in in_nx:

                    def walk(p: int = pk) -> int:
                        seen = 1
                        for _ in nx.bfs_edges(graph, p):
                            seen += 1
                            if seen >= LIMIT:
                                break
                        return seen

                    nx_lat.append(timed(walk)[0])
                res["nx_downstream"] = median(nx_lat)
                del graph
            res["index_limited"] = median(
                [
                    timed(
                        partial(
                            index.traverse,
                            [pk],
                            Direction.downstream,
                            limit=LIMIT,
                            follow_containment=True,
                        )
                    )[0]
                    for pk in (in_nx or [pk for pk, _ in picked])
                ]
            )
        res["write_visible"] = write_visibility(factory, live, engine, picked)
        res.update(http(url, picked))
        engine.dispose()
    return res


def write_visibility(
    factory: Any, live: LiveIndex, engine: Any, picked: list[tuple[int, uuid.UUID]]
) -> float:
    """Commit one edge, then time the next query (which must show it); median of 9 writes."""
    took = []
    for (_, a), (_, b) in itertools.pairwise(picked[:10]):
        with factory() as session:
            for edge in edges.search(session, source_id=a, target_id=b):  # from a --reuse run
                edges.delete(session, SYSTEM, edge.id)
            session.commit()
            edges.create(session, SYSTEM, EdgeCreate(source_id=a, target_id=b))
            session.commit()
        with factory(bind=read_only(engine)) as session:
            started = time.perf_counter()
            graph = impact.lineage(session, live, a, LineageDirection.downstream, 1, LIMIT)
            took.append(time.perf_counter() - started)
            assert str(b) in {n["id"] for n in graph["nodes"]}, "the new edge was not visible"
    return median(took)


def http(url: str, picked: list[tuple[int, uuid.UUID]]) -> dict[str, float]:
    port = 18765
    server_env = {**env(url), "DLV_BOOTSTRAP_ADMIN_PASSWORD": "bench-password"}
    proc = subprocess.Popen(
        [DLV, "serve", "--port", str(port)],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, 600)  # a big graph: the lineage index loads at start-up
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "admin", "password": "bench-password"}
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        lat = []
        with httpx.Client(headers=headers, timeout=60) as client:
            for _, node_id in picked:
                d, r = timed(
                    partial(client.get, f"{base}/api/v1/nodes/{node_id}/lineage?limit={LIMIT}")
                )
                r.raise_for_status()
                lat.append(d)
        return {
            "http_downstream": median(lat),
            "http_downstream_p90": float(np.percentile(lat, 90)),
        }
    finally:
        proc.terminate()
        proc.wait(30)


def report(res: dict[str, Any], args: argparse.Namespace) -> None:
    b = res["backend"]
    print(
        f"\n== {b}: {args.nodes:,} nodes, {args.edges:,} edges, {args.queries} random roots, "
        f"limit {LIMIT:,}"
    )
    print(f"import (dlv graph import)   {res['import_s']:9.1f} s")
    print(f"index build                 {res['build_s']:9.2f} s    target < 30 s")
    total = res["bytes_per_edge"] + res["facts_per_edge"]
    print(
        f"index memory                {res['bytes_per_edge']:9.1f} B/edge, + node facts "
        f"{res['facts_per_edge']:.1f} B/edge ({res['facts_per_node']:.0f} B/node): "
        f"{total:.1f} B/edge   target < 200"
    )
    for d in ("downstream", "upstream"):
        svc, cte = res[f"service_{d}"], res[f"cte_{d}"]
        print(
            f"{d:<10} service median    {ms(svc)}  p90 {ms(res[f'service_{d}_p90'])}  "
            f"median result {res[f'size_{d}']:.0f} nodes   target < 50 ms"
        )
        print(
            f"{d:<10} recursive CTE     {ms(cte)}  ({res[f'cte_{d}_timeouts']} timed out "
            f"at {CTE_TIMEOUT_S} s)  DLV is {cte / svc:7.1f}x faster (median per root, same "
            f"roots: {res[f'cte_{d}_ratio']:.1f}x)   target >= 20x"
        )
    print(
        f"downstream over HTTP        {ms(res['http_downstream'])}  "
        f"p90 {ms(res['http_downstream_p90'])}"
    )
    ratio = res["index_full"] / res["scipy_full"]
    print(
        f"full closure: DLV index     {ms(res['index_full'])}  scipy BFS {ms(res['scipy_full'])}"
        f"  ratio {ratio:.2f}x   target <= 3x"
    )
    if "nx_downstream" in res:
        print(
            f"networkx BFS (to {LIMIT:,})   {ms(res['nx_downstream'])}  "
            f"(graph build {res['nx_build_s']:.1f} s)  DLV index to {LIMIT:,}: "
            f"{ms(res['index_limited'])}, {res['nx_downstream'] / res['index_limited']:.1f}x faster"
        )
    print(f"edge write -> next query    {ms(res['write_visible'])}   target < 10 ms")


def graph_options(description: str) -> argparse.ArgumentParser:
    """The options of a benchmark on a generated graph (this one, marquez_lineage)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--edges", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgresql")
    return parser


def graph_document(args: argparse.Namespace) -> Path:
    """The generated graph's import document, generated once per size and seed (shared with
    import_graph)."""
    OUT.mkdir(exist_ok=True)
    document = OUT / f"graph_{args.nodes}_{args.edges}_{args.seed}.json.gz"
    if not document.exists():
        graphgen.write_file(graphgen.generate(args.nodes, args.edges, args.seed), document)
    return document


def main() -> None:
    parser = graph_options(__doc__.split("\n\n")[0])
    parser.add_argument("--cte", type=int, default=5, help="roots timed with the recursive CTE")
    parser.add_argument("--no-networkx", dest="networkx", action="store_false")
    parser.add_argument(
        "--reuse", action="store_true", help="SQLite: query the database a previous run imported"
    )
    args = parser.parse_args()
    document = graph_document(args)
    print(
        f"machine: {os.cpu_count()} cores; document {document.name} "
        f"({document.stat().st_size / 1e6:.0f} MB gzip)"
    )
    for backend in args.backends.split(","):
        report(bench_backend(backend, document, args), args)


if __name__ == "__main__":
    main()
