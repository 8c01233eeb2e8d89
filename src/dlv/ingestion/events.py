"""OpenLineage events as received: decoding, validation, and the parts DLV reads.

The models check what the mapping reads (identities, times, the facets DLV understands) and
let everything else through: the spec is open, and the raw text is kept as it came anyway.
Validation happens before anything is stored, so a rejected event leaves no trace.
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, NotRequired

import orjson
from pydantic import (
    BeforeValidator,
    PlainValidator,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import to_json
from typing_extensions import TypedDict

from dlv.errors import DlvError, FieldError
from dlv.ingestion.models import EventKind, RunState
from dlv.nodes.schemas import Name, Namespace

_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


class InvalidEvent(DlvError):
    status = 400
    slug = "invalid-event"
    title = "Invalid OpenLineage event"


class PayloadTooLarge(DlvError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


def run_id(value: Any) -> uuid.UUID:
    if not isinstance(value, str) or not _UUID.match(value):
        raise ValueError("must be a UUID string like 0190d7a4-5c3e-7b1a-9f00-2a1b3c4d5e6f")
    return uuid.UUID(value)


MIN_EVENT_YEAR, MAX_EVENT_YEAR = 1000, 9000
EVENT_YEARS_MESSAGE = f"must be between the years {MIN_EVENT_YEAR} and {MAX_EVENT_YEAR}"


def event_time(value: Any) -> datetime:
    # The spec's date-time: RFC 3339 with a time part. Java producers send nanoseconds,
    # which fromisoformat truncates to microseconds; a missing offset is read as UTC.
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-11-26T12:00:00.000Z")
    try:
        parsed = datetime.fromisoformat(value)
        utc = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-11-26T12:00:00.000Z") from None
    except OverflowError:  # an offset past year 1 or 9999
        raise ValueError(EVENT_YEARS_MESSAGE) from None
    # Kept away from datetime's limits: the catalog adds steps to stored times.
    if not MIN_EVENT_YEAR <= utc.year <= MAX_EVENT_YEAR:
        raise ValueError(EVENT_YEARS_MESSAGE)
    return utc


RunId = Annotated[uuid.UUID, PlainValidator(run_id)]
EventTime = Annotated[datetime, PlainValidator(event_time)]
# Namespace and Name are a node's key as the catalog takes it (NFC, no control, text-direction
# or zero-width characters): an event that cannot become a node is refused. A secret in a
# name is masked before (``decoding``): "...?user=etl&password=***" is the node's name.


def _drop_deleted(data: Any) -> Any:
    # ``{"_deleted": true}`` retracts a facet; it carries none of the facet's fields.
    if isinstance(data, dict):
        return {
            k: v
            for k, v in data.items()
            if v is not None and not (isinstance(v, dict) and v.get("_deleted") is True)
        }
    return data


# TypedDicts, not models: validation stays in pydantic-core (several times faster, and this
# runs for every event), the result is plain dicts, and keys DLV does not read are dropped
# from the validated copy only (the raw text keeps them).


class JobRef(TypedDict):
    namespace: Namespace
    name: Name


_JOB_REF: TypeAdapter[JobRef] = TypeAdapter(JobRef)


def dataset_key(namespace: str, name: str) -> tuple[str, str] | None:
    """A namespace and name found elsewhere in an event (column lineage, SQL) as an event's
    own dataset would be held to them (trimmed, in NFC), or None if such a dataset would
    be refused."""
    try:
        checked = _JOB_REF.validate_python({"namespace": namespace, "name": name})
    except ValidationError:
        return None
    return checked["namespace"], checked["name"]


class RunRef(TypedDict):
    runId: RunId


class ParentFacet(TypedDict):
    run: RunRef
    job: JobRef


class ErrorMessageFacet(TypedDict):
    message: str
    programmingLanguage: NotRequired[str | None]
    stackTrace: NotRequired[str | None]


class Owner(TypedDict):
    name: str
    type: NotRequired[str | None]


class OwnershipFacet(TypedDict):
    owners: NotRequired[list[Owner]]


class DocumentationFacet(TypedDict):
    description: str
    contentType: NotRequired[str | None]


class SchemaField(TypedDict):
    name: str
    type: NotRequired[str | None]
    description: NotRequired[str | None]
    ordinal_position: NotRequired[int | None]
    fields: NotRequired[list[SchemaField]]


class SchemaFacet(TypedDict):
    fields: NotRequired[list[SchemaField]]


class SQLFacet(TypedDict):
    query: str
    dialect: NotRequired[str | None]


class JobTypeFacet(TypedDict):
    processingType: str
    integration: str
    jobType: NotRequired[str | None]


class Transformation(TypedDict):
    type: str
    subtype: NotRequired[str | None]
    description: NotRequired[str | None]
    masking: NotRequired[bool | None]


class InputField(TypedDict):
    namespace: str
    name: str
    field: str
    transformations: NotRequired[list[Transformation]]


class ColumnFields(TypedDict):
    inputFields: list[InputField]
    transformationDescription: NotRequired[str | None]
    transformationType: NotRequired[str | None]


class ColumnLineageFacet(TypedDict):
    fields: dict[str, ColumnFields]
    dataset: NotRequired[list[InputField]]


class RunFacets(TypedDict, total=False):
    parent: ParentFacet
    errorMessage: ErrorMessageFacet


class JobFacets(TypedDict, total=False):
    ownership: OwnershipFacet
    documentation: DocumentationFacet
    sql: SQLFacet
    jobType: JobTypeFacet
    # Read leniently (mapping.tag_names): a tag DLV cannot use is skipped, not refused.
    tags: dict[str, Any]


class DatasetFacets(TypedDict, total=False):
    ownership: OwnershipFacet
    documentation: DocumentationFacet
    schema: SchemaFacet
    columnLineage: ColumnLineageFacet
    tags: dict[str, Any]


Facets = BeforeValidator(_drop_deleted)


class DatasetIn(TypedDict):
    namespace: Namespace
    name: Name
    facets: NotRequired[Annotated[DatasetFacets, Facets] | None]
    inputFacets: NotRequired[dict[str, Any] | None]
    outputFacets: NotRequired[dict[str, Any] | None]


class JobIn(TypedDict):
    namespace: Namespace
    name: Name
    facets: NotRequired[Annotated[JobFacets, Facets] | None]


class RunIn(TypedDict):
    runId: RunId
    facets: NotRequired[Annotated[RunFacets, Facets] | None]


class EventIn(TypedDict):
    """The union of RunEvent, JobEvent and DatasetEvent; ``parse`` tells which one it is."""

    eventTime: EventTime
    eventType: NotRequired[RunState | None]
    producer: NotRequired[str | None]
    schemaURL: NotRequired[str | None]
    run: NotRequired[RunIn | None]
    job: NotRequired[JobIn | None]
    dataset: NotRequired[DatasetIn | None]
    inputs: NotRequired[list[DatasetIn] | None]
    outputs: NotRequired[list[DatasetIn] | None]


EVENT: TypeAdapter[EventIn] = TypeAdapter(EventIn)


@dataclass(frozen=True)
class ParsedEvent:
    """A valid event: what the tables index, the model the mapping reads, the raw text."""

    kind: EventKind
    event_type: RunState | None
    event_time: datetime
    run_id: uuid.UUID | None
    namespace: str
    name: str
    payload: str
    event: EventIn


def _path(prefix: str, loc: Sequence[int | str]) -> str:
    return prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def _find_nul(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_nul(key, path) or _find_nul(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _find_nul(item, f"{path}[{i}]")
            if found:
                return found
    return None


def parse(data: Any, payload: str, prefix: str = "body") -> ParsedEvent | list[FieldError]:
    """A ParsedEvent, or the field errors (named from ``prefix``) that make it invalid."""
    if not isinstance(data, dict):
        return [FieldError(prefix, "must be a JSON object (an OpenLineage event)")]
    # PostgreSQL text cannot hold NUL. JSON can only carry one escaped, so the text search
    # is a cheap first look and the walk (which names the field) runs only after a hit.
    if "\\u0000" in payload:
        where = _find_nul(data, prefix)
        if where is not None:
            return [FieldError(where, "must not contain NUL characters")]
    try:
        event = EVENT.validate_python(data)
    except ValidationError as exc:
        return [FieldError(_path(prefix, e["loc"]), e["msg"]) for e in exc.errors()]
    return parsed(event, payload, prefix)


def parsed(event: EventIn, payload: str, prefix: str) -> ParsedEvent | list[FieldError]:
    """A valid event's ParsedEvent: which kind it is, and what the tables index."""
    run, job, dataset = event.get("run"), event.get("job"), event.get("dataset")
    event_type = event.get("eventType")
    if run is not None or event_type is not None:
        missing = [f for f, v in (("run", run), ("job", job)) if v is None]
        if missing:
            return [FieldError(f"{prefix}.{f}", "required in a run event") for f in missing]
        assert run is not None
        assert job is not None
        return ParsedEvent(
            EventKind.run,
            event_type,
            event["eventTime"],
            run["runId"],
            job["namespace"],
            job["name"],
            payload,
            event,
        )
    subject: JobIn | DatasetIn
    if dataset is not None:
        subject, kind = dataset, EventKind.dataset
    elif job is not None:
        subject, kind = job, EventKind.job
    else:
        return [FieldError(f"{prefix}.job", "an event needs run and job, job, or dataset")]
    return ParsedEvent(
        kind, None, event["eventTime"], None, subject["namespace"], subject["name"], payload, event
    )


