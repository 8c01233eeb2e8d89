"""The dlv command, run in-process against the test database."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from dlv.app import create_app
from dlv.cli.main import app as cli
from dlv.config import Settings, get_settings

Run = Callable[..., Result]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "cli-home"


@pytest.fixture
def run(database_url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("DLV_DATABASE_URL", database_url)
    monkeypatch.setenv("DLV_HOME", str(home))
    monkeypatch.delenv("DLV_SECRET_KEY", raising=False)

    def invoke(*args: str, stdin: str | None = None) -> Result:
        get_settings.cache_clear()
        return CliRunner().invoke(cli, list(args), input=stdin)

    yield invoke
    get_settings.cache_clear()


def login(database_url: str, home: Path, username: str, password: str) -> int:
    settings = Settings(home=home, database_url=database_url, _env_file=None)
    with TestClient(create_app(settings)) as client:
        r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
        return r.status_code


def test_users_create_list_and_set_password(run: Run, database_url: str, home: Path) -> None:
    created = run(
        "users", "create", "alice", "--role", "admin", "--password-stdin", stdin="first-password\n"
    )
    assert created.exit_code == 0, created.output
    assert "alice" in run("users", "list").output
    assert login(database_url, home, "alice", "first-password") == 200
    changed = run("users", "set-password", "alice", "--password-stdin", stdin="second-password\n")
    assert changed.exit_code == 0
    assert login(database_url, home, "alice", "first-password") == 401
    assert login(database_url, home, "alice", "second-password") == 200


def test_users_create_refuses_a_short_password(run: Run) -> None:
    result = run("users", "create", "bob", "--password-stdin", stdin="short\n")
    assert result.exit_code == 1
    assert "8 to 1024 characters" in result.output


def test_tokens_create_prints_a_working_token_once(run: Run, database_url: str, home: Path) -> None:
    result = run("tokens", "create", "airflow", "--scope", "read")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    assert token.startswith("dlv_")
    settings = Settings(home=home, database_url=database_url, _env_file=None)
    with TestClient(create_app(settings)) as client:
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "read"


def test_init_creates_the_first_admin_with_a_private_password_file(
    run: Run, database_url: str, home: Path
) -> None:
    result = run("init")
    assert result.exit_code == 0, result.output
    password_file = home / "initial_admin_password"
    password = password_file.read_text().strip()
    assert password not in result.output
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert login(database_url, home, "admin", password) == 200


def test_init_gives_the_first_admin_the_bootstrap_password_when_set(
    run: Run, database_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make run` runs init before serve: the configured password must be the admin's.
    monkeypatch.setenv("DLV_BOOTSTRAP_ADMIN_PASSWORD", "bootstrap-pass-123")
    result = run("init")
    assert result.exit_code == 0, result.output
    assert "bootstrap-pass-123" not in result.output
    assert "DLV_BOOTSTRAP_ADMIN_PASSWORD" in result.output
    assert not (home / "initial_admin_password").exists()
    assert login(database_url, home, "admin", "bootstrap-pass-123") == 200


def test_init_refuses_a_weak_bootstrap_password_naming_the_setting(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLV_BOOTSTRAP_ADMIN_PASSWORD", "short")
    result = run("init")
    assert result.exit_code == 1
    assert "DLV_BOOTSTRAP_ADMIN_PASSWORD" in result.output
    assert "Traceback" not in result.output


def test_generated_secret_key_is_kept_private(run: Run, home: Path) -> None:
    run("init")
    key_file = home / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text()) >= 32


def test_bootstrap_admin_password_creates_admin_at_start(database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        database_url=database_url,
        bootstrap_admin_password="bootstrap-pass-123",
        _env_file=None,
    )
    with TestClient(create_app(settings)) as client:
        r = client.post(
            "/api/v1/auth/token", data={"username": "admin", "password": "bootstrap-pass-123"}
        )
    assert r.status_code == 200


def test_db_current_reports_the_head_revision(run: Run) -> None:
    run("db", "upgrade")
    result = run("db", "current")
    assert result.exit_code == 0
    assert result.output.strip() not in ("", "(empty)")


def test_users_create_refuses_a_common_password_and_says_why(run: Run) -> None:
    result = run("users", "create", "bob", "--password-stdin", stdin="password1\n")
    assert result.exit_code == 1
    assert "too easy to guess" in result.output
    assert "password1" not in result.output


def test_users_set_password_refuses_a_weak_password_and_keeps_the_old(
    run: Run, database_url: str, home: Path
) -> None:
    run("users", "create", "alice", "--password-stdin", stdin="first-password\n")
    result = run("users", "set-password", "alice", "--password-stdin", stdin="        \n")
    assert result.exit_code == 1
    assert "whitespace" in result.output
    assert login(database_url, home, "alice", "first-password") == 200


def test_users_are_named_by_their_canonical_form(run: Run, database_url: str, home: Path) -> None:
    assert (
        run("users", "create", "Alice", "--password-stdin", stdin="first-password\n").exit_code == 0
    )
    assert "alice\t" in run("users", "list").output
    changed = run("users", "set-password", "ALICE", "--password-stdin", stdin="second-password\n")
    assert changed.exit_code == 0, changed.output
    assert login(database_url, home, "alice", "second-password") == 200
