"""All SQL of the auth domain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from dlv.auth.models import ApiToken, LoginThrottle, Role, User
from dlv.pagination import keyset


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def get_user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def get_users_by_names(session: Session, names: Sequence[str]) -> list[User]:
    return list(session.scalars(select(User).where(User.username.in_(names))))


def username_in_use(session: Session, canonical: str) -> bool:
    """Whether any user's name folds to ``canonical`` (a canonical name is ASCII, and so are
    legacy names, so SQL's lower() is the fold here on both databases)."""
    stmt = select(User.id).where(func.lower(User.username) == canonical).limit(1)
    return session.scalar(stmt) is not None


def list_users(session: Session, *, cursor: str | None, limit: int) -> Sequence[User]:
    stmt = keyset(select(User), [User.username], descending=False, cursor=cursor, limit=limit)
    return session.scalars(stmt).all()


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def count_admins(session: Session) -> int:
    """Admins who can act: a disabled admin does not count."""
    stmt = (
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin, User.disabled_at.is_(None))
    )
    return session.scalar(stmt) or 0


def add(session: Session, obj: User | ApiToken) -> None:
    session.add(obj)
    session.flush()


def delete_user(session: Session, user: User) -> None:
    session.delete(user)
    session.flush()


def get_token(session: Session, token_id: uuid.UUID) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def get_token_and_owner_role(
    session: Session, token_hash: str
) -> tuple[ApiToken, str | None] | None:
    """The token with this hash and its owner's current role (None: no owner, gone, or
    disabled)."""
    stmt = (
        select(ApiToken, User.role, User.disabled_at)
        .outerjoin(User, User.id == ApiToken.created_by_id)
        .where(ApiToken.token_hash == token_hash)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    token, role, disabled_at = row
    return token, None if disabled_at is not None else role


def tokens_of(session: Session, user_id: uuid.UUID) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.created_by_id == user_id)))


def list_tokens(session: Session, *, cursor: str | None, limit: int) -> Sequence[ApiToken]:
    stmt = keyset(
        select(ApiToken),
        [ApiToken.created_at, ApiToken.id],
        descending=True,
        cursor=cursor,
        limit=limit,
    )
    return session.scalars(stmt).all()


def mark_tokens_used(session: Session, used: Mapping[uuid.UUID, datetime]) -> None:
    """Record each token's last use, never moving it back (several processes write it)."""
    for token_id, at in used.items():
        session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < at),
            )
            .values(last_used_at=at)
        )


def delete_token(session: Session, token: ApiToken) -> None:
    session.delete(token)
    session.flush()


def get_throttles(session: Session, keys: Sequence[str]) -> list[LoginThrottle]:
    return list(session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))))


def get_or_create_throttle(session: Session, key: str, now: datetime) -> LoginThrottle:
    throttle = session.get(LoginThrottle, key)
    if throttle is None:
        throttle = LoginThrottle(key=key, failures=0, window_started_at=now)
        session.add(throttle)
    return throttle


def clear_throttle(session: Session, key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
