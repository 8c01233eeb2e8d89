"""Quality fixtures: events posted through the real OpenLineage endpoint."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.auth.models import TokenScope
from tests.conftest import Caller, make_token
from tests.ingestion.conftest import Poster


@pytest.fixture
def poster(client: TestClient, db: Session, admin: Caller) -> Poster:
    return Poster(client, make_token(db, "dbt-prod", TokenScope.ingest), admin)
