"""HTTP routes: login, the caller, users and API tokens."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from dlv.auth import service
from dlv.auth.dependencies import Admin, CurrentPrincipal
from dlv.auth.schemas import (
    AccessToken,
    Me,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from dlv.auth.security import issue_access_token
from dlv.db import SessionDep
from dlv.errors import FieldError, InvalidInput, problem
from dlv.pagination import CursorQuery, LimitQuery, Page, page_of
from dlv.types import NUL_MESSAGE

router = APIRouter(prefix="/api/v1")


@router.post(
    "/auth/token",
    response_model=AccessToken,
    tags=["auth"],
    operation_id="login",
)
def login(
    request: Request,
    session: SessionDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> AccessToken | JSONResponse:
    """Exchange a username and password for a bearer token."""
    settings = request.app.state.settings
    policy = service.ThrottlePolicy(
        max_failures=settings.login_max_failures,
        lockout_seconds=settings.login_lockout_seconds,
        user_max_failures=settings.login_user_max_failures,
    )
    address = request.client.host if request.client else None
    for field in ("username", "password"):
        if "\x00" in getattr(form, field):
            raise InvalidInput(
                f"Invalid value for: body.{field}",
                errors=[FieldError(f"body.{field}", NUL_MESSAGE)],
            )
    service.check_throttle(session, form.username, address, policy)
    user = service.authenticate(session, form.username, form.password, address, policy)
    if user is None:
        # Returned, not raised: the failure count must be committed with this request.
        return problem(
            401,
            "not-authenticated",
            "Not authenticated",
            "Wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token, expires_in = issue_access_token(
        request.app.state.secret_key, user.id, user.token_version, settings.access_token_minutes
    )
    return AccessToken(access_token=token, expires_in=expires_in)


@router.get("/auth/me", response_model=Me, tags=["auth"], operation_id="whoami")
def whoami(principal: CurrentPrincipal) -> Me:
    """Who the bearer token belongs to."""
    return Me(id=principal.id, username=principal.name, role=principal.grant, kind=principal.kind)


@router.get("/users", response_model=Page[UserRead], tags=["users"], operation_id="listUsers")
def list_users(
    session: SessionDep, _: Admin, cursor: CursorQuery = None, limit: LimitQuery = 50
) -> Page[UserRead]:
    """List users by name."""
    rows = service.list_users(session, cursor=cursor, limit=limit)
    items, next_cursor = page_of(rows, limit, lambda u: [u.username])
    return Page(items=[UserRead.model_validate(u) for u in items], next_cursor=next_cursor)


@router.post(
    "/users",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
    operation_id="createUser",
)
def create_user(session: SessionDep, actor: Admin, body: UserCreate) -> UserRead:
    """Create a user."""
    return UserRead.model_validate(service.create_user(session, actor, body))


@router.get("/users/{user_id}", response_model=UserRead, tags=["users"], operation_id="getUser")
def get_user(session: SessionDep, _: Admin, user_id: uuid.UUID) -> UserRead:
    """One user."""
    return UserRead.model_validate(service.get_user(session, user_id))


@router.patch(
    "/users/{user_id}", response_model=UserRead, tags=["users"], operation_id="updateUser"
)
def update_user(
    session: SessionDep, actor: Admin, user_id: uuid.UUID, body: UserUpdate
) -> UserRead:
    """Change a user's role or password."""
    return UserRead.model_validate(service.update_user(session, actor, user_id, body))


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["users"],
    operation_id="deleteUser",
)
def delete_user(session: SessionDep, actor: Admin, user_id: uuid.UUID) -> Response:
    """Delete a user (never the last admin)."""
    service.delete_user(session, actor, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["tokens"],
    operation_id="createToken",
)
def create_token(session: SessionDep, actor: Admin, body: TokenCreate) -> TokenCreated:
    """Issue an API token for a machine; the secret is in this answer only."""
    token, secret = service.create_token(session, actor, body)
    return TokenCreated(**TokenRead.model_validate(token).model_dump(), token=secret)


@router.get("/tokens", response_model=Page[TokenRead], tags=["tokens"], operation_id="listTokens")
def list_tokens(
    session: SessionDep, _: Admin, cursor: CursorQuery = None, limit: LimitQuery = 50
) -> Page[TokenRead]:
    """List API tokens, newest first (never their secrets)."""
    rows = service.list_tokens(session, cursor=cursor, limit=limit)
    items, next_cursor = page_of(rows, limit, lambda t: [t.created_at, t.id])
    return Page(items=[TokenRead.model_validate(t) for t in items], next_cursor=next_cursor)


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["tokens"],
    operation_id="revokeToken",
)
def revoke_token(session: SessionDep, actor: Admin, token_id: uuid.UUID) -> Response:
    """Revoke an API token at once."""
    service.revoke_token(session, actor, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
