"""SLA fixtures: events posted through the real OpenLineage endpoint, evaluators with a
clock the test sets, and helpers to read a node the way the API shows it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from dlv.auth.models import TokenScope
from dlv.db import make_engine, make_sessionmaker
from dlv.sla.loop import SlaEvaluator
from tests.conftest import Caller, make_token
from tests.ingestion.conftest import Poster
from tests.ingestion.factories import AIRFLOW_NS, T0, airflow_task, pg_table, run_id

JOB = "etl_orders.build_daily"
OUTPUT = "shop.mart.revenue"


@pytest.fixture
def poster(client: TestClient, db: Session, admin: Caller) -> Poster:
    return Poster(client, make_token(db, "airflow-prod", TokenScope.ingest), admin)


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


class Clock:
    """What the evaluators take for now; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def evaluator(factory: sessionmaker[Session], clock: Clock) -> Callable[[str], SlaEvaluator]:
    def make(holder: str = "one") -> SlaEvaluator:
        return SlaEvaluator(factory, 5, holder=holder, clock=clock)

    return make


def run(poster: Poster, minutes: float, state: str = "COMPLETE") -> None:
    """A run of the job writing OUTPUT, started at T0 + ``minutes``, ended a minute later."""
    run, dag_run = run_id(), run_id()
    for offset, event_type in ((0.0, "START"), (1.0, state)):
        poster.post(
            airflow_task(
                event_type,
                run=run,
                dag_run=dag_run,
                minutes=minutes + offset,
                outputs=[pg_table(OUTPUT, "id")],
            )
        )


def job(poster: Poster) -> dict[str, Any]:
    return poster.node(AIRFLOW_NS, JOB)


def after(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)
