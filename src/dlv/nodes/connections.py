"""Connection configs per system kind: what a connector needs to reach PostgreSQL, Airflow, Spark.

A config arrives with its secrets as ``SecretStr``. Storage splits it: the public part is kept
as JSON, the secrets (a flat ``{"path": value}`` dict) are sealed by ``dlv.crypto``. Responses
carry the public part plus ``*_set`` flags, never a secret.

A URL is public, so it may not carry a credential (``dlv.urlsecrets``): a config that puts one
there is refused, naming the secret field to use instead. Configs stored before that rule are
still read (``parse`` of a stored config skips it) and their URLs are masked wherever shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from dlv import urlsecrets

Host = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=253, pattern=r"^[A-Za-z0-9._:\[\]-]+$"
    ),
]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Secret = Annotated[SecretStr, Field(max_length=4096)]
Url = Annotated[AnyHttpUrl, Field(description="http(s) URL")]
SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
Timeout = Annotated[int, Field(ge=1, le=120, description="seconds")]


# Validation context of a config read back from the database (see ``parse``).
STORED: dict[str, Any] = {"stored": True}
# The URL fields of each kind, all public. A postgres config has none: its host admits no "@".
URL_FIELDS: dict[str, tuple[str, ...]] = {"airflow": ("base_url",), "spark": ("url",)}


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _required(tag: str) -> Callable[[dict[str, Any]], None]:
    # A union is told apart by its tag, so a config without one is refused: the default only
    # serves code that builds a config. (A node's create body fills kind in from the node.)
    def require(schema: dict[str, Any]) -> None:
        schema["required"] = [tag, *schema.get("required", [])]

    return require


class _Connection(_Config):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_required("kind"))


class _Auth(_Config):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_required("type"))


def _base_url(url: AnyHttpUrl, info: ValidationInfo, instead: str) -> AnyHttpUrl:
    """A system's base URL: no credentials in it, and nothing after its path (DLV appends the
    API's paths to it). Stored configs are read as they are."""
    if info.context and info.context.get("stored"):
        return url
    found = urlsecrets.find(str(url))
    if found is not None:
        # The message names what was found and where it belongs; never the value.
        msg = (
            f"{info.field_name} must not carry credentials (it has {found.describe()}): URLs "
            f"are shown to viewers, exported and audited. Use {instead}: encrypted at rest, "
            "never returned"
        )
        raise ValueError(msg)
    if url.query or url.fragment:
        msg = (
            f"{info.field_name} must end with its path, without a query or fragment: DLV "
            "appends the API's paths to it"
        )
        raise ValueError(msg)
    return url


class PostgresConnection(_Connection):
    kind: Literal["postgres"] = "postgres"
    host: Host
    port: int = Field(default=5432, ge=1, le=65535)
    database: Ident
    user: Ident
    password: Secret | None = None
    sslmode: SslMode = "prefer"
    connect_timeout: Timeout = 5


class BasicAuth(_Auth):
    type: Literal["basic"] = "basic"
    username: Ident
    password: Secret | None = None


class BearerAuth(_Auth):
    type: Literal["bearer"] = "bearer"
    token: Secret | None = None


class AirflowConnection(_Connection):
    kind: Literal["airflow"] = "airflow"
    base_url: Url
    api_version: Literal[2, 3] = 2
    auth: Annotated[BasicAuth | BearerAuth, Field(discriminator="type")] | None = None
    timeout: Timeout = 5

    @field_validator("base_url")
    @classmethod
    def _no_credentials(cls, value: AnyHttpUrl, info: ValidationInfo) -> AnyHttpUrl:
        return _base_url(
            value,
            info,
            "auth.password (auth type basic, with auth.username) or auth.token (auth type bearer)",
        )


class SparkConnection(_Connection):
    kind: Literal["spark"] = "spark"
    url: Url = Field(description="History server, master or application UI REST URL")
    token: Secret | None = None
    timeout: Timeout = 5

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, value: AnyHttpUrl, info: ValidationInfo) -> AnyHttpUrl:
        return _base_url(value, info, "token (sent as a bearer token)")


ConnectionConfig = Annotated[
    PostgresConnection | AirflowConnection | SparkConnection, Field(discriminator="kind")
]
_adapter: TypeAdapter[PostgresConnection | AirflowConnection | SparkConnection] = TypeAdapter(
    ConnectionConfig
)


# Read models: the same shape with each secret replaced by a flag.
class BasicAuthRead(BaseModel):
    type: Literal["basic"]
    username: str
    password_set: bool


