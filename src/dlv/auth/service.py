"""Logins, users and API tokens. No HTTP here and no commits: the request owns the transaction."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dlv.audit import service as audit
from dlv.auth import repository, security
from dlv.auth.models import ApiToken, Role, User
from dlv.auth.policy import canonical_username, password_problem
from dlv.auth.principal import SYSTEM, Principal
from dlv.auth.schemas import (
    MAX_PASSWORD,
    MAX_USERNAME,
    MIN_PASSWORD,
    TokenCreate,
    UserCreate,
    UserUpdate,
)
from dlv.db import utcnow
from dlv.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
)

log = logging.getLogger("dlv.auth")

# An address may fail more often than one user: several people can share a NAT.
ADDRESS_FAILURE_FACTOR = 4


class UserNotFound(NotFound):
    pass


class TokenNotFound(NotFound):
    pass


class LastAdmin(Conflict):
    pass


class UsernameTaken(Conflict):
    pass


class UserDisabled(NotAuthenticated):
    """The password is right but the account is disabled: said so, since only someone who
    knows the password learns it, and they need to know whom to ask."""

    def __init__(self) -> None:
        super().__init__("This account is disabled; ask an admin to enable it")


class WeakPassword(InvalidInput):
    """A password the policy refuses; ``detail`` says why in plain words, never the password."""

    def __init__(self, reason: str, field: str = "body.password") -> None:
        subject = "The password" if field.startswith("body.") else field
        super().__init__(f"{subject} {reason}", errors=[FieldError(field, reason)])


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int  # per user and address: what one client may get wrong
    lockout_seconds: int
    user_max_failures: int  # per user from every address: the ceiling against a spread attack


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int
    scope: str  # what a lockout of this key locks, for the log


def _counters(username: str, address: str | None, policy: ThrottlePolicy) -> list[_Counter]:
    # Failures count per (user, address), so a stranger who fails for a user locks out only
    # themselves; the per-user ceiling (higher) still stops guessing spread over many
    # addresses, and the per-address one guessing spread over many usernames.
    name = canonical_username(username)
    # Cut to fit the key column: an address is at most 45 characters, but behind a proxy
    # trusted with "*" it is whatever X-Forwarded-For said.
    client = (address or "-")[:100]
    counters = [
        _Counter(f"ip:{client}", policy.max_failures * ADDRESS_FAILURE_FACTOR, "address"),
    ]
    # A name longer than any username cannot be one: only the address counts for it (and
    # its key would not fit the column).
    if len(name) <= MAX_USERNAME:
        counters += [
            _Counter(f"pair:{client}:{name}", policy.max_failures, "user from address"),
            _Counter(f"user:{name}", policy.user_max_failures, "user"),
        ]
    return counters


def check_throttle(
    session: Session, username: str, address: str | None, policy: ThrottlePolicy
) -> None:
    """Refuse (429) a login attempt while its user, address, or the two together are locked."""
    now = utcnow()
    keys = [c.key for c in _counters(username, address, policy)]
    for throttle in repository.get_throttles(session, keys):
        if throttle.locked_until is not None and throttle.locked_until > now:
            wait = math.ceil((throttle.locked_until - now).total_seconds())
            raise TooManyRequests(
                f"Too many failed logins; try again in {wait} seconds", retry_after=wait
            )


def find_user_by_name(session: Session, username: str) -> User | None:
    """The user a name (as typed at login or on the CLI) means: its exact spelling first (a
    legacy name that differs from another only in case keeps its own account), then its
    canonical form."""
    canonical = canonical_username(username)
    users = {u.username: u for u in repository.get_users_by_names(session, [username, canonical])}
    return users.get(username) or users.get(canonical)


def authenticate(
    session: Session,
    username: str,
    password: str,
    address: str | None,
    policy: ThrottlePolicy,
) -> User | None:
    """The user when the password is right; otherwise None, and the failure is counted.

    The caller must let the transaction commit even on failure, or the count is lost.
    Raises UserDisabled for the right password of a disabled user (nothing is counted).
    """
    counters = _counters(username, address, policy)
    user = find_user_by_name(session, username)
    if security.verify_password(user.password_hash if user else None, password) and user:
        if user.disabled_at is not None:
            raise UserDisabled()
        # Only this client's own count: the per-user one keeps counting what others got
        # wrong, and the address one what this address got wrong for other names.
        for counter in counters:
            if counter.key.startswith("pair:"):
                repository.clear_throttle(session, counter.key)
        audit.record(session, principal_of(user), "auth.login", "user", user.id)
        return user
    now = utcnow()
    window = timedelta(seconds=policy.lockout_seconds)
    for counter in counters:
        throttle = repository.get_or_create_throttle(session, counter.key, now)
        if now - throttle.window_started_at > window:
            throttle.failures, throttle.window_started_at = 0, now
        throttle.failures += 1
        if throttle.failures >= counter.limit and not _locked(throttle.locked_until, now):
            throttle.locked_until = now + window
            # %r: the name and address are the client's text; repr keeps them on one line.
            log.warning(
                "login lockout: %s locked for %d s after %d failed logins (user=%r address=%r)",
                counter.scope,
                policy.lockout_seconds,
                throttle.failures,
                canonical_username(username)[:MAX_USERNAME],
                address,
            )
    session.flush()
    return None


def _locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


def principal_of(user: User) -> Principal:
    """The principal a logged-in user acts as."""
    return Principal(kind="user", id=user.id, name=user.username, grant=user.role)


def principal_from_bearer(session: Session, key: str, bearer: str) -> Principal | None:
    """Who a bearer token (login JWT or API token) belongs to; None if invalid or revoked."""
    if security.is_api_token(bearer):
        found = repository.get_token_and_owner_role(session, security.hash_api_token(bearer))
        if found is None:
            return None
        token, owner_role = found
        if token.expires_at is not None and token.expires_at <= utcnow():
            return None
        if token.created_by_id is not None and owner_role is None:
            return None  # its owner is gone (the foreign key deletes the token with them)
        return Principal(
            kind="token",
            id=token.id,
            name=token.name,
            grant=token.scope,
            owner_id=token.created_by_id,
            owner_role=owner_role,
        )
    claims = security.read_access_token(key, bearer)
    if claims is None:
        return None
    user = repository.get_user(session, claims.user_id)
    if user is None or user.token_version != claims.token_version:
        return None
    if user.disabled_at is not None:
        return None
    return principal_of(user)


def get_user(session: Session, user_id: uuid.UUID) -> User:
    """One user, or UserNotFound."""
    user = repository.get_user(session, user_id)
    if user is None:
        raise UserNotFound(f"No user with id {user_id}")
    return user


def list_users(session: Session, *, cursor: str | None, limit: int) -> Sequence[User]:
    """Users by name; one more than ``limit`` when a page follows."""
    return repository.list_users(session, cursor=cursor, limit=limit)


def create_user(session: Session, actor: Principal, data: UserCreate) -> User:
    """A new user with an Argon2id password hash."""
    # data.username is canonical: any name that folds to it is the same name.
    if repository.username_in_use(session, data.username):
        raise UsernameTaken(
            f"User {data.username!r} already exists",
            errors=[FieldError("body.username", "already taken")],
        )
    check_password(data.password.get_secret_value(), data.username)
    user = User(
        username=data.username,
        password_hash=security.hash_password(data.password.get_secret_value()),
        role=data.role,
        token_version=0,
    )
    repository.add(session, user)
    audit.record(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        {"username": user.username, "role": user.role, "password": "set"},
    )
    return user


def _is_last_admin(session: Session, user: User) -> bool:
    # Only an enabled admin can act as one: a disabled admin neither counts nor is guarded.
    active = user.role == Role.admin and user.disabled_at is None
    return active and repository.count_admins(session) <= 1


def update_user(session: Session, actor: Principal, user_id: uuid.UUID, data: UserUpdate) -> User:
    """Change a user's role, password or disabled state; the last admin stays an enabled
    admin."""
    user = get_user(session, user_id)
    changes: dict[str, object] = {}
    if data.role is not None and data.role != user.role:
        if _is_last_admin(session, user):
            raise LastAdmin(
                "The last admin cannot be demoted; make another user admin first",
                errors=[FieldError("body.role", "last admin")],
            )
        changes["role"] = {"from": user.role, "to": data.role}
        user.role = data.role
    if data.disabled is not None and data.disabled != (user.disabled_at is not None):
        if data.disabled and _is_last_admin(session, user):
            raise LastAdmin(
                "The last admin cannot be disabled; make another user admin first",
                errors=[FieldError("body.disabled", "last admin")],
            )
        changes["disabled"] = {"from": not data.disabled, "to": data.disabled}
        user.disabled_at = utcnow() if data.disabled else None
        if data.disabled:
            user.token_version += 1  # enabling again must not revive their old sessions
    if data.password is not None:
        check_password(data.password.get_secret_value(), user.username)
        set_password(user, data.password.get_secret_value())
        changes["password"] = "changed"
    if changes:
        session.flush()
        audit.record(session, actor, "user.update", "user", user.id, changes)
    return user


def check_password(password: str, username: str) -> None:
    """Raise WeakPassword unless ``password`` passes the policy (``policy.password_problem``)."""
    problem = password_problem(password, username)
    if problem is not None:
        raise WeakPassword(problem)


def set_password(user: User, password: str) -> None:
    """Store a new hash and invalidate the user's existing login tokens."""
    user.password_hash = security.hash_password(password)
    user.token_version += 1


