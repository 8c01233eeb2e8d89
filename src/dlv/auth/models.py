"""Users, API tokens and the login throttle."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dlv.db import Base, UTCDateTime, new_id, utcnow


class Role(StrEnum):
    admin = "admin"
    viewer = "viewer"


class TokenScope(StrEnum):
    admin = "admin"
    read = "read"
    ingest = "ingest"


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Canonical (``policy.canonical_username``); rows from before version 0009 that differ
    # only in case from another were left as they were (see that migration).
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # Bumped when the password changes: login tokens issued before stop working.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    # Set while the user is disabled: no sign-in, and neither their login tokens nor the API
    # tokens acting for them work (both are kept for when they are enabled again).
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the whole token: tokens are 256 random bits, so a slow hash adds nothing
    # and a fast lookup by hash keeps every authenticated request cheap.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    # The user the token acts for: it never does more than that user's role allows now, and
    # it is deleted with them. None: an operator token (``dlv tokens create``), bound to no
    # user, as trusted as the shell that made it.
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # To within a minute or so: each process writes it at most once a minute (auth.usage).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginThrottle(Base):
    """Failed logins per key (``pair:ADDR:NAME``, ``user:NAME`` or ``ip:ADDR``), shared by every
    DLV process."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