def text_of(item: Any) -> str:
    """The JSON text of one decoded event (a batch's items have none of their own).

    orjson is 5x faster than pydantic-core here, which is most of a batch's cost after
    validation; it refuses integers beyond 64 bits, which pydantic-core writes."""
    try:
        return orjson.dumps(item).decode()
    except orjson.JSONEncodeError:
        return to_json(item).decode()


def body_text(raw: bytes, content_encoding: str | None, limit: int) -> str:
    """The text of a request body (gunzipped if need be): InvalidEvent if it is not UTF-8."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            # Bounded: a small gzip bomb must not expand into gigabytes of memory.
            raw = inflater.decompress(raw, limit + 1)
        except zlib.error:
            raise InvalidEvent(
                "The body is not valid gzip",
                errors=[FieldError("header.Content-Encoding", "body is not gzip")],
            ) from None
        if len(raw) > limit:
            raise PayloadTooLarge(f"The decompressed body is larger than {limit} bytes")
        if not inflater.eof:
            raise InvalidEvent(
                "The gzip body is truncated", errors=[FieldError("body", "truncated gzip data")]
            )
    elif encoding != "identity":
        raise InvalidEvent(
            f"Content-Encoding {encoding!r} is not supported; send gzip or nothing",
            errors=[FieldError("header.Content-Encoding", "only gzip is supported")],
        )
    try:
        return raw.decode("utf-8")
    except ValueError:
        raise not_json() from None


def not_json() -> InvalidEvent:
    return InvalidEvent(
        "The body is not a JSON document", errors=[FieldError("body", "not valid JSON")]
    )
