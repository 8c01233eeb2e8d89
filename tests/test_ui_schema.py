"""The UI's typed API client is generated from ui/openapi.json: it must be the server's schema."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[1]
REFRESH = "make ui-client"


def test_the_uis_openapi_document_is_the_servers(app: FastAPI) -> None:
    committed = json.loads((ROOT / "ui" / "openapi.json").read_text(encoding="utf-8"))
    current = json.loads(json.dumps(app.openapi()))
    assert committed == current, (
        f"ui/openapi.json is not the API's schema any more: run `{REFRESH}` and commit "
        "ui/openapi.json and ui/src/api/schema.d.ts"
    )
