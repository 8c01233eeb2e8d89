"""Retention: old raw events and runs go, in batches; the catalog and its edges stay."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dlv.app import create_app
from dlv.cli.runs import app as runs_cli
from dlv.config import get_settings
from dlv.db import make_engine, make_sessionmaker, utcnow
from dlv.ingestion import retention
from dlv.ingestion.models import OpenLineageEvent, Run
from dlv.lineage.models import Edge
from dlv.nodes.models import Node
from tests.conftest import Caller
from tests.ingestion.conftest import Poster, ingest_settings
from tests.ingestion.factories import orders_task, run_id


def age(db: Session, runs: list[str], days: int) -> None:
    """Make these runs and their events look ``days`` old."""
    ids = [uuid.UUID(r) for r in runs]
    then = utcnow() - timedelta(days=days)
    db.execute(
        update(OpenLineageEvent).where(OpenLineageEvent.run_id.in_(ids)).values(received_at=then)
    )
    db.execute(update(Run).where(Run.id.in_(ids)).values(updated_at=then))
    db.commit()


def counts(db: Session) -> tuple[int, int, int, int]:
    found = tuple(
        db.scalar(select(func.count()).select_from(m)) or 0
        for m in (OpenLineageEvent, Run, Node, Edge)
    )
    db.rollback()
    return found  # type: ignore[return-value]


@pytest.fixture
def history(poster: Poster, db: Session) -> tuple[list[str], list[str]]:
    """Three runs 40 days old and two from today, two events each."""
    runs = [run_id() for _ in range(5)]
    for n, run in enumerate(runs):
        dag_run = run_id()
        poster.post(
            orders_task("START", run=run, dag_run=dag_run, minutes=n),
            orders_task("COMPLETE", run=run, dag_run=dag_run, minutes=n + 1),
        )
    age(db, runs[:3], days=40)
    return runs[:3], runs[3:]


def test_prune_deletes_old_events_and_runs_in_batches(
    history: tuple[list[str], list[str]], db: Session, database_url: str
) -> None:
    _, recent = history
    _, _, nodes, edges = counts(db)
    engine = make_engine(database_url)
    pruned = retention.prune(make_sessionmaker(engine), timedelta(days=30), batch=2)
    engine.dispose()
    assert (pruned.events, pruned.runs) == (6, 3)
    assert counts(db) == (4, 2, nodes, edges)
    kept = set(db.scalars(select(Run.id)))
    assert {str(r) for r in kept} == set(recent)


def test_an_old_event_not_yet_mapped_is_kept(
    history: tuple[list[str], list[str]], db: Session, database_url: str
) -> None:
    db.execute(update(OpenLineageEvent).values(processed_at=None))
    db.commit()
    engine = make_engine(database_url)
    pruned = retention.prune(make_sessionmaker(engine), timedelta(days=30))
    engine.dispose()
    assert pruned.events == 0


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DLV_DATABASE_URL", database_url)
    monkeypatch.setenv("DLV_HOME", str(tmp_path / "cli-home"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_dlv_runs_prune(history: tuple[list[str], list[str]], db: Session, cli_env: None) -> None:
    result = CliRunner().invoke(runs_cli, ["prune", "--older-than-days", "30"])
    assert result.exit_code == 0, result.output
    assert "Pruned 6 raw events and 3 runs" in result.output
    assert counts(db)[:2] == (4, 2)


def test_dlv_runs_prune_refuses_zero_days(cli_env: None) -> None:
    result = CliRunner().invoke(runs_cli, ["prune", "--older-than-days", "0"])
    assert result.exit_code != 0


def test_the_server_prunes_on_its_schedule(
    database_url: str, tmp_path: Path, db: Session, admin: Caller, ingest_headers: dict[str, str]
) -> None:
    settings = ingest_settings(
        database_url, tmp_path / "home", runs_retention_days=30, runs_prune_interval_seconds=1
    )
    with TestClient(create_app(settings)) as client:
        poster = Poster(client, ingest_headers, admin)
        run = run_id()
        poster.post(orders_task("COMPLETE", run=run, dag_run=run_id()))
        age(db, [run], days=40)
        deadline = time.monotonic() + 30
        while counts(db)[:2] != (0, 0) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert counts(db)[:2] == (0, 0)