def delete_user(session: Session, actor: Principal, user_id: uuid.UUID) -> None:
    """Delete a user; never the last admin."""
    user = get_user(session, user_id)
    if _is_last_admin(session, user):
        raise LastAdmin("The last admin cannot be deleted; make another user admin first")
    # Their API tokens go with them (the foreign key would delete them too; this way the
    # audit trail says so).
    for token in repository.tokens_of(session, user.id):
        repository.delete_token(session, token)
        audit.record(
            session,
            actor,
            "token.revoke",
            "token",
            token.id,
            {"name": token.name, "reason": "owner deleted"},
        )
    repository.delete_user(session, user)
    audit.record(session, actor, "user.delete", "user", user_id, {"username": user.username})


def create_token(session: Session, actor: Principal, data: TokenCreate) -> tuple[ApiToken, str]:
    """A new API token and its secret (returned once, stored only as a hash)."""
    secret, token_hash, prefix = security.new_api_token()
    expires_at = utcnow() + timedelta(days=data.expires_days) if data.expires_days else None
    token = ApiToken(
        name=data.name,
        scope=data.scope,
        token_hash=token_hash,
        prefix=prefix,
        created_by_id=_owner_for_new_token(actor),
        expires_at=expires_at,
    )
    repository.add(session, token)
    audit.record(
        session,
        actor,
        "token.create",
        "token",
        token.id,
        {"name": token.name, "scope": token.scope, "expires_at": expires_at},
    )
    return token, secret


