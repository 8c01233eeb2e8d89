"""Optimistic concurrency: every write names the version it was based on.

Of two editors who loaded the same version, the first save wins and the second is refused
with the current version (409), instead of silently overwriting the first.
"""

from __future__ import annotations

from dlv.dashboards.models import Dashboard
from dlv.errors import Conflict, DlvError, FieldError, InvalidInput


class StaleVersion(Conflict):
    slug = "stale-version"
    title = "Stale version"


class PreconditionRequired(DlvError):
    status = 428
    slug = "precondition-required"
    title = "Precondition required"


def etag(version: int) -> str:
    """The entity tag of a dashboard version."""
    return f'"{version}"'


def base_version(body_version: int | None, if_match: int | None) -> int:
    """The version a write is based on: the body's ``version`` or the ``If-Match`` ETag."""
    if body_version is not None:
        if if_match is not None and if_match != body_version:
            raise InvalidInput(
                f"If-Match names version {if_match} but the body names version {body_version}",
                errors=[FieldError("header.If-Match", "does not match body.version")],
            )
        return body_version
    if if_match is None:
        raise PreconditionRequired(
            "Send the version you edited, as `version` in the body or an If-Match header "
            "with the ETag you read",
            errors=[FieldError("body.version", "required (or the If-Match header)")],
        )
    return if_match


def check(dashboard: Dashboard, base: int) -> None:
    """StaleVersion unless ``dashboard`` is still at ``base`` (the caller holds its row lock)."""
    if dashboard.version != base:
        raise StaleVersion(
            f"The dashboard was saved by someone else since version {base}; it is now at "
            f"version {dashboard.version}. Reload it, reapply your change and save again.",
            extra={"current_version": dashboard.version},
            headers={"ETag": etag(dashboard.version)},
        )
