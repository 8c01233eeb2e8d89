"""What DLV writes to disk is for its own user only: DLV_HOME 0700, files 0600, whatever the
umask; ``dlv serve`` warns about existing ones other users can read."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from dlv import migrate
from dlv.cli.main import app as cli
from dlv.config import Settings, get_settings
from dlv.db import make_engine
from dlv.ingestion.inbox import Inbox, inbox_url
from tests.conftest import SECRET_KEY
from tests.servers import free_port


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """The common umask (0022), under which files are created world-readable by default."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A DLV_HOME that does not exist yet, with the SQLite database inside it."""
    home = tmp_path / "parent" / "home"
    monkeypatch.setenv("DLV_HOME", str(home))
    monkeypatch.delenv("DLV_DATABASE_URL", raising=False)
    monkeypatch.delenv("DLV_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def test_dlv_init_creates_home_0700_and_every_file_in_it_0600(cli_home: Path) -> None:
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert mode(cli_home) == 0o700
    written = sorted(p.name for p in cli_home.iterdir())
    assert written == ["dlv.db", "initial_admin_password", "secret_key"]
    assert {p.name: mode(p) for p in cli_home.iterdir()} == dict.fromkeys(written, 0o600)


def test_the_sqlite_wal_and_shm_files_are_0600(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dlv.db'}"
    engine = make_engine(url)
    try:
        with engine.begin() as conn:  # the WAL and its index exist while a connection is open
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            names = ("dlv.db", "dlv.db-wal", "dlv.db-shm")
            assert {n: mode(tmp_path / n) for n in names} == dict.fromkeys(names, 0o600)
    finally:
        engine.dispose()


def test_the_sqlite_inbox_file_is_0600(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dlv.db'}"
    box = Inbox(url)
    try:
        inbox = inbox_url(url)
        assert inbox is not None
        assert mode(Path(inbox.removeprefix("sqlite:///"))) == 0o600
    finally:
        box.dispose()


def test_dlv_backup_writes_a_0600_file(cli_home: Path, tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    target = tmp_path / "dlv-backup.gz"
    result = CliRunner().invoke(cli, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert mode(target) == 0o600


def test_dlv_serve_warns_about_files_other_users_can_read(tmp_path: Path) -> None:
    # An instance set up before DLV created these files privately.
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o755)
    database = home / "dlv.db"
    migrate.upgrade(Settings(home=home, _env_file=None).resolved_database_url)
    os.chmod(database, 0o644)
    env = {**os.environ, "DLV_HOME": str(home), "DLV_SECRET_KEY": SECRET_KEY}
    env.pop("DLV_DATABASE_URL", None)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "dlv"), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while not _ready(port):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(30)
    output = log.read_text()
    assert f"{home} is mode 0755" in output
    assert f"{database} is mode 0644" in output


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