class BearerAuthRead(BaseModel):
    type: Literal["bearer"]
    token_set: bool


class PostgresConnectionRead(BaseModel):
    kind: Literal["postgres"]
    host: str
    port: int
    database: str
    user: str
    password_set: bool
    sslmode: str
    connect_timeout: int


class AirflowConnectionRead(BaseModel):
    kind: Literal["airflow"]
    base_url: str
    api_version: int
    auth: Annotated[BasicAuthRead | BearerAuthRead, Field(discriminator="type")] | None = None
    timeout: int


class SparkConnectionRead(BaseModel):
    kind: Literal["spark"]
    url: str
    token_set: bool
    timeout: int


ConnectionRead = Annotated[
    PostgresConnectionRead | AirflowConnectionRead | SparkConnectionRead,
    Field(discriminator="kind"),
]
_read_adapter: TypeAdapter[PostgresConnectionRead | AirflowConnectionRead | SparkConnectionRead] = (
    TypeAdapter(ConnectionRead)
)


def split_secrets(config: BaseModel) -> tuple[dict[str, Any], dict[str, str]]:
    """(public JSON of ``config``, its secrets as ``{"dotted.path": value}``)."""
    secrets: dict[str, str] = {}

    def walk(model: BaseModel, prefix: str) -> dict[str, Any]:
        public: dict[str, Any] = {}
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, SecretStr):
                if value.get_secret_value():
                    secrets[prefix + name] = value.get_secret_value()
            elif isinstance(value, BaseModel):
                public[name] = walk(value, f"{prefix}{name}.")
            elif value is not None:
                public[name] = value if isinstance(value, int | str | bool) else str(value)
        return public

    return walk(config, ""), secrets


def secret_values(config: BaseModel) -> list[str]:
    """Every secret value ``config`` holds, to mask in whatever DLV says about the system."""
    return list(split_secrets(config)[1].values())


def merge_secrets(public: dict[str, Any], secrets: dict[str, str]) -> dict[str, Any]:
    """The full config dict (for a connector) from its stored halves."""
    full: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in public.items()}
    for path, value in secrets.items():
        *parents, leaf = path.split(".")
        target = full
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return full


def parse(data: dict[str, Any]) -> PostgresConnection | AirflowConnection | SparkConnection:
    """Validate a stored config dict again (raises pydantic.ValidationError).

    A URL holding a credential is accepted here: the row predates the rule, and refusing it
    would stop the node's checks without removing anything from the database. Saving the
    connection again is what moves the credential out (input validation refuses it).
    """
    return _adapter.validate_python(data, context=STORED)


def masked(public: dict[str, Any]) -> dict[str, Any]:
    """The public part of a stored config with any credential in its URLs masked.

    Input validation keeps credentials out of URLs; this is for rows stored before it, on
    every way out (responses, the graph export, new audit records).
    """
    fields = URL_FIELDS.get(str(public.get("kind")), ())
    return {
        k: urlsecrets.mask(v) if k in fields and isinstance(v, str) else v
        for k, v in public.items()
    }


def carry_over_secrets(
    new: dict[str, str], old: dict[str, str], public: dict[str, Any]
) -> dict[str, str]:
    """Secrets for an update: sent ones win; unsent ones are kept where the field still exists."""
    kept = {path: value for path, value in old.items() if path not in new}
    valid_paths = set(_secret_paths(public))
    return {**{p: v for p, v in kept.items() if p in valid_paths}, **new}


def _secret_paths(public: dict[str, Any]) -> list[str]:
    # Which secret fields the config's shape has (e.g. basic auth has a password, bearer a token).
    kind = public.get("kind")
    if kind == "postgres":
        return ["password"]
    if kind == "spark":
        return ["token"]
    auth = public.get("auth") or {}
    return {"basic": ["auth.password"], "bearer": ["auth.token"]}.get(str(auth.get("type")), [])


def to_read(
    public: dict[str, Any], secrets_present: set[str]
) -> PostgresConnectionRead | AirflowConnectionRead | SparkConnectionRead:
    """The response form: public fields (URLs masked) plus a ``*_set`` flag per secret field."""
    data: dict[str, Any] = {
        k: dict(v) if isinstance(v, dict) else v for k, v in masked(public).items()
    }
    for path in _secret_paths(public):
        *parents, leaf = path.split(".")
        target = data
        for part in parents:
            target = target.setdefault(part, {})
        target[f"{leaf}_set"] = path in secrets_present
    return _read_adapter.validate_python(data)
