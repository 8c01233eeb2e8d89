"""Request and response bodies of the catalog."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from dlv.monitor.schedule import MAX_INTERVAL_SECONDS
from dlv.nodes.connections import ConnectionConfig, ConnectionRead
from dlv.nodes.models import SYSTEM_KINDS, NodeKind, NodeStatus
from dlv.types import PatchBody, RequestBody

MAX_TAGS = 50
_TAG = re.compile(r"^[a-z0-9][a-z0-9_.:/-]{0,63}$")
# What the schema promises a tag as sent: the stored form in any ASCII case, spaces around.
# The server also folds inner whitespace into "-" ("PII Data" is pii-data), which a pattern
# could only state with a length it cannot count.
TAG_PATTERN = r"^ *[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63} *$"
_CONTROL_CHARS = r"\x00-\x1f\x7f"
_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")


# Bidi overrides and isolates change how the text around them is displayed (a name can look
# like another one), and zero-width characters make names that look alike differ.
_INVISIBLE_CHARS = r"\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069"
INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
INVISIBLE_MESSAGE = (
    "must not contain text-direction or zero-width characters "
    "(U+202A-U+202E, U+2066-U+2069, U+200B-U+200D, U+2060, U+FEFF)"
)


def no_control_chars(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def nfc(value: Any) -> Any:
    """A text in NFC, so that "é" typed as one character or as e + accent is one name."""
    if isinstance(value, str) and not value.isascii():
        return unicodedata.normalize("NFC", value)  # a no-op copy when already NFC
    return value


def clean_name(value: str) -> str:
    """A node's namespace or name: no control, text-direction or zero-width characters."""
    no_control_chars(value)
    if not value.isascii() and INVISIBLE.search(value):
        raise ValueError(INVISIBLE_MESSAGE)
    return value


def text_pattern(forbidden: str) -> str:
    """The schema pattern of a text that strips to something and holds none of ``forbidden``
    (a regex character class body): what the validators below refuse, said in the schema."""
    return f"^[^{forbidden}]*[^\\s{forbidden}][^{forbidden}]*$"


# The schema of a name, as the API's validators check it and the OpenLineage schema repeats.
NAME_PATTERN = text_pattern(_CONTROL_CHARS + _INVISIBLE_CHARS)
NO_CONTROL_PATTERN = text_pattern(_CONTROL_CHARS)


def name_schema(max_length: int) -> dict[str, Any]:
    """The JSON schema of a namespace or name of at most ``max_length`` characters."""
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": NAME_PATTERN}


def normalize_tag(raw: str) -> str:
    """Tags compare case-insensitively, without stray spaces: ``" PII Data "`` -> ``pii-data``."""
    tag = "-".join(raw.strip().lower().split())
    if not _TAG.match(tag):
        msg = f"invalid tag {raw!r}: letters, digits and _ . : / - only, at most 64 characters"
        raise ValueError(msg)
    return tag


def _normalize_tags(values: list[str]) -> list[str]:
    tags = sorted({normalize_tag(v) for v in values})
    if len(tags) > MAX_TAGS:
        msg = f"at most {MAX_TAGS} tags"
        raise ValueError(msg)
    return tags


MAX_NAMESPACE, MAX_NAME = 500, 1000
# In NFC (a few characters grow under it) before their length is checked.
Namespace = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAMESPACE),
    Field(json_schema_extra={"pattern": NAME_PATTERN}),
    BeforeValidator(nfc),  # runs first, so the length is checked in NFC
    AfterValidator(clean_name),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME),
    Field(json_schema_extra={"pattern": NAME_PATTERN}),
    BeforeValidator(nfc),  # runs first, so the length is checked in NFC
    AfterValidator(clean_name),
]
# A search text or filter: in NFC like the names it is compared with.
SearchText = Annotated[str, BeforeValidator(nfc)]
MAX_OWNER, MAX_OWNERS = 200, 20
Owner = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_OWNER)]


def _distinct_owners(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))  # order kept: the first is the primary owner


Owners = Annotated[list[Owner], Field(max_length=MAX_OWNERS), AfterValidator(_distinct_owners)]


def keep_owners(names: Iterable[str]) -> list[str]:
    """The names a system gave (OpenLineage, dbt) that the catalog can keep as owners, in
    order, each once; a longer or unprintable one, or one past ``MAX_OWNERS``, is left for a
    person to set rather than refusing what came with it."""
    stripped = (n.strip() for n in names)
    kept = dict.fromkeys(n for n in stripped if 0 < len(n) <= MAX_OWNER and n.isprintable())
    return list(kept)[:MAX_OWNERS]


def keep_tags(texts: Iterable[str]) -> list[str]:
    """The tags a system gave that the catalog can keep (normalized, sorted, at most
    ``MAX_TAGS``); one that is no valid tag is skipped."""
    found: set[str] = set()
    for text in texts:
        try:
            found.add(normalize_tag(text))
        except ValueError:
            continue
    return sorted(found)[:MAX_TAGS]


def owners_of(owner: str | None, owners: list[str] | None) -> list[str]:
    """Every owner a body gives, from ``owners`` or else from ``owner``."""
    if owners is not None:
        return owners
    return [owner] if owner else []


