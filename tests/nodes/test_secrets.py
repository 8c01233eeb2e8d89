"""Connection secrets: encrypted at rest, never returned, exported or audited; key rotation."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dlv.audit.models import AuditRecord
from dlv.cli.main import app as cli
from dlv.config import get_settings
from dlv.crypto import SecretBox, SecretsUnreadable
from dlv.nodes.models import Node
from tests.conftest import SECRET_KEY, Caller
from tests.nodes.factories import SECRETS, airflow_node, create, postgres_node, spark_node


def seed(client: TestClient, admin: Caller) -> list[dict[str, object]]:
    return [create(client, admin, body) for body in (postgres_node(), airflow_node(), spark_node())]


def test_no_secret_is_stored_in_plaintext(client: TestClient, admin: Caller, db: Session) -> None:
    seed(client, admin)
    rows = db.execute(text("SELECT * FROM nodes")).all()
    dump = repr(rows)
    for secret in SECRETS:
        assert secret not in dump
    sealed = db.execute(text("SELECT connection_secrets FROM nodes")).scalars().all()
    opened = [SecretBox(SECRET_KEY).open(s) for s in sealed]
    assert sorted(v for o in opened for v in o.values()) == sorted(SECRETS)


def test_no_secret_in_any_answer_or_audit_record(client: TestClient, admin: Caller) -> None:
    nodes = seed(client, admin)
    answers = [str(nodes), client.get("/api/v1/nodes", headers=admin.headers).text]
    answers += [client.get(f"/api/v1/nodes/{n['id']}", headers=admin.headers).text for n in nodes]
    answers.append(client.get("/api/v1/audit?limit=500", headers=admin.headers).text)
    for answer in answers:
        for secret in SECRETS:
            assert secret not in answer


def test_rotating_the_key_reencrypts_every_secret(
    client: TestClient,
    admin: Caller,
    db: Session,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(client, admin)
    home = tmp_path / "rotate-home"
    home.mkdir()
    (home / "secret_key").write_text(SECRET_KEY)
    monkeypatch.delenv("DLV_SECRET_KEY", raising=False)
    monkeypatch.setenv("DLV_HOME", str(home))
    monkeypatch.setenv("DLV_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["secret-key", "rotate"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    new_key = (home / "secret_key").read_text()
    assert new_key != SECRET_KEY
    assert (home / "secret_key").stat().st_mode & 0o777 == 0o600
    db.expire_all()
    sealed = [n.connection_secrets for n in db.query(Node).all() if n.connection_secrets]
    assert sorted(v for s in sealed for v in SecretBox(new_key).open(s).values()) == sorted(SECRETS)
    with pytest.raises(SecretsUnreadable):
        SecretBox(SECRET_KEY).open(sealed[0])
    [record] = db.query(AuditRecord).filter(AuditRecord.action == "secrets.rotate").all()
    assert record.changes == {"nodes": 3, "alert_channels": 0}
