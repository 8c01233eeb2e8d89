"""Events nested deeper than the limit are refused with a 400 naming it: msgspec read ~1,000
levels, and a run holding such an event then answered 500 (it cannot be served back)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dlv.limits import MAX_JSON_DEPTH
from tests.ingestion.conftest import Poster
from tests.ingestion.test_endpoints import URL, event, stored

TOO_DEEP = f"nested more than {MAX_JSON_DEPTH} levels deep"
# A run facet's value is at level 3 (event, run, facets, value): this many arrays put the
# innermost one at the limit.
AT_THE_LIMIT = MAX_JSON_DEPTH - 2
REFUSED = [{"field": "body", "message": TOO_DEEP}]


def nested(arrays: int) -> tuple[str, str]:
    """An event whose run facet ``acme`` is ``arrays`` nested arrays: its run id and text."""
    body = event()
    body["run"]["facets"]["acme"] = "HERE"
    text = json.dumps(body).replace('"HERE"', "[" * arrays + "]" * arrays)
    return body["run"]["runId"], text


def post(client: TestClient, headers: dict[str, str], text: str, path: str = URL) -> Any:
    r = client.post(path, content=text, headers={**headers, "content-type": "application/json"})
    return {"status": r.status_code, **r.json()}


def test_an_event_one_level_too_deep_is_400_naming_the_limit(
    client: TestClient, ingest_headers: dict[str, str], db: Session
) -> None:
    _, text = nested(AT_THE_LIMIT + 1)
    answer = post(client, ingest_headers, text)
    assert (answer["status"], answer.get("errors")) == (400, REFUSED)
    assert stored(db) == (0, 0, 0)


def test_an_event_too_deep_for_any_parser_is_400_naming_the_limit(
    client: TestClient, ingest_headers: dict[str, str]
) -> None:
    _, text = nested(5000)
    answer = post(client, ingest_headers, text)
    assert (answer["status"], answer.get("errors")) == (400, REFUSED)


def test_an_event_nested_to_the_limit_is_stored_and_served_back(
    client: TestClient, ingest_headers: dict[str, str], poster: Poster
) -> None:
    run_id, text = nested(AT_THE_LIMIT)
    assert post(client, ingest_headers, text)["status"] == 201
    payload = poster.get(f"/api/v1/runs/{run_id}")["events"][0]["payload"]
    assert json.dumps(payload["run"]["facets"]["acme"]).count("[") == AT_THE_LIMIT


def test_a_batch_refuses_only_the_event_nested_too_deeply(
    client: TestClient, ingest_headers: dict[str, str]
) -> None:
    _, good = nested(1)
    _, deep = nested(AT_THE_LIMIT + 1)
    answer = post(client, ingest_headers, f"[{good},{deep}]", f"{URL}/batch")
    assert [item["status"] for item in answer["results"]] == [201, 400]
    assert answer["results"][1]["errors"] == [{"field": "body[1]", "message": TOO_DEEP}]
