"""Request and response bodies of the auth, users and tokens endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from dlv.auth.models import Role, TokenScope
from dlv.auth.policy import canonical_username
from dlv.types import RequestBody

MAX_USERNAME = 64
# Plain ASCII as written (so no look-alike from another script), then stored and compared in
# its canonical form: "Alice" is user "alice", and a second "ALICE" is refused as taken.
Username = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_.@-]+$", min_length=1, max_length=MAX_USERNAME),
    AfterValidator(canonical_username),
]
MIN_PASSWORD, MAX_PASSWORD = 8, 1024


def _password_length(value: SecretStr) -> SecretStr:
    if not MIN_PASSWORD <= len(value.get_secret_value()) <= MAX_PASSWORD:
        msg = f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"
        raise ValueError(msg)
    return value


Password = Annotated[
    SecretStr,
    AfterValidator(_password_length),
    Field(json_schema_extra={"minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD}),
]


def _json_integer(value: Any) -> Any:
    # A JSON integer, as the schema's "integer" means it: 30 and 30.0, not true nor "30"
    # (lax mode would read those as 1 and 30; strict mode refused 30.0, which the schema allows).
    if isinstance(value, bool | str | bytes):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class AccessToken(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Me(BaseModel):
    id: uuid.UUID
    username: str
    role: str
    kind: Literal["user", "token"]


class UserCreate(RequestBody):
    username: Username
    password: Password
    role: Role = Role.viewer


class UserUpdate(RequestBody):
    role: Role | None = None
    password: Password | None = None
    disabled: bool | None = Field(
        default=None,
        description="true: the user can no longer sign in, and their login and API tokens "
        "stop working (kept for when they are enabled again); never the last admin",
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    role: Role
    disabled_at: datetime | None = Field(
        description="Since when the user is disabled; null: enabled"
    )
    created_at: datetime
    updated_at: datetime


class TokenCreate(RequestBody):
    name: TokenName
    scope: TokenScope
    expires_days: Annotated[int, Field(ge=1, le=3650), BeforeValidator(_json_integer)] | None = None


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    scope: TokenScope
    prefix: str
    created_by_id: uuid.UUID | None = Field(
        description="The user it acts for (never beyond their role now; deleted with them); "
        "null for an operator token made with `dlv tokens create`"
    )
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(
        description="When it last authenticated a request, to within about a minute; "
        "null: not used since DLV recorded uses"
    )


class TokenCreated(TokenRead):
    token: str = Field(description="The secret; shown this once, store it now")
