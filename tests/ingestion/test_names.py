"""Names in events: in NFC whatever form the producer sent, on the fast (msgspec) and the
exact (pydantic) decoding path alike; text-direction and zero-width characters refused."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest

from dlv.ingestion import decoding
from dlv.ingestion.events import ParsedEvent
from tests.ingestion.conftest import Poster
from tests.ingestion.factories import AIRFLOW_NS, orders_task, run_id

NFC = "ventes.résumé_année"
NFD = unicodedata.normalize("NFD", NFC)


def task_event(name: str) -> dict[str, Any]:
    event = orders_task("START", run=run_id(), dag_run=run_id())
    event["job"]["name"] = name
    event["outputs"][0]["name"] = name
    return event


def test_a_name_sent_in_nfd_and_in_nfc_is_one_node(poster: Poster) -> None:
    poster.post(task_event(NFD), task_event(NFC))
    jobs = poster.get("/api/v1/nodes", kind="job", namespace=AIRFLOW_NS)["items"]
    assert sorted(n["name"] for n in jobs) == ["etl_orders", NFC]
    found = poster.get("/api/v1/nodes", kind="job", q=NFD)["items"]  # the query in NFC too
    assert [n["name"] for n in found] == [NFC]


@pytest.mark.parametrize("exact", [False, True], ids=["msgspec", "pydantic"])
def test_both_decoding_paths_give_the_name_in_nfc(exact: bool) -> None:
    event = task_event(NFD)
    event["run"]["facets"]["parent"]["job"]["namespace"] = unicodedata.normalize("NFD", "café")
    if exact:  # a retracted facet sends the event the exact way
        event["job"]["facets"]["documentation"] = {"_deleted": True}
    parsed = decoding.parse_event(json.dumps(event))
    assert isinstance(parsed, ParsedEvent)
    assert parsed.name == NFC
    assert parsed.event["outputs"][0]["name"] == NFC  # type: ignore[index]
    assert parsed.event["run"]["facets"]["parent"]["job"]["namespace"] == "café"  # type: ignore[index]


@pytest.mark.parametrize("exact", [False, True], ids=["msgspec", "pydantic"])
@pytest.mark.parametrize("char", ["\u202e", "\u2067", "\u200b", "\ufeff"])
def test_both_decoding_paths_refuse_invisible_characters(exact: bool, char: str) -> None:
    event = task_event(f"etl{char}orders")
    if exact:
        event["job"]["facets"]["documentation"] = {"_deleted": True}
    errors = decoding.parse_event(json.dumps(event))
    assert isinstance(errors, list)
    assert {e["field"] for e in errors} == {"body.job.name", "body.outputs[0].name"}
