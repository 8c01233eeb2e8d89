"""Request bodies to ParsedEvents: msgspec for the usual event, ``events.parse`` for the rest.

``events.parse`` (pydantic-core) checks a decoded event exactly and names every problem, but
decoding the JSON and then validating the objects was the largest share of a batch's CPU.
msgspec decodes and checks the same shape in one pass (0.074 -> 0.032 ms for a 7.5 KB event,
measured with the events ``bench/ingest.py`` sends), and splits a batch into its items' text
without building them. It only accepts what it reads exactly as ``events.parse`` would:
anything else (a value pydantic would coerce, a retracted facet, a name with spaces around
it, any error) goes the exact way, which decides and names the problem. The stored text of
each event is the text it was sent as, unless it holds a secret: both ways read the text
``masked`` gives them (docs/security.md), which is the text itself for the usual event.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from typing import Any, NotRequired, TypedDict

import msgspec
from pydantic_core import from_json

from dlv.errors import FieldError
from dlv.ingestion import events
from dlv.ingestion.events import (
    ColumnLineageFacet,
    DocumentationFacet,
    ErrorMessageFacet,
    EventIn,
    InvalidEvent,
    JobTypeFacet,
    OwnershipFacet,
    ParsedEvent,
    SchemaFacet,
    SQLFacet,
)
from dlv.ingestion.models import RunState
from dlv.limits import MAX_JSON_DEPTH, TOO_DEEP
from dlv.nodes.schemas import MAX_NAME, MAX_NAMESPACE, clean_name, nfc
from dlv.ops import secrets

Result = ParsedEvent | list[FieldError]

# The shape of events.EventIn with the checks msgspec cannot make (UUIDs, times, trimmed
# names, retracted facets) left as plain strings and done after decoding by ``_finish``.
# Every facet may be null: events.parse drops null facets, and so does ``_facets``.


class _JobRef(TypedDict):
    namespace: str
    name: str


class _RunRef(TypedDict):
    runId: str


class _Parent(TypedDict):
    run: _RunRef
    job: _JobRef


class _RunFacets(TypedDict, total=False):
    parent: _Parent | None
    errorMessage: ErrorMessageFacet | None


class _JobFacets(TypedDict, total=False):
    ownership: OwnershipFacet | None
    documentation: DocumentationFacet | None
    sql: SQLFacet | None
    jobType: JobTypeFacet | None
    tags: dict[str, Any] | None


class _DatasetFacets(TypedDict, total=False):
    ownership: OwnershipFacet | None
    documentation: DocumentationFacet | None
    schema: SchemaFacet | None
    columnLineage: ColumnLineageFacet | None
    tags: dict[str, Any] | None


class _Dataset(TypedDict):
    namespace: str
    name: str
    facets: NotRequired[_DatasetFacets | None]
    inputFacets: NotRequired[dict[str, Any] | None]
    outputFacets: NotRequired[dict[str, Any] | None]


class _Job(TypedDict):
    namespace: str
    name: str
    facets: NotRequired[_JobFacets | None]


class _Run(TypedDict):
    runId: str
    facets: NotRequired[_RunFacets | None]


class _Event(TypedDict):
    eventTime: str
    eventType: NotRequired[RunState | None]
    producer: NotRequired[str | None]
    schemaURL: NotRequired[str | None]
    run: NotRequired[_Run | None]
    job: NotRequired[_Job | None]
    dataset: NotRequired[_Dataset | None]
    inputs: NotRequired[list[_Dataset] | None]
    outputs: NotRequired[list[_Dataset] | None]


_EVENT = msgspec.json.Decoder(_Event)
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])
# Texts the exact way handles better: a retracted facet ({"_deleted": true}) and NUL.
_RETRACTED, _NUL = '"_deleted"', "\\u0000"
_NOT_JSON = object()


def _key(value: str, limit: int) -> str:
    # events.Namespace/Name bring the text to NFC, trim whitespace, then check the length and
    # control, text-direction and zero-width characters. A name with whitespace around it goes
    # the exact way (pydantic and Python disagree on what whitespace is); one without is what
    # the trim would leave. ValueError: go exact.
    # The usual key first, in C loops: no printable string holds a control character (nor a
    # text-direction or zero-width one: all are format characters), str.strip trims what
    # str.isspace calls whitespace, and an ASCII text is in NFC.
    usual = 0 < len(value) <= limit and value.isprintable() and value.strip() == value
    if usual and (value.isascii() or unicodedata.is_normalized("NFC", value)):
        return value
    value = nfc(value)
    if not value or len(value) > limit or value[0].isspace() or value[-1].isspace():
        raise ValueError(value)
    return clean_name(value)


def _facets(facets: dict[str, Any] | None) -> Any:
    if facets is None or None not in facets.values():  # usually none is null: no copy
        return facets
    return {k: v for k, v in facets.items() if v is not None}


def _subject(subject: Any) -> None:
    subject["namespace"] = _key(subject["namespace"], MAX_NAMESPACE)
    subject["name"] = _key(subject["name"], MAX_NAME)
    if "facets" in subject:
        subject["facets"] = _facets(subject["facets"])


def _finish(event: Any) -> EventIn:
    """The checks msgspec did not make, as events.parse makes them; ValueError: go exact."""
    event["eventTime"] = events.event_time(event["eventTime"])
    run = event.get("run")
    if run is not None:
        run["runId"] = events.run_id(run["runId"])
        if "facets" in run:
            facets = run["facets"] = _facets(run["facets"])
            parent = facets.get("parent") if facets else None
            if parent is not None:
                parent["run"]["runId"] = events.run_id(parent["run"]["runId"])
                _subject(parent["job"])
    for key in ("job", "dataset"):
        if event.get(key) is not None:
            _subject(event[key])
    for key in ("inputs", "outputs"):
        for dataset in event.get(key) or ():
            _subject(dataset)
    result: EventIn = event
    return result


def _fast(payload: str, prefix: str) -> Result | None:
    # A backslash is rare in events and found with memchr: most texts skip the slower search.
    if _RETRACTED in payload or ("\\" in payload and _NUL in payload):
        return None
    try:
        event = _finish(_EVENT.decode(payload))
    except (ValueError, RecursionError):  # msgspec's DecodeError is a ValueError
        return None
    return events.parsed(event, payload, prefix)


def _load(text: str) -> Any:
    try:
        # pydantic-core's parser refuses NaN/Infinity (not JSON, and unstorable as jsonb)
        # and nesting deeper than MAX_JSON_DEPTH.
        return from_json(text, allow_inf_nan=False)
    except ValueError as exc:
        if "recursion limit" in str(exc):
            raise InvalidEvent(
                f"The body is {TOO_DEEP}", errors=[FieldError("body", TOO_DEEP)]
            ) from None
        raise events.not_json() from None


def _too_deep(text: str) -> bool:
    """Nested deeper than MAX_JSON_DEPTH (msgspec reads ~1,000 levels, but such an event
    could not be served back). Counting brackets in C rules it out for the usual event."""
    if text.count("{") + text.count("[") <= MAX_JSON_DEPTH:
        return False
    try:
        from_json(text)
    except ValueError as exc:
        return "recursion limit" in str(exc)
    return False


def _decode_any(text: str) -> Any:
    try:
        return msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError):
        pass
    try:
        return from_json(text, allow_inf_nan=False)
    except ValueError:
        return _NOT_JSON


def _encode(data: Any) -> str:
    try:
        return msgspec.json.encode(data).decode()
    except (TypeError, ValueError, OverflowError):
        return events.text_of(data)


def masked(text: str) -> str:
    """An event's JSON text with its secrets masked (``dlv.ops.secrets``); ``text`` itself
    when it holds none, or is no JSON (the parse refuses it). RecursionError: nested too
    deeply to be walked."""
    if not secrets.maybe_secret(text):  # the usual event: one pass of a SIMD automaton
        return text
    data = _decode_any(text)
    if data is _NOT_JSON:
        return text
    clean = secrets.mask(data)
    return text if clean == data else _encode(clean)


def masked_object(text: str) -> dict[str, Any] | None:
    """A stored event as a JSON object with its secrets masked, to show; None when it cannot
    be shown masked (nested too deeply to walk) or is no JSON object."""
    try:
        value = json.loads(masked(text))
    except (RecursionError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _with_payload(result: Result, raw: str, keep_raw: bool) -> Result:
    # DLV_INGEST_STORE_RAW_SECRETS: the text as sent is stored; what is mapped stays masked.
    if keep_raw and isinstance(result, ParsedEvent) and result.payload is not raw:
        return dataclasses.replace(result, payload=raw)
    return result


def parse_event(text: str, prefix: str = "body", *, keep_raw: bool = False) -> Result:
    """One event from its JSON text, its secrets masked (in the text to store too, unless
    ``keep_raw``); InvalidEvent if the text is not JSON at all."""
    if _too_deep(text):
        return [FieldError(prefix, TOO_DEEP)]
    try:
        clean = masked(text)
    except RecursionError:
        return [FieldError(prefix, TOO_DEEP)]
    fast = _fast(clean, prefix)
    result = fast if fast is not None else events.parse(_load(clean), clean, prefix)
    return _with_payload(result, text, keep_raw)


def _parse_item(item: Any, prefix: str, keep_raw: bool) -> Result:
    # A batch item decoded the exact way (msgspec could not split the batch).
    text = events.text_of(item)
    clean, clean_text = item, text
    if secrets.maybe_secret(text):
        try:
            clean = secrets.mask(item)
        except RecursionError:
            return [FieldError(prefix, TOO_DEEP)]
        if clean != item:
            clean_text = events.text_of(clean)
    return _with_payload(events.parse(clean, clean_text, prefix), text, keep_raw)


def _items(text: str) -> tuple[list[Any], bool]:
    """The items of a JSON array: their text when msgspec can split it (True), else decoded."""
    try:
        return [bytes(part) for part in _ITEMS.decode(text)], True
    except (msgspec.DecodeError, RecursionError):  # the exact way names the problem
        data = _load(text)
    if not isinstance(data, list):
        raise InvalidEvent(
            "The body must be a JSON array of events",
            errors=[FieldError("body", "must be an array")],
        )
    return data, False


def parse_batch(text: str, max_items: int, *, keep_raw: bool = False) -> list[Result]:
    """Each event of a JSON array, on its own (see ``parse_event``); InvalidEvent if the body
    is not such an array of at most ``max_items``."""
    items, split = _items(text)
    if len(items) > max_items:
        raise InvalidEvent(
            f"At most {max_items} events per batch",
            errors=[FieldError("body", f"at most {max_items} items")],
        )
    if not split:  # msgspec could not split it; decoded the exact way
        return [_parse_item(item, f"body[{index}]", keep_raw) for index, item in enumerate(items)]
    # The body is valid UTF-8, and items end at ASCII characters: each decodes on its own.
    return [
        parse_event(item.decode(), f"body[{index}]", keep_raw=keep_raw)
        for index, item in enumerate(items)
    ]
