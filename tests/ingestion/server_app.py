"""A ``dlv serve``-equivalent app factory with the ingestion router, for subprocess servers.

``uvicorn --factory tests.ingestion.server_app:create_app``: the settings come from the
environment like ``dlv serve``'s. Once create_app includes the router itself, this is the
same app.
"""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI
from pydantic import Field

from dlv.app import create_app as create_dlv_app
from dlv.config import Settings
from dlv.ingestion.router import router


class IngestSettings(Settings):
    """The settings this change adds to dlv.config.Settings (redundant once they are there)."""

    runs_retention_days: int = Field(default=30, ge=1)
    runs_prune_interval_seconds: int = Field(default=3600, ge=1)
    ingest_mapping: Literal["inline", "background"] = "inline"


def with_ingestion(app: FastAPI) -> FastAPI:
    """``app`` with the ingestion routes (and their lifespan), unless it has them already."""
    if not any(getattr(route, "path", None) == "/api/v1/lineage" for route in app.routes):
        app.include_router(router)
    return app


def create_app() -> FastAPI:
    return with_ingestion(create_dlv_app(IngestSettings()))
