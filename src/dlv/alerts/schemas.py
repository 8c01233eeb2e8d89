"""Request and response shapes of alerts. Channel secrets arrive as ``SecretStr`` and leave
as ``*_set`` flags only (ADR 4)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    field_validator,
)

from dlv import urlsecrets
from dlv.alerts.models import AlertEvent, DeliveryKind, DeliveryStatus, IncidentStatus
from dlv.nodes.connections import Host
from dlv.nodes.schemas import normalize_tag

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Secret = Annotated[SecretStr, Field(max_length=4096)]
Address = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+$"),
]
Username = Annotated[str, StringConstraints(min_length=1, max_length=200)]

# The secret fields of each kind, by name: what is sealed, and what a response flags as set.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "webhook": ("secret",),
    "slack": ("url",),
    "email": ("password",),
}


def _no_credentials(url: AnyHttpUrl, field: str, instead: str) -> AnyHttpUrl:
    found = urlsecrets.find(str(url))
    if found is not None:
        msg = (
            f"{field} must not carry credentials (it has {found.describe()}): it is shown and "
            f"audited. Use {instead}: encrypted at rest, never returned"
        )
        raise ValueError(msg)
    return url


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookConfig(_Config):
    """POST of the alert as JSON, signed with HMAC-SHA256 when a secret is set."""

    kind: Literal["webhook"] = "webhook"
    url: AnyHttpUrl
    secret: Secret | None = Field(
        default=None, description="Signing secret (X-DLV-Signature); write-only"
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        return _no_credentials(value, "url", "secret (the signature proves the sender)")


class SlackConfig(_Config):
    """A Slack incoming webhook. Its URL is the credential, so it is a secret here."""

    kind: Literal["slack"] = "slack"
    url: Secret | None = Field(
        default=None, description="https://hooks.slack.com/services/...; write-only"
    )

    @field_validator("url")
    @classmethod
    def _https(cls, value: SecretStr | None) -> SecretStr | None:
        text = value.get_secret_value() if value is not None else ""
        if text and not text.startswith(("https://", "http://")):
            # The value is never quoted back: the message says what is expected.
            raise ValueError("url must be an http(s) URL (Slack's start with https://hooks.)")
        return value


class EmailConfig(_Config):
    """Email over SMTP: STARTTLS by default, login when a username is given."""

    kind: Literal["email"] = "email"
    host: Host
    port: int = Field(default=587, ge=1, le=65535, strict=True)
    from_address: Address
    to: list[Address] = Field(min_length=1, max_length=50)
    starttls: StrictBool = True
    username: Username | None = None
    password: Secret | None = Field(default=None, description="SMTP password; write-only")


ChannelConfig = Annotated[WebhookConfig | SlackConfig | EmailConfig, Field(discriminator="kind")]
channel_config: TypeAdapter[WebhookConfig | SlackConfig | EmailConfig] = TypeAdapter(ChannelConfig)


class WebhookConfigRead(BaseModel):
    kind: Literal["webhook"]
    url: str
    secret_set: bool


class SlackConfigRead(BaseModel):
    kind: Literal["slack"]
    url_set: bool


class EmailConfigRead(BaseModel):
    kind: Literal["email"]
    host: str
    port: int
    from_address: str
    to: list[str]
    starttls: bool
    username: str | None = None
    password_set: bool


ChannelConfigRead = Annotated[
    WebhookConfigRead | SlackConfigRead | EmailConfigRead, Field(discriminator="kind")
]


class AlertChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    enabled: StrictBool = True
    config: ChannelConfig


class AlertChannelUpdate(BaseModel):
    """Fields to change; a config without a secret keeps the stored one (same kind), an
    empty string clears it."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    enabled: StrictBool | None = None
    config: ChannelConfig | None = None


class AlertChannelRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    enabled: bool
    config: ChannelConfigRead
    created_at: datetime
    updated_at: datetime


class ChannelTestResult(BaseModel):
    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: int


Tag = Annotated[str, StringConstraints(max_length=100)]


class _RuleFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tag: Tag | None = None
    owner: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    namespace: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    dashboard_id: uuid.UUID | None = None
    downstream_of: uuid.UUID | None = Field(
        default=None, description="A node: the rule selects it and everything downstream"
    )

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        return normalize_tag(value) if value is not None else None


class AlertRuleCreate(_RuleFields):
    """A rule: these events, for the nodes its selector picks (all set fields must hold for
    one node among a failure's root and what it affects downstream), to these channels."""

    name: Name
    enabled: StrictBool = True
    events: list[AlertEvent] = Field(min_length=1, max_length=3)
    channel_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)


class AlertRuleUpdate(_RuleFields):
    """Fields to change; a selector field sent as null is cleared."""

    name: Name | None = None
    enabled: StrictBool | None = None
    events: list[AlertEvent] | None = Field(default=None, min_length=1, max_length=3)
    channel_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=50)


class AlertRuleRead(BaseModel):
    id: uuid.UUID
    name: str
    enabled: bool
    events: list[AlertEvent]
    tag: str | None
    owner: str | None
    namespace: str | None
    dashboard_id: uuid.UUID | None
    downstream_of: uuid.UUID | None
    channel_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime


class IncidentRead(BaseModel):
    id: uuid.UUID
    root_node_id: uuid.UUID
    root_name: str
    event: AlertEvent
    status: IncidentStatus
    message: str | None
    affected_count: int
    grouped_count: int
    opened_at: datetime
    resolved_at: datetime | None
    summary: dict[str, Any] = Field(description="The alert as sent (see docs/api.md)")


class AttemptRead(BaseModel):
    number: int
    started_at: datetime
    duration_ms: int
    ok: bool
    status_code: int | None
    error: str | None


class DeliveryRead(BaseModel):
    id: uuid.UUID
    incident_id: uuid.UUID
    channel_id: uuid.UUID
    kind: DeliveryKind
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptRead]
