"""OpenLineage events a real Airflow sent, to replay in fast tests without Airflow.

tests/ingestion/test_airflow_lineage.py runs the DAGs of ``airflow_dags`` on a real Airflow
and records what DLV received, in the order received: ``shop_etl.json`` (one run),
``changing_sql_run1.json`` and ``changing_sql_run2.json``; ``meta.json`` says which versions
sent them and under which names. Re-record after changing the DAGs or the pinned versions:

    DLV_RECORD_AIRFLOW_FIXTURES=1 DLV_TEST_DB=postgresql \\
        .venv/bin/pytest -m integration tests/ingestion/test_airflow_lineage.py
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "airflow"
RECORDINGS = ("shop_etl", "changing_sql_run1", "changing_sql_run2")

Event = dict[str, Any]


@dataclass(frozen=True)
class Recording:
    """One DAG run's events, and the names they use."""

    events: list[Event]
    namespace: str  # Airflow's OpenLineage namespace: the jobs'
    postgres_namespace: str  # the datasets': postgres://host:port
    database: str  # the first part of each dataset name

    def job(self, name: str) -> tuple[str, str]:
        """(namespace, name) of a DAG (``shop_etl``) or task (``shop_etl.build_report``)."""
        return self.namespace, name

    def table(self, name: str) -> tuple[str, str]:
        """(namespace, name) of a table given as ``schema.table``."""
        return self.postgres_namespace, f"{self.database}.{name}"

    def event(self, job: str, event_type: str) -> Event:
        """The one event of ``job`` (a DAG or ``dag.task``) of this type."""
        [found] = [
            e for e in self.events if e["job"]["name"] == job and e["eventType"] == event_type
        ]
        return found


def meta() -> dict[str, Any]:
    value: dict[str, Any] = json.loads((FIXTURES / "meta.json").read_text())
    return value


def load(name: str) -> Recording:
    """A recording by name (see ``RECORDINGS``); fresh objects each time, free to change."""
    info = meta()
    events: list[Event] = json.loads((FIXTURES / f"{name}.json").read_text())
    return Recording(events, info["namespace"], info["postgres_namespace"], info["database"])


def write(recordings: dict[str, list[Event]], info: dict[str, Any]) -> None:
    """Replace the recorded fixtures (one JSON array of events per recording)."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, events in recordings.items():
        (FIXTURES / f"{name}.json").write_text(json.dumps(events, indent=1) + "\n")
    (FIXTURES / "meta.json").write_text(json.dumps(info, indent=1) + "\n")
