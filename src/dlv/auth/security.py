"""Password hashing (Argon2id), login JWTs and API token secrets."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

API_TOKEN_PREFIX = "dlv_"
JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "dlv-api"

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id, RFC 9106 low-memory profile
# Verified against when the user does not exist, so both answers take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def use_hasher(hasher: PasswordHasher) -> None:
    """Replace the Argon2id parameters (the test suite uses cheaper ones to stay fast)."""
    global _hasher  # noqa: PLW0603 - one process-wide hasher, configured once at start
    _hasher = hasher


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; costs the same when there is no user."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    token_version: int


def issue_access_token(
    key: str, user_id: uuid.UUID, token_version: int, minutes: int
) -> tuple[str, int]:
    """A signed login token and its lifetime in seconds."""
    now = datetime.now(UTC)
    payload = {
        "sub": str(user_id),
        "ver": token_version,
        "aud": JWT_AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(payload, key, algorithm=JWT_ALGORITHM), minutes * 60


def read_access_token(key: str, token: str) -> AccessClaims | None:
    """The claims of a valid, unexpired token signed with ``key``; None otherwise."""
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            audience=JWT_AUDIENCE,
            options={"require": ["sub", "exp", "aud"]},
        )
        return AccessClaims(uuid.UUID(str(payload["sub"])), int(payload.get("ver", 0)))
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def new_api_token() -> tuple[str, str, str]:
    """(token shown once, its hash for storage, a short prefix to recognise it by)."""
    secret = secrets.token_urlsafe(32)
    token = API_TOKEN_PREFIX + secret
    return token, hash_api_token(token), token[: len(API_TOKEN_PREFIX) + 6]


def hash_api_token(token: str) -> str:
    """The stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_api_token(token: str) -> bool:
    """API tokens are recognisable by prefix, so a bearer value needs only one lookup."""
    return token.startswith(API_TOKEN_PREFIX)