def _owner_for_new_token(actor: Principal) -> uuid.UUID | None:
    # A token made with a user's token acts for that same user: a token cannot mint a child
    # that escapes its owner's demotion or deletion.
    if actor.kind == "token":
        return actor.owner_id
    return None if actor.id == SYSTEM.id else actor.id


def list_tokens(session: Session, *, cursor: str | None, limit: int) -> Sequence[ApiToken]:
    """API tokens, newest first, without secrets."""
    return repository.list_tokens(session, cursor=cursor, limit=limit)


def revoke_token(session: Session, actor: Principal, token_id: uuid.UUID) -> None:
    """Delete a token: the next request that sends it gets 401."""
    token = repository.get_token(session, token_id)
    if token is None:
        raise TokenNotFound(f"No API token with id {token_id}")
    repository.delete_token(session, token)
    audit.record(session, actor, "token.revoke", "token", token_id, {"name": token.name})


BOOTSTRAP_SETTING = "DLV_BOOTSTRAP_ADMIN_PASSWORD"


def ensure_bootstrap_admin(session: Session, password: str | None) -> User | None:
    """Create user ``admin`` when there are no users and a bootstrap password is set.

    A password the policy refuses raises WeakPassword naming the setting: starting with a
    guessable admin password is worse than not starting.
    """
    if not password or repository.count_users(session) > 0:
        return None
    try:
        data = UserCreate.model_validate(
            {"username": "admin", "password": password, "role": "admin"}
        )
        # Several processes or hosts may start at once on an empty database: one wins.
        with session.begin_nested():
            return create_user(session, SYSTEM, data)
    except ValidationError:
        reason = f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"
        raise WeakPassword(reason, BOOTSTRAP_SETTING) from None
    except WeakPassword as exc:
        raise WeakPassword(exc.errors[0]["message"], BOOTSTRAP_SETTING) from None
    except (IntegrityError, UsernameTaken):
        return None
