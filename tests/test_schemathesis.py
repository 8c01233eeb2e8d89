"""Property-based run of the whole OpenAPI schema against a real server, as admin and as viewer.

Every check schemathesis has, none excluded: any 5xx, any response that breaks the documented
schema (status, content type, body, headers), any request that violates the schema yet is
accepted or keeps to it yet is refused, a 405 without the right ``Allow``. Deterministic: the
same cases on every run and every clone, so a failure is a finding, never a flake.
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


def _bearer(user_id: uuid.UUID) -> dict[str, str]:
    # Known before the server starts, so the schema can carry it in its config.
    exp = datetime.now(UTC) + timedelta(days=1)
    claims = {"sub": str(user_id), "ver": 0, "aud": JWT_AUDIENCE, "exp": exp}
    return {"Authorization": f"Bearer {jwt.encode(claims, SECRET_KEY, algorithm=JWT_ALGORITHM)}"}


# What the schema cannot state, so a schema-valid request may still get a 422 naming the field:
# a cursor must be one this list issued (an opaque token, like an id that may not exist,
# which gets a 404); a body may name nodes and edges that must exist (source_id, root_id, a
# layout's node_ids); a job or dataset node has no connection; a password must not be easy to
# guess; a dlv-graph document's items are validated one by one (the schema gives its header
# only). Every other 422 of a schema-valid request is still a finding.
SERVER_RULES = {
    "cursor": [
        "listRuns",
        "listUsers",
        "listTokens",
        "listAudit",
        "listNodes",
        "listEdges",
        "listNodeChecks",
        "listDashboards",
        "listAlertDeliveries",
        "listIncidents",
    ],
    "references": [
        "createEdge",
        "createDashboard",
        "replaceDashboard",
        "updateDashboard",
        "createDashboardFromLineage",
        "updateNode",
        "createNode",
        "createAlertRule",
        "updateAlertRule",
    ],
    # A Slack channel needs its URL, a secret the schema leaves optional: an update may keep
    # the stored one by not sending it.
    "secrets": ["createAlertChannel", "updateAlertChannel"],
    "items": ["importGraph"],
    "passwords": ["createUser", "updateUser"],
    # Not the server's: schemathesis 4.32's coverage phase sends If-Match: 0 as a positive
    # case, though the header's pattern (an ETag, '"3"') does not admit it.
    "generator": ["deleteDashboard"],
}
# A dashboard write names the version it edits, in the body or as If-Match: one or the other,
# which a schema cannot require; without either it is a 428, as documented.
VERSIONED_WRITES = ["replaceDashboard", "updateDashboard", "deleteDashboard"]
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def _config() -> schemathesis.config.SchemathesisConfig:
    server_rules = {op for ops in SERVER_RULES.values() for op in ops}
    operations = []
    for op in sorted(server_rules | set(VERSIONED_WRITES)):
        statuses = [*ACCEPTED]
        statuses += ["422"] if op in server_rules else []
        statuses += ["428"] if op in VERSIONED_WRITES else []
        operations.append(
            {
                "include-operation-id": op,
                "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
            }
        )
    return schemathesis.config.SchemathesisConfig.from_dict({"operations": operations})


def _schema(headers: dict[str, str]) -> Any:
    spec = create_app(Settings(secret_key=SECRET_KEY, _env_file=None)).openapi()
    # These make DLV connect to whatever host the request names: a fuzzer would send it to
    # invented addresses off this machine, and wait out fuzzed timeouts.
    schema = schemathesis.openapi.from_dict(spec, config=_config()).exclude(
        operation_id=[
            "testNodeConnection",
            "testConnection",
            "checkAll",
            "collectNode",
            "testAlertChannel",
        ]
    )
    # Auth in the config, not per call: negative cases that drop the header stay negative.
    schema.config.update(headers=headers, base_url=f"http://127.0.0.1:{PORT}")
    # The same cases on every run and every clone (no example database either): a finding
    # is a property of the code, never of the seed.
    # No NUL in generated strings: every body refuses it wherever it is (PostgreSQL text cannot
    # hold it), which a schema cannot say of the open parts (OpenLineage facets, unknown event
    # fields); the NUL tests of each domain (test_api_basics, ingestion) cover it.
    schema.config.generation.update(
        max_examples=MAX_EXAMPLES, deterministic=True, database="none", allow_x00=False
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
        from tests.conftest import _empty_tables  # noqa: PLC0415

        _empty_tables(url)


@schemathesis.pytest.parametrize(
    admin=_schema(_bearer(ADMIN_ID)), viewer=_schema(_bearer(VIEWER_ID))
)
def test_api_conforms_to_its_schema(case: Any, server: str) -> None:
    case.call_and_validate()  # every check schemathesis has, none excluded
