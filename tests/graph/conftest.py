"""Graph fixtures: the app with the graph routes, and a second, empty instance to import into."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dlv.app import create_app
from dlv.auth.models import Role
from dlv.config import Settings
from dlv.db import make_engine, make_sessionmaker
from dlv.graph.router import router as graph_router
from tests.conftest import SECRET_KEY, Caller, empty_database, make_user, migrated_database

EXPORT = "/api/v1/graph/export"
IMPORT = "/api/v1/graph/import"


def with_graph_routes(app: FastAPI) -> FastAPI:
    """``app`` with the graph router (until app.py registers it)."""
    if not any(getattr(r, "path", None) == EXPORT for r in app.routes):
        app.include_router(graph_router)
    return app


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return with_graph_routes(create_app(settings))


@pytest.fixture(scope="session")
def other_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second migrated database for the run (the first belongs to conftest)."""
    with migrated_database(tmp_path_factory, "dlv_test_other") as url:
        yield url


@pytest.fixture
def other_url(other_template: str, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database that is not the test's main one."""
    yield from empty_database(other_template, tmp_path, "other.db")


class Instance:
    """A second DLV: its client and an admin on it."""

    def __init__(self, client: TestClient, admin: Caller, engine: Engine) -> None:
        self.client = client
        self.admin = admin
        self.engine = engine

    def session(self) -> Session:
        """A session on the instance's database (end its transaction before the next call)."""
        return make_sessionmaker(self.engine)()


@pytest.fixture
def other(other_url: str, tmp_path: Path) -> Iterator[Instance]:
    """A second, empty DLV instance with its own database."""
    settings = Settings(
        home=tmp_path / "other-home",
        database_url=other_url,
        secret_key=SECRET_KEY,
        _env_file=None,
    )
    engine = make_engine(other_url)
    with make_sessionmaker(engine)() as session:
        admin = make_user(session, "other-root", Role.admin)
    with TestClient(with_graph_routes(create_app(settings))) as client:
        yield Instance(client, admin, engine)
    engine.dispose()
