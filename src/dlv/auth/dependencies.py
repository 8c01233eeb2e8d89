"""Authentication and authorization as dependencies, declared on each route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer

from dlv.auth import service
from dlv.auth.principal import Permission, Principal
from dlv.db import SessionDep
from dlv.errors import Forbidden, NotAuthenticated

# auto_error=False: a missing token must become our problem+json 401, not FastAPI's plain one.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
# The same header again, declared so that Swagger UI's Authorize also offers a field to paste
# a token into (an API token, dlv_...): the password flow alone left machines' tokens out.
api_token_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="APIToken",
    bearerFormat="dlv_... API token, or a login token",
    description="Paste an API token (`dlv tokens create`, `POST /api/v1/tokens`); "
    "sent as `Authorization: Bearer <token>`, like a login token.",
)


async def bearer_token(  # async: a plain def would cost a thread hop per request
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
    _pasted: Annotated[HTTPAuthorizationCredentials | None, Depends(api_token_scheme)],
) -> str | None:
    """The bearer token of the request, whichever of the two documented ways it was given."""
    # Both schemes read the one `Authorization: Bearer` header, so they always agree:
    # the second changes the OpenAPI document, never what the server accepts.
    return bearer


BearerToken = Annotated[str | None, Depends(bearer_token)]


def current_principal(request: Request, session: SessionDep, bearer: BearerToken) -> Principal:
    """The caller behind the bearer token; 401 when missing, invalid, expired or revoked."""
    if not bearer:
        raise NotAuthenticated()
    principal = service.principal_from_bearer(session, request.app.state.secret_key, bearer)
    if principal is None:
        raise NotAuthenticated("The token is invalid, expired or revoked")
    request.state.principal = principal
    request.app.state.token_usage.seen(principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency that lets the call through only with ``permission``."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise Forbidden(f"This needs the {permission.value!r} permission")
        return principal

    check.__name__ = f"require_{permission.value}"
    return check


Reader = Annotated[Principal, Depends(require(Permission.read))]
Admin = Annotated[Principal, Depends(require(Permission.admin))]
Ingester = Annotated[Principal, Depends(require(Permission.ingest))]
