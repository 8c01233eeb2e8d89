"""Annotated types shared by several domains' schemas."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from dlv.errors import FieldError, InvalidInput

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
RFC3339_MESSAGE = "must be an RFC 3339 date-time with its offset, e.g. 2026-11-26T12:00:00Z"


def _rfc3339_only(value: Any) -> Any:
    # The schema says format date-time (RFC 3339), but pydantic also reads "0.5" (a Unix
    # timestamp), "2026-11-26", times without seconds or a zone (whose zone? a query that
    # silently means UTC or the server's), "+0000" offsets: the fuzzer sends those as invalid.
    if not (isinstance(value, str) and _RFC3339.fullmatch(value)):
        raise PydanticCustomError("date_time_format", RFC3339_MESSAGE)
    return value


def _within_utc(value: datetime) -> datetime:
    try:  # queries compare in UTC: an offset past year 1 or 9999 has no UTC time
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("date_time_range", "is out of range in UTC") from None
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_rfc3339_only), AfterValidator(_within_utc)]


NUL_MESSAGE = "must not contain NUL characters"


def _find_nul(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_nul(key, path) or _find_nul(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _find_nul(item, f"{path}.{i}")
            if found:
                return found
    return None


class RequestBody(BaseModel):
    """Base of every request body: unknown fields are errors, NUL characters too.

    PostgreSQL cannot store NUL in text, and no catalog name, note or credential has one, so
    it is refused up front with the field named rather than failing deep in the database.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        where = _find_nul(data, "body")
        if where is not None:
            raise InvalidInput(
                f"Invalid value for: {where}", errors=[FieldError(where, NUL_MESSAGE)]
            )
        return data


class PatchBody(RequestBody):
    """A PATCH body: only the fields sent change, and ``null`` clears an optional field.

    The fields in ``required_when_sent`` may be left out but never sent as ``null``.
    """

    required_when_sent: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The schema says what the validator below says: these may be left out, never null.
        schema = handler.resolve_ref_schema(handler(core_schema))
        for field in cls.required_when_sent:
            prop = schema.get("properties", {}).get(field, {})
            options = [o for o in prop.get("anyOf", ()) if o != {"type": "null"}]
            if "anyOf" in prop and len(options) == 1:
                del prop["anyOf"]
                prop.update(options[0])
            elif "anyOf" in prop:
                prop["anyOf"] = options
            if prop.get("default", ...) is None:
                del prop["default"]
        return schema

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        for field in self.required_when_sent:
            if field in self.model_fields_set and getattr(self, field) is None:
                msg = f"{field} cannot be null"
                raise ValueError(msg)
        return self