def owner_and_owners(data: Any) -> Any:
    # ``owner`` is the first of ``owners``: either may be sent; both must agree.
    if not isinstance(data, dict) or "owners" not in data or "owner" not in data:
        return data
    owners, owner = data["owners"], data["owner"]
    first = owners[0] if isinstance(owners, list) and owners else None
    if isinstance(first, str) and isinstance(owner, str) and first.strip() != owner.strip():
        raise ValueError("owner must be the first of owners (or send only one of them)")
    if owner is None and first is not None:
        raise ValueError("owner is null but owners is not empty (or send only one of them)")
    return data


MAX_DESCRIPTION = 20_000
Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)]
# The pattern is the schema's; normalize_tag's messages say what is wrong.
Tag = Annotated[str, Field(max_length=200, json_schema_extra={"pattern": TAG_PATTERN})]
Tags = Annotated[list[Tag], AfterValidator(_normalize_tags)]


def _inject_kind(data: Any) -> Any:
    # The node's kind picks the connection schema, so the client need not repeat it.
    if isinstance(data, dict) and isinstance(data.get("connection"), dict):
        kind = data.get("kind")
        if kind in {k.value for k in SYSTEM_KINDS} and "kind" not in data["connection"]:
            data = {**data, "connection": {**data["connection"], "kind": kind}}
    return data


CheckInterval = Annotated[
    int,
    Field(
        ge=1,
        le=MAX_INTERVAL_SECONDS,
        description=(
            "Seconds between scheduled connection checks (at least 30, "
            "DLV_MONITOR_MIN_INTERVAL_SECONDS); null: checked only when asked"
        ),
    ),
]


class NodeCreate(RequestBody):
    kind: NodeKind
    namespace: Namespace
    name: Name
    parent_id: uuid.UUID | None = None
    description: Description | None = None
    owner: Owner | None = Field(default=None, description="the first owner")
    owners: Owners | None = Field(default=None, description="every owner, the first one first")
    tags: Tags = Field(default_factory=list)
    connection: ConnectionConfig | None = None
    check_interval_seconds: CheckInterval | None = Field(
        default=None,
        description=(
            "Seconds between scheduled checks; not sent: 300 for a node with a connection; "
            "null: checked only when asked"
        ),
    )
    collect_on_schedule: bool = Field(
        default=True,
        description=(
            "Whether each scheduled check also runs the node's collector (PostgreSQL, Airflow, "
            "Spark systems)"
        ),
    )

    _kind = model_validator(mode="before")(_inject_kind)
    _owners = model_validator(mode="before")(owner_and_owners)

    def all_owners(self) -> list[str]:
        return owners_of(self.owner, self.owners)


class NodeUpdate(PatchBody):
    """Only the fields sent change; ``null`` clears an optional field."""

    required_when_sent = ("namespace", "name", "collect_on_schedule")

    namespace: Namespace | None = None
    name: Name | None = None
    parent_id: uuid.UUID | None = None
    description: Description | None = None
    owner: Owner | None = Field(default=None, description="sets the owners to this one")
    owners: Owners | None = Field(default=None, description="every owner, the first one first")
    tags: Tags | None = None
    connection: ConnectionConfig | None = Field(
        default=None,
        description=(
            "Replaces the config (`kind` required); secrets not sent are kept, "
            "an empty string clears one"
        ),
    )
    check_interval_seconds: CheckInterval | None = Field(
        default=None,
        description="Seconds between scheduled checks; null: checked only when asked",
    )
    collect_on_schedule: bool | None = Field(
        default=None,
        description="Whether each scheduled check also runs the node's collector",
    )

    _owners = model_validator(mode="before")(owner_and_owners)

    def sent_owners(self) -> list[str] | None:
        """The owners to set, if ``owner`` or ``owners`` was sent."""
        if "owners" in self.model_fields_set:
            return self.owners or []
        if "owner" in self.model_fields_set:
            return [self.owner] if self.owner else []
        return None


class AnnotationCreate(RequestBody):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class AnnotationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    text: str
    author: str
    created_at: datetime


class NodeRead(BaseModel):
    id: uuid.UUID
    kind: NodeKind
    namespace: str
    name: str
    parent_id: uuid.UUID | None
    description: str | None
    owner: str | None = Field(description="the first of owners")
    owners: list[str]
    tags: list[str]
    annotations: list[AnnotationRead]
    status: NodeStatus
    status_message: str | None
    status_changed_at: datetime | None
    connection: ConnectionRead | None
    check_interval_seconds: int | None = Field(
        description="Seconds between scheduled checks; null: checked only when asked"
    )
    collect_on_schedule: bool = Field(
        description="Whether each scheduled check also runs the node's collector"
    )
    next_check_at: datetime | None = Field(
        description="When the monitoring loop checks it next; null: not scheduled"
    )
    created_at: datetime
    updated_at: datetime


class NodeSortField(StrEnum):
    """The fields the node list may be sorted by (and only these)."""

    name = "name"
    namespace = "namespace"
    kind = "kind"
    owner = "owner"
    status = "status"
    created_at = "created_at"
    updated_at = "updated_at"
