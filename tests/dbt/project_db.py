"""The dbt project of tests/dbt/project: the raw tables it reads, and its recorded artifacts.

tests/dbt/test_dbt_lineage.py runs the project with dbt-ol (a real dbt on a real PostgreSQL)
and writes, with DLV_RECORD_DBT_FIXTURES=1, what it produced to ``fixtures/``: the manifest
(trimmed of macros and docs), each command's run_results.json, the OpenLineage events DLV
received and ``meta.json`` (versions, names). The fast tests import and replay those without
dbt:

    DLV_RECORD_DBT_FIXTURES=1 DLV_TEST_DB=postgresql \\
        .venv/bin/pytest -m integration tests/dbt/test_dbt_lineage.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).parent / "project"
FIXTURES = Path(__file__).parent / "fixtures"
COMMANDS = ("seed", "run", "test")
# The raw tables the sources name. Customer 2 has no email: the not_null test on
# stg_customers.email fails on purpose, so a failed test is part of every run.
SETUP_SQL = [
    "CREATE SCHEMA raw",
    "CREATE TABLE raw.customers (id int PRIMARY KEY, email text, country_code text)",
    "CREATE TABLE raw.orders (id int PRIMARY KEY, customer_id int, amount_cents int)",
    "INSERT INTO raw.customers VALUES (1, 'a@example.com', 'FR'), (2, NULL, 'DE'),"
    " (3, 'c@example.com', 'US')",
    "INSERT INTO raw.orders VALUES (1, 1, 1250), (2, 1, 300), (3, 2, 999), (4, 3, 4000)",
]
# What the fast tests need of a manifest; macros and docs are most of its size.
MANIFEST_KEYS = ("metadata", "nodes", "sources", "exposures", "parent_map", "child_map")


def trim_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    return {key: manifest[key] for key in MANIFEST_KEYS if key in manifest}


def load_path(path: Path) -> Any:
    return json.loads(path.read_text())


def load(name: str) -> Any:
    return load_path(FIXTURES / name)


def manifest() -> dict[str, Any]:
    value: dict[str, Any] = load("manifest.json")
    return value


def run_results() -> list[dict[str, Any]]:
    return [load(f"run_results_{command}.json") for command in COMMANDS]


def meta() -> dict[str, Any]:
    value: dict[str, Any] = load("meta.json")
    return value


def write(name: str, value: Any) -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    (FIXTURES / name).write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")
