"""Which instance a command works on: only init, serve, db upgrade and restore make one; every
other command refuses a missing or empty one in one line, and an unexpected error is one
line too, with no traceback and no secret."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner, Result

from dlv import migrate
from dlv.cli.main import app as cli
from dlv.config import get_settings
from dlv.ops.logging import DlvHandler
from tests.conftest import BACKEND, PG_ADMIN_URL
from tests.servers import free_port

Run = Callable[..., Result]
ELSEWHERE = "run `dlv init` here, or set DLV_HOME / DLV_DATABASE_URL"
# Every command but the four that may create an instance.
USING_AN_INSTANCE = [
    ["tokens", "create", "airflow", "--scope", "read"],
    ["demo"],
    ["users", "list"],
    ["users", "create", "bob", "--password-stdin"],
    ["users", "set-password", "bob", "--password-stdin"],
    ["db", "current"],
    ["graph", "export", "graph.json"],
    ["graph", "import", "graph.json"],
    ["import", "dbt", "manifest.json", "--host", "db.internal"],
    ["runs", "prune"],
    ["backup", "backup.gz"],
    ["secret-key", "rotate"],
]
TOKEN_HASH = re.compile(r"[0-9a-f]{64}")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty directory to run ``dlv`` in, with no DLV_* setting: another directory than
    the server's, as a new user tried it."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    # As in a fresh `dlv` process: no log handler from an app an earlier test created.
    root = logging.getLogger()
    kept = [h for h in root.handlers if not isinstance(h, DlvHandler)]
    monkeypatch.setattr(root, "handlers", kept)
    for name in ("DLV_HOME", "DLV_DATABASE_URL", "DLV_SECRET_KEY", "DLV_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield work
    get_settings.cache_clear()


@pytest.fixture
def run(workdir: Path) -> Run:
    def invoke(*args: str, stdin: str = "a-long-enough-password\n") -> Result:
        get_settings.cache_clear()
        return CliRunner().invoke(cli, list(args), input=stdin)

    return invoke


def lines(result: Result) -> list[str]:
    return result.output.strip().splitlines()


def head_revisions() -> tuple[str, ...]:
    return tuple(
        sorted(ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads())
    )


def revisions_above(revision: str | None) -> int:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    every = {r.revision for r in script.iterate_revisions("heads", "base")}
    below = {r.revision for r in script.iterate_revisions(revision, "base")} if revision else set()
    return len(every - below)


def broken_instance(run: Run, workdir: Path) -> None:
    """A migrated instance in ``workdir/.dlv`` that lost its API tokens table."""
    assert run("db", "upgrade").exit_code == 0
    with sqlite3.connect(workdir / ".dlv" / "dlv.db") as conn:
        conn.execute("DROP TABLE api_tokens")


@pytest.mark.parametrize("args", USING_AN_INSTANCE, ids=" ".join)
def test_a_command_refuses_a_missing_instance_in_one_line_and_creates_nothing(
    run: Run, workdir: Path, args: list[str]
) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert lines(result) == [
        f"error: no DLV instance in {workdir / '.dlv'} (DLV_HOME): {ELSEWHERE}"
    ]
    assert list(workdir.iterdir()) == []


def test_a_command_refuses_an_instance_whose_database_is_empty(run: Run, workdir: Path) -> None:
    (workdir / ".dlv").mkdir()
    (workdir / ".dlv" / "dlv.db").touch()  # what an earlier run left behind
    result = run("tokens", "create", "airflow", "--scope", "read")
    assert result.exit_code == 1
    assert lines(result) == [
        f"error: the DLV instance in {workdir / '.dlv'} (DLV_HOME) has an empty database: "
        + ELSEWHERE
    ]
    assert (workdir / ".dlv" / "dlv.db").stat().st_size == 0


def test_a_command_refuses_a_sqlite_url_whose_file_does_not_exist(
    run: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{workdir / 'other.db'}"
    monkeypatch.setenv("DLV_DATABASE_URL", url)
    result = run("users", "list")
    assert result.exit_code == 1
    assert lines(result) == [f"error: no database at {url} (DLV_DATABASE_URL): {ELSEWHERE}"]
    assert not (workdir / "other.db").exists()


@pytest.mark.skipif(BACKEND != "postgresql", reason="a PostgreSQL database of its own")
def test_a_command_names_an_empty_postgresql_database_without_its_password(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"dlv_empty_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgres@", "postgres:Sekret-pw-123@")
        monkeypatch.setenv("DLV_DATABASE_URL", f"{base}/{name}")
        result = run("demo")
        empty = create_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
        tables = inspect(empty).get_table_names()
        empty.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    assert result.exit_code == 1
    (line,) = lines(result)
    assert line.startswith("error: the database postgresql+psycopg://postgres:***@")
    assert line.endswith(f"/{name} (DLV_DATABASE_URL) has no DLV schema: {ELSEWHERE}")
    assert "Sekret-pw-123" not in result.output
    assert tables == []


def test_a_command_refuses_to_make_up_a_secret_key(run: Run, workdir: Path) -> None:
    # Connection secrets encrypted with a new key here would be unreadable to the server.
    assert run("db", "upgrade").exit_code == 0
    result = run("demo")
    assert result.exit_code == 1
    (line,) = lines(result)
    assert line.startswith("error: no secret key: DLV_SECRET_KEY is not set")
    assert not (workdir / ".dlv" / "secret_key").exists()


def test_db_upgrade_creates_the_instance_and_says_what_it_migrated(run: Run, workdir: Path) -> None:
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    url = f"sqlite:///{workdir / '.dlv' / 'dlv.db'}"
    heads, count = ", ".join(head_revisions()), revisions_above(None)
    assert lines(result) == [
        f"migrated {url} from an empty database to {heads} ({count} revisions)"
    ]


def test_db_upgrade_says_from_which_revision_it_migrated(run: Run, workdir: Path) -> None:
    home = workdir / ".dlv"
    home.mkdir()
    url = f"sqlite:///{home / 'dlv.db'}"
    migrate.upgrade(url, "0005")
    result = run("db", "upgrade")
    heads, count = ", ".join(head_revisions()), revisions_above("0005")
    assert lines(result) == [f"migrated {url} from 0005 to {heads} ({count} revisions)"]


def test_db_upgrade_says_when_there_was_nothing_to_do(run: Run, workdir: Path) -> None:
    run("db", "upgrade")
    result = run("db", "upgrade")
    url = f"sqlite:///{workdir / '.dlv' / 'dlv.db'}"
    assert lines(result) == [f"{url} is already at {', '.join(head_revisions())}"]


def test_an_unexpected_error_is_one_line_without_a_token_hash(run: Run, workdir: Path) -> None:
    broken_instance(run, workdir)
    result = run("tokens", "create", "airflow", "--scope", "read")
    assert result.exit_code == 1
    assert lines(result) == [
        "error: database error: (sqlite3.OperationalError) no such table: api_tokens"
    ]


def test_debug_shows_the_traceback_without_statement_parameters(run: Run, workdir: Path) -> None:
    broken_instance(run, workdir)
    result = run("--debug", "tokens", "create", "airflow", "--scope", "read")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.output
    assert lines(result)[-1].startswith("error: database error:")
    assert TOKEN_HASH.search(result.output) is None
    assert "dlv_" not in result.output


def test_dlv_debug_in_the_environment_shows_the_traceback_too(
    run: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken_instance(run, workdir)
    monkeypatch.setenv("DLV_DEBUG", "1")
    result = run("tokens", "create", "airflow", "--scope", "read")
    assert "Traceback (most recent call last)" in result.output


def test_invalid_settings_are_one_line_naming_the_variable(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLV_ACCESS_TOKEN_MINUTES", "sixty")
    result = run("users", "list")
    assert result.exit_code == 1
    (line,) = lines(result)
    assert line.startswith("error: invalid settings: DLV_ACCESS_TOKEN_MINUTES: ")


def test_serve_creates_a_new_instance_and_names_its_database(workdir: Path) -> None:
    # `serve` may create one, and says which: compare with what a command names.
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLV_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from dlv.cli.main import app; app()", "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert f"Database: sqlite:///{workdir / '.dlv' / 'dlv.db'}\n" in output, output
    assert (workdir / ".dlv" / "dlv.db").is_file()
