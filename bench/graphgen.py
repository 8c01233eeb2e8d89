"""A realistic layered lineage graph, written as a dlv-graph document (gzip if the path ends .gz).

    python bench/graphgen.py graph.json.gz --nodes 1000000 --edges 5000000 --seed 1

Shape: a few PostgreSQL, Airflow and Spark system nodes; datasets in three layers (raw
sources, staging, marts) belonging to a PostgreSQL system; jobs (Airflow tasks, Spark
applications) between the layers, belonging to an Airflow or Spark system. Data flows
dataset -> job -> dataset. Popular sources fan out to many jobs, big jobs fan in many
inputs (power-law choices), and a small share of jobs writes back into an earlier layer,
which makes cycles. Everything is drawn with numpy from ``--seed``, so the same arguments
give the same file.

The impact-analysis benchmark reuses :func:`generate` (the arrays, no file) and
:func:`node_key` (the natural key of node ``i``).
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

# Node kinds, as small ints in the arrays.
POSTGRES, AIRFLOW, SPARK, DATASET, JOB = 0, 1, 2, 3, 4
KIND_NAMES = ("postgres", "airflow", "spark", "dataset", "job")
LAYERS = ("raw", "staging", "marts")
CYCLE_SHARE = 0.005  # share of job outputs written back into an earlier layer
EDGE_LINES = 20_000  # edges formatted per write


@dataclass(frozen=True)
class Graph:
    """A generated graph: node ``i`` has ``kind[i]``, ``parent[i]`` (-1 = none), a layer.

    Edges are ``source[k] -> target[k]`` (int32 node indexes, unique, no self-loops, in
    source order). Node keys come from :func:`node_key`.
    """

    kind: npt.NDArray[np.int8]
    parent: npt.NDArray[np.int32]
    layer: npt.NDArray[np.int8]  # datasets: 0 raw, 1 staging, 2 marts; jobs: layer they read
    ordinal: npt.NDArray[np.int32]  # index among the nodes of the same kind
    source: npt.NDArray[np.int32]
    target: npt.NDArray[np.int32]

    @property
    def num_nodes(self) -> int:
        return int(self.kind.size)

    @property
    def num_edges(self) -> int:
        return int(self.source.size)


def _systems(nodes: int) -> tuple[int, int, int]:
    pg = max(1, nodes // 50_000)
    airflow = max(1, nodes // 100_000)
    spark = max(1, nodes // 200_000)
    return pg, airflow, spark


def _skewed(rng: np.random.Generator, size: int, n: int, power: float) -> npt.NDArray[np.int64]:
    # Index in [0, size) with a power-law preference for small indexes (popular nodes).
    return np.minimum((rng.random(n) ** power * size).astype(np.int64), size - 1)


def generate(nodes: int, edges: int, seed: int = 1) -> Graph:
    """The graph for these sizes (deterministic in ``seed``)."""
    pg, af, sp = _systems(nodes)
    systems = pg + af + sp
    if nodes < systems + 6:
        raise ValueError("need at least a few nodes beyond the system nodes")
    rng = np.random.default_rng(seed)
    rest = nodes - systems
    n_jobs = max(3, int(rest * 0.3))
    n_data = rest - n_jobs
    kind = np.empty(nodes, dtype=np.int8)
    kind[:pg], kind[pg : pg + af], kind[pg + af : systems] = POSTGRES, AIRFLOW, SPARK
    kind[systems : systems + n_data] = DATASET
    kind[systems + n_data :] = JOB
    ordinal = np.empty(nodes, dtype=np.int32)
    for k in range(5):
        sel = kind == k
        ordinal[sel] = np.arange(int(sel.sum()), dtype=np.int32)

    data_ids = np.arange(systems, systems + n_data)
    job_ids = np.arange(systems + n_data, nodes)
    # Layers: 40% raw, 35% staging, 25% marts (contiguous runs of dataset ids).
    cuts = [0, int(n_data * 0.4), int(n_data * 0.75), n_data]
    layer = np.full(nodes, -1, dtype=np.int8)
    for i in range(3):
        layer[data_ids[cuts[i] : cuts[i + 1]]] = i
    # Jobs read layer 0 (ingest, 45%), layer 1 (transform, 40%) or layer 1 -> 1 (15%).
    job_layer = rng.choice(np.array([0, 1, 2], dtype=np.int8), size=n_jobs, p=[0.45, 0.4, 0.15])
    layer[job_ids] = job_layer

    parent = np.full(nodes, -1, dtype=np.int32)
    parent[data_ids] = rng.integers(0, pg, n_data)
    job_system = np.where(rng.random(n_jobs) < 0.7, rng.integers(0, af, n_jobs), -1)
    spark_system = pg + af + rng.integers(0, sp, n_jobs)
    parent[job_ids] = np.where(job_system >= 0, pg + job_system, spark_system)

    src, dst = _edges(rng, edges, data_ids, cuts, job_ids, job_layer)
    return Graph(kind, parent, layer, ordinal, src, dst)


def _edges(
    rng: np.random.Generator,
    edges: int,
    data_ids: npt.NDArray[np.int64],
    cuts: list[int],
    job_ids: npt.NDArray[np.int64],
    job_layer: npt.NDArray[np.int8],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    layers = [data_ids[cuts[i] : cuts[i + 1]] for i in range(3)]
    # (input layer, output layer) of each job kind; kind 2 rewrites staging.
    reads = np.array([0, 1, 1])
    writes = np.array([1, 2, 1])
    keys = np.empty(0, dtype=np.int64)
    n = int(data_ids.max()) + int(job_ids.size) + 1
    while keys.size < edges:
        want = int((edges - keys.size) * 1.15) + 16
        n_in = int(want * 0.6)
        n_out = want - n_in
        # Inputs: big jobs fan in many datasets; popular sources fan out to many jobs.
        j_in = _skewed(rng, job_ids.size, n_in, 1.6)
        srcs = np.empty(n_in, dtype=np.int64)
        for lay in range(3):
            sel = reads[job_layer[j_in]] == lay
            pool = layers[lay]
            srcs[sel] = pool[_skewed(rng, pool.size, int(sel.sum()), 2.2)]
        ins = np.stack([srcs, job_ids[j_in]], axis=1)
        j_out = rng.integers(0, job_ids.size, n_out)
        out_layer = writes[job_layer[j_out]]
        back = rng.random(n_out) < CYCLE_SHARE
        out_layer = np.where(back, 0, out_layer)  # write-back into raw: a cycle
        dsts = np.empty(n_out, dtype=np.int64)
        for lay in range(3):
            sel = out_layer == lay
            pool = layers[lay]
            dsts[sel] = pool[rng.integers(0, pool.size, int(sel.sum()))]
        outs = np.stack([job_ids[j_out], dsts], axis=1)
        pairs = np.concatenate([ins, outs])
        new = pairs[:, 0] * n + pairs[:, 1]
        keys = np.unique(np.concatenate([keys, new]))
        if keys.size > edges:
            keep = rng.choice(keys.size, edges, replace=False)
            keys = np.sort(keys[keep])
    return (keys // n).astype(np.int32), (keys % n).astype(np.int32)


def node_key(graph: Graph, i: int) -> tuple[str, str]:
    """(namespace, name) of node ``i``."""
    return _key(int(graph.kind[i]), int(graph.ordinal[i]), int(graph.layer[i]), graph, i)


def _key(kind: int, ordinal: int, layer: int, graph: Graph, i: int) -> tuple[str, str]:
    if kind == POSTGRES:
        return f"postgres://pg-{ordinal}.internal:5432", f"warehouse_{ordinal}"
    if kind == AIRFLOW:
        return "airflow", f"airflow-{ordinal}"
    if kind == SPARK:
        return "spark", f"spark-{ordinal}"
    if kind == DATASET:
        database = int(graph.ordinal[graph.parent[i]])
        schema = LAYERS[layer]
        return (
            f"postgres://pg-{database}.internal:5432",
            f"warehouse_{database}.{schema}.t{ordinal:07d}",
        )
    owner = int(graph.parent[i])
    system = KIND_NAMES[int(graph.kind[owner])] + "-" + str(int(graph.ordinal[owner]))
    return f"{system}", f"dag_{ordinal // 20:06d}.task_{ordinal:07d}"


def _keys(graph: Graph) -> list[tuple[str, str]]:
    return [node_key(graph, i) for i in range(graph.num_nodes)]


def _connection(kind: int, ordinal: int) -> str:
    if kind == POSTGRES:
        return (
            f'{{"kind":"postgres","host":"pg-{ordinal}.internal","port":5432,'
            f'"database":"warehouse_{ordinal}","user":"dlv_reader","sslmode":"prefer",'
            '"connect_timeout":5}'
        )
    if kind == AIRFLOW:
        return (
            f'{{"kind":"airflow","base_url":"https://airflow-{ordinal}.internal/",'
            '"api_version":2,"timeout":5}'
        )
    return f'{{"kind":"spark","url":"http://spark-{ordinal}.internal:18080/","timeout":5}}'


OWNERS = ("data-platform", "analytics", "finance-data", "growth", "ml-platform")
TAGS = ('["pii"]', '["tier-1"]', '["finance","tier-2"]', "[]", "[]", "[]", "[]", "[]")


def _ref(key: tuple[str, str]) -> str:
    return f'{{"namespace":"{key[0]}","name":"{key[1]}"}}'


def _node_lines(graph: Graph, keys: list[tuple[str, str]]) -> Iterator[str]:
    for i in range(graph.num_nodes):
        kind, ordinal = int(graph.kind[i]), int(graph.ordinal[i])
        namespace, name = keys[i]
        p = int(graph.parent[i])
        parent = _ref(keys[p]) if p >= 0 else "null"
        connection = _connection(kind, ordinal) if kind < DATASET else "null"
        owner = OWNERS[i % len(OWNERS)]
        description = "null"
        if kind == DATASET and i % 10 == 0:
            description = f'"{LAYERS[graph.layer[i]]} table {name}"'
        annotations = "[]"
        if i % 1000 == 7:
            annotations = (
                '[{"text":"Backfilled after the 2026-10 incident","author":"oncall",'
                '"created_at":"2026-10-02T08:30:00+00:00"}]'
            )
        yield (
            f'{{"kind":"{KIND_NAMES[kind]}","namespace":"{namespace}","name":"{name}",'
            f'"parent":{parent},"description":{description},"owner":"{owner}",'
            f'"tags":{TAGS[i % len(TAGS)]},"annotations":{annotations},'
            f'"connection":{connection}}}'
        )


def write(graph: Graph, out: IO[bytes]) -> None:
    """Stream ``graph`` as a dlv-graph document into ``out`` (bytes)."""
    keys = _keys(graph)
    text = io.TextIOWrapper(out, encoding="utf-8", write_through=False)
    text.write('{"format":"dlv-graph","version":1,\n"nodes":[\n')
    text.write(",\n".join(_node_lines(graph, keys)))
    text.write('\n],\n"edges":[\n')
    refs = [_ref(k) for k in keys]
    first = True
    for start in range(0, graph.num_edges, EDGE_LINES):
        src = graph.source[start : start + EDGE_LINES].tolist()
        dst = graph.target[start : start + EDGE_LINES].tolist()
        chunk = ",\n".join(
            f'{{"source":{refs[s]},"target":{refs[t]},"description":null,"origin":"import"}}'
            for s, t in zip(src, dst, strict=True)
        )
        text.write(chunk if first else ",\n" + chunk)
        first = False
    text.write("\n]}\n")
    text.flush()
    text.detach()


def write_file(graph: Graph, path: Path) -> None:
    """Write ``graph`` to ``path`` (gzip, level 1, when it ends with .gz)."""
    if path.suffix == ".gz":
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as gz:
            write(graph, gz)  # type: ignore[arg-type]
    else:
        with open(path, "wb") as f:
            write(graph, f)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--edges", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    graph = generate(args.nodes, args.edges, args.seed)
    generated = time.perf_counter()
    write_file(graph, args.path)
    done = time.perf_counter()
    print(
        f"{graph.num_nodes} nodes, {graph.num_edges} edges: generated in "
        f"{generated - started:.1f}s, written in {done - generated:.1f}s "
        f"({args.path.stat().st_size / 1e6:.1f} MB)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
