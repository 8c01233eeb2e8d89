"""``dlv import dbt`` benchmark: a synthetic dbt project of N models, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.dbt_import                 # 2,000 models, 2 tests each
    .venv/bin/python -m bench.dbt_import --models 10000

Each model reads one source and two earlier models and has two generic tests; every 50th
test fails. For each backend: a fresh migrated database, the import (mapping + graph import +
statuses, one transaction), then the same import again (which must change nothing).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.common import database
from dlv import migrate
from dlv.auth.principal import SYSTEM
from dlv.crypto import SecretBox
from dlv.db import make_engine, make_sessionmaker
from dlv.dbt import service

KEY = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def project(models: int) -> tuple[dict[str, Any], dict[str, Any]]:
    nodes: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    parents: dict[str, list[str]] = {}
    results: list[dict[str, Any]] = []
    table = {"database": "wh", "schema": "analytics", "meta": {"owner": "team"}, "tags": ["t"]}
    for i in range(models):
        source = f"source.p.raw.t{i}"
        sources[source] = {**table, "schema": "raw", "name": f"t{i}", "description": "raw"}
        model = f"model.p.m{i}"
        nodes[model] = {**table, "alias": f"m{i}", "name": f"m{i}", "description": f"model {i}"}
        parents[model] = [source] + [f"model.p.m{j}" for j in (i - 1, i // 2) if 0 <= j < i]
        results.append({"unique_id": model, "status": "success", "message": "SELECT 1"})
        for t in range(2):
            test = f"test.p.not_null_m{i}_c{t}.abc"
            nodes[test] = {**table, "name": f"not_null_m{i}_c{t}", "test_metadata": {"name": "x"}}
            parents[test] = [model]
            failed = (i * 2 + t) % 50 == 0
            results.append({"unique_id": test, "status": "fail" if failed else "pass"})
    manifest = {
        "metadata": {"project_name": "p", "adapter_type": "postgres"},
        "nodes": nodes,
        "sources": sources,
        "parent_map": parents,
    }
    return manifest, {"results": results}


def once(url: str, manifest: dict[str, Any], results: dict[str, Any]) -> tuple[float, Any]:
    engine = make_engine(url)
    started = time.perf_counter()
    with make_sessionmaker(engine).begin() as session:
        done = service.import_artifacts(
            session, SYSTEM, SecretBox(KEY), manifest, [results], "postgres://wh:5432", "dbt"
        )
    engine.dispose()
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=2_000)
    args = parser.parse_args()
    manifest, results = project(args.models)
    for backend in ("sqlite", "postgresql"):
        with database(backend) as url:
            migrate.upgrade(url)
            first, done = once(url, manifest, results)
            again, redo = once(url, manifest, results)
            driver = url.split(":", 1)[0]
            print(
                f"{driver}: {args.models} models -> {done.graph.nodes_created} nodes, "
                f"{done.graph.edges_created} edges, {done.in_error} in error: "
                f"{first:.2f} s; again (unchanged {redo.graph.nodes_unchanged}, "
                f"statuses set {redo.statuses_set}): {again:.2f} s"
            )


if __name__ == "__main__":
    main()
