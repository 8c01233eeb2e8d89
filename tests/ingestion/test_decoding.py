"""The msgspec path reads every event exactly as the pydantic one (``events.parse``) would, and
takes the usual events; anything it cannot read exactly goes the pydantic way."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import from_json

from dlv.errors import FieldError
from dlv.ingestion import decoding, events
from dlv.ingestion.events import InvalidEvent, ParsedEvent
from tests.ingestion.factories import orders_task, pg_table, spark_action

NOT_JSON = "not JSON"


def exact(text: str) -> ParsedEvent | list[FieldError] | str:
    try:
        data = from_json(text, allow_inf_nan=False)
    except ValueError:
        return NOT_JSON
    return events.parse(data, text)


def decoded(text: str) -> ParsedEvent | list[FieldError] | str:
    try:
        return decoding.parse_event(text)
    except InvalidEvent:
        return NOT_JSON


RUNS = [
    "0190d7a4-5c3e-7b1a-9f00-2a1b3c4d5e6f",
    "0190d7a4-5c3e-7b1a-9f00-2a1b3c4d5e70",
    "0190d7a4-5c3e-7b1a-9f00-2a1b3c4d5e71",
]


def templates() -> list[dict[str, Any]]:
    """Fixed events (hypothesis draws from them, so they must not change between calls)."""
    run, parent, app = RUNS
    dataset_event = {
        "eventTime": "2026-11-26T12:00:00Z",
        "dataset": pg_table("shop.public.orders", "id", "amount"),
    }
    job_event = {
        "eventTime": "2026-11-26T12:00:00Z",
        "job": orders_task("START", run=run, dag_run=parent)["job"],
    }
    return [
        orders_task("COMPLETE", run=run, dag_run=parent),
        spark_action("FAIL", run=run, app_run=app, error="Table not found"),
        dataset_event,
        job_event,
    ]


def test_the_usual_events_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def exact_way(*_: Any, **__: Any) -> Any:
        raise AssertionError("went the exact way")

    expected = [exact(json.dumps(t)) for t in templates()]
    monkeypatch.setattr(events, "parse", exact_way)
    texts = [json.dumps(t) for t in templates()]
    got = [decoding.parse_event(text) for text in texts]
    assert all(isinstance(g, ParsedEvent) for g in got)
    assert [(g.kind, g.namespace, g.name) for g in got if isinstance(g, ParsedEvent)] == [
        (e.kind, e.namespace, e.name) for e in expected if isinstance(e, ParsedEvent)
    ]
    batch = decoding.parse_batch(json.dumps(templates()), 10)
    assert [type(r) for r in batch] == [ParsedEvent] * 4


def test_a_fast_event_equals_the_exact_one() -> None:
    for template in templates():
        text = json.dumps(template)
        fast = decoding.parse_event(text)
        assert isinstance(fast, ParsedEvent)
        assert fast == exact(text)


# Values chosen to hit every check either way can make: types pydantic coerces and msgspec
# does not, names with spaces or control characters, UUID and time variants, retracted facets.
FIXED: list[Any] = [
    None,
    True,
    0,
    3,
    2**70,
    1.5,
    "",
    " x",
    "x ",
    "\u00a0x",
    "\u2003",
    "a\tb",
    "a\x1fb",
    "a\x7fb",
    "x" * 501,
    "x" * 1001,
    "3",
    "true",
    "START",
    "start",
    "FAIL",
    "BOGUS",
    "2026-11-26T12:00:00.123456789Z",
    "2026-11-26T12:00:00",
    "2026-11-26 12:00:00+02:00",
    "2026-11-26t12:00",
    "2026-11-26",
    "not a date",
    "0190d7a4-5c3e-7b1a-9f00-2a1b3c4d5e6f",
    "0190D7A4-5C3E-7B1A-9F00-2A1B3C4D5E6F",
    "0190d7a45c3e7b1a9f002a1b3c4d5e6f",
    "{0190d7a4-5c3e-7b1a-9f00-2a1b3c4d5e6f}",
    "caf\u00e9 \U0001f600",
    {"_deleted": True},
    {"_deleted": False, "description": "d"},
    {},
    [],
    [{"name": "c", "type": 3}],
    [{"name": "c", "ordinal_position": 2.0}],
    {"name": "n", "namespace": "ns"},
    {"query": "select 1", "dialect": None},
    {"owners": [{"name": "team:x", "type": None}]},
]
VALUES = st.one_of(
    st.sampled_from(FIXED),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


DELETE = object()
# Where the two ways differ most: identities, times, states, facets.
KEYS = {"namespace", "name", "runId", "eventTime", "eventType", "facets", "run", "job"}


@st.composite
def mutated(draw: st.DrawFn) -> str:
    event = copy.deepcopy(draw(st.sampled_from(templates())))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(event)[1:]
        keyed = [p for p in paths if p[-1] in KEYS or (len(p) > 1 and p[-2] == "facets")]
        use_keyed = bool(keyed) and draw(st.booleans())
        path = draw(st.sampled_from(keyed if use_keyed else paths))
        parent = event
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(draw(VALUES))
        if not _paths(event)[1:]:
            break
    return json.dumps(event)


def test_every_identity_time_state_and_facet_is_read_as_the_exact_way_reads_it() -> None:
    mismatches = []
    for template in templates():
        for path in _paths(template)[1:]:
            if not (path[-1] in KEYS or (len(path) > 1 and path[-2] == "facets")):
                continue
            for value in [*FIXED, DELETE]:
                event = copy.deepcopy(template)
                parent = event
                for step in path[:-1]:
                    parent = parent[step]
                if value is DELETE:
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = copy.deepcopy(value)
                text = json.dumps(event)
                if decoded(text) != exact(text):
                    mismatches.append((path, value))
    assert mismatches == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_any_event_is_read_as_the_exact_way_reads_it(text: str) -> None:
    assert decoded(text) == exact(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=4))
def test_a_batch_reads_each_event_as_the_exact_way_does(texts: list[str]) -> None:
    results = decoding.parse_batch("[" + ",".join(texts) + "]", 10)
    assert len(results) == len(texts)
    for index, (result, text) in enumerate(zip(results, texts, strict=True)):
        expected = events.parse(from_json(text), text, prefix=f"body[{index}]")
        assert result == expected  # payload too: each event is kept as the text it was sent as


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("{", "The body is not a JSON document"),
        ('[{"a": NaN}]', "The body is not a JSON document"),
        ("[" * 100_000 + "]" * 100_000, "The body is nested more than 200 levels deep"),
        ('{"eventTime": "2026-11-26T12:00:00Z"}', "The body must be a JSON array of events"),
        ("[" + ",".join(["{}"] * 11) + "]", "At most 10 events per batch"),
    ],
)
def test_a_batch_body_that_is_no_array_of_events_is_refused(body: str, detail: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        decoding.parse_batch(body, 10)
    assert refused.value.detail == detail


def test_an_item_msgspec_refuses_as_a_number_is_read_the_exact_way() -> None:
    # 1e400 overflows msgspec's float; pydantic-core reads it as infinity.
    [result] = decoding.parse_batch('[{"eventTime": "2026-11-26T12:00:00Z", "x": 1e400}]', 10)
    assert result == [FieldError("body[0].job", "an event needs run and job, job, or dataset")]
