"""Property-based run of the whole OpenAPI schema against a real server, as admin and as viewer.

Finds any 5xx, any response that breaks the documented schema (status, content type, body),
and any request that violates the schema yet is accepted.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import schemathesis
from schemathesis import checks as st_checks

from dlv.app import create_app
from dlv.auth.models import Role, User
from dlv.auth.security import JWT_ALGORITHM, JWT_AUDIENCE, hash_password
from dlv.config import Settings
from dlv.db import make_engine, make_sessionmaker
from tests.conftest import BACKEND, PASSWORD, SECRET_KEY
from tests.servers import dlv_server, free_port

MAX_EXAMPLES = 15
ADMIN_ID = uuid.UUID("00000000-0000-4000-8000-00000000a001")
VIEWER_ID = uuid.UUID("00000000-0000-4000-8000-00000000a002")
PORT = free_port()
REPEATABLE_STRING_QUERIES = {"/api/v1/nodes", "/api/v1/dashboards"}
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.response_headers_conformance,
    st_checks.negative_data_rejection,
]


def _bearer(user_id: uuid.UUID) -> dict[str, str]:
    # Known before the server starts, so the schema can carry it in its config.
    exp = datetime.now(UTC) + timedelta(days=1)
    claims = {"sub": str(user_id), "ver": 0, "aud": JWT_AUDIENCE, "exp": exp}
    return {"Authorization": f"Bearer {jwt.encode(claims, SECRET_KEY, algorithm=JWT_ALGORITHM)}"}


def _schema(headers: dict[str, str]) -> Any:
    spec = create_app(Settings(secret_key=SECRET_KEY, _env_file=None)).openapi()
    # These make DLV connect to whatever host the request names: a fuzzer would send it to
    # invented addresses off this machine, and wait out fuzzed timeouts.
    schema = schemathesis.openapi.from_dict(spec).exclude(
        operation_id=["testNodeConnection", "testConnection", "checkAll"]
    )
    # Auth in the config, not per call: negative cases that drop the header stay negative.
    schema.config.update(headers=headers, base_url=f"http://127.0.0.1:{PORT}")
    schema.config.generation.update(max_examples=MAX_EXAMPLES)
    # Starlette's 405 Allow header lists one route's methods only; not an API contract issue.
    schema.config.checks.update(
        excluded_check_names=["unsupported_method", "allow_header_conformance"]
    )
    return schema


@pytest.fixture(scope="module")
def server(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("st")
    url = database_template
    if BACKEND == "sqlite":
        shutil.copyfile(database_template, home / "st.db")
        url = f"sqlite:///{home / 'st.db'}"
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        for uid, name, role in (
            (ADMIN_ID, "st-admin", Role.admin),
            (VIEWER_ID, "st-viewer", Role.viewer),
        ):
            session.add(
                User(
                    id=uid,
                    username=name,
                    password_hash=hash_password(PASSWORD),
                    role=role,
                    token_version=0,
                )
            )
    engine.dispose()
    with dlv_server(url, Path(home), port=PORT) as base:
        yield base
    if BACKEND != "sqlite":
        from tests.conftest import _truncate_all  # noqa: PLC0415

        _truncate_all(url)


@schemathesis.pytest.parametrize(
    admin=_schema(_bearer(ADMIN_ID)), viewer=_schema(_bearer(VIEWER_ID))
)
def test_api_conforms_to_its_schema(case: Any, server: str) -> None:
    checks = CHECKS
    if case.method == "GET" and case.path in REPEATABLE_STRING_QUERIES:
        # A query string has no types: the "boolean" true that schemathesis sends as a
        # schema-violating ?tag= value is the valid tag "true". Everything else still runs.
        checks = [c for c in CHECKS if c is not st_checks.negative_data_rejection]
    case.call_and_validate(checks=checks)
