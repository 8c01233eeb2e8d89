"""Restore: every refusal, empty and older targets, and the ``dlv backup``/``restore`` CLI."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from dlv import migrate
from dlv.auth.models import Role
from dlv.cli import backup as cli_backup
from dlv.config import get_settings
from dlv.ops.backup import BackupError
from tests.conftest import SECRET_KEY, make_user
from tests.ops.backups import (
    OTHER_KEY,
    Source,
    backup_bytes,
    canonical,
    gzip_lines,
    lines_of,
    populate,
    restore_bytes,
    session_on,
)
from tests.ops.conftest import PgDatabases

# ---------------------------------------------------------------------------- refusals


def test_restore_refuses_a_database_that_is_not_empty(
    database_url: str, other_url: str, tmp_path: Path, db: Session
) -> None:
    make_user(db, "source", Role.admin)
    data = backup_bytes(database_url)
    with session_on(other_url) as target:
        make_user(target, "keep-me", Role.admin)
    before = canonical(other_url)
    with pytest.raises(BackupError, match=r"not empty \(.*users.*--force"):
        restore_bytes(other_url, data)
    assert canonical(other_url) == before


def test_force_replaces_everything_in_the_database(
    sqlite_source: Source, database_url: str, tmp_path: Path
) -> None:
    populate(database_url, tmp_path)  # same names, other ids: would clash if not wiped
    restore_bytes(database_url, sqlite_source.backup, force=True)
    assert canonical(database_url) == sqlite_source.rows


def test_restore_refuses_a_backup_made_with_another_key(
    database_url: str, other_url: str, db: Session
) -> None:
    make_user(db, "source", Role.admin)
    with pytest.raises(BackupError, match="another DLV_SECRET_KEY"):
        restore_bytes(other_url, backup_bytes(database_url, key=OTHER_KEY))
    assert canonical(other_url)["users"] == []


def test_different_key_restores_anyway(database_url: str, other_url: str, db: Session) -> None:
    make_user(db, "source", Role.admin)
    restore_bytes(other_url, backup_bytes(database_url, key=OTHER_KEY), other_key=True)
    assert canonical(other_url) == canonical(database_url)


def test_a_backup_without_its_end_marker_is_refused_and_nothing_is_written(
    database_url: str, other_url: str, db: Session
) -> None:
    make_user(db, "source", Role.admin)
    cut = gzip_lines(lines_of(backup_bytes(database_url))[:-1])
    with pytest.raises(BackupError, match="truncated"):
        restore_bytes(other_url, cut)
    assert canonical(other_url)["users"] == []


def test_rows_that_do_not_match_the_counts_are_refused(
    database_url: str, other_url: str, db: Session
) -> None:
    make_user(db, "one", Role.admin)
    make_user(db, "two", Role.admin)
    items = lines_of(backup_bytes(database_url))
    users = items.index(next(i for i in items if isinstance(i, dict) and i.get("table") == "users"))
    del items[users + 1]
    with pytest.raises(BackupError, match="row counts"):
        restore_bytes(other_url, gzip_lines(items))
    assert canonical(other_url)["users"] == []


def test_a_cut_file_is_refused(database_url: str, other_url: str, db: Session) -> None:
    make_user(db, "source", Role.admin)
    data = backup_bytes(database_url)
    with pytest.raises(BackupError, match="damaged or truncated"):
        restore_bytes(other_url, data[: len(data) // 2])
    assert canonical(other_url)["users"] == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"id,name\n1,orders\n", id="not-gzip"),
        pytest.param(gzip.compress(b'{"format": "pg_dump"}\n'), id="other-format"),
        pytest.param(gzip.compress(b"not json\n"), id="not-json"),
    ],
)
def test_a_file_that_is_not_a_backup_is_refused(other_url: str, data: bytes) -> None:
    with pytest.raises(BackupError, match=r"not a DLV backup|not JSON"):
        restore_bytes(other_url, data)


def test_a_backup_from_a_newer_version_is_refused(database_url: str, other_url: str) -> None:
    items = lines_of(backup_bytes(database_url))
    items[0]["alembic_revisions"] = ["9999_from_the_future"]
    with pytest.raises(BackupError, match="unknown to this DLV"):
        restore_bytes(other_url, gzip_lines(items))


def test_restore_refuses_a_database_at_another_revision(database_url: str, tmp_path: Path) -> None:
    behind = f"sqlite:///{tmp_path / 'behind.db'}"
    migrate.upgrade(behind, "0001")
    with pytest.raises(BackupError, match="restore into a new, empty database"):
        restore_bytes(behind, backup_bytes(database_url))


# ------------------------------------------------------------------- empty and old targets


def test_restore_migrates_a_database_without_tables(
    sqlite_source: Source, pg_databases: PgDatabases
) -> None:
    blank = pg_databases.create(migrated=False)
    summary = restore_bytes(blank, sqlite_source.backup)
    assert summary.upgraded is False
    assert canonical(blank) == sqlite_source.rows
    engine = create_engine(blank)
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    engine.dispose()
    assert tuple(sorted(heads)) == summary.revisions


def test_an_older_backup_is_restored_then_upgraded(
    database_url: str, tmp_path: Path, db: Session
) -> None:
    make_user(db, "veteran", Role.admin)
    items = lines_of(backup_bytes(database_url))
    # What a DLV at revision 0001 wrote: only the tables that revision had, without the
    # columns later revisions added to them.
    first = {"users", "api_tokens", "login_throttles", "audit_records"}
    later = {"users": {"disabled_at"}, "api_tokens": {"last_used_at"}}  # 0011
    kept: list[object] = []
    keep, dropped = True, set[int]()
    for item in items[1:-1]:
        if isinstance(item, dict):
            keep = item["table"] in first
            gone = later.get(item["table"], set())
            dropped = {i for i, name in enumerate(item["columns"]) if name in gone}
            written: object = {**item, "columns": [c for c in item["columns"] if c not in gone]}
        else:
            written = [v for i, v in enumerate(item) if i not in dropped]
        if keep:
            kept.append(written)
    header = {**items[0], "alembic_revisions": ["0001"], "tables": sorted(first)}
    footer = {"end": True, "rows": {k: v for k, v in items[-1]["rows"].items() if k in first}}
    target = f"sqlite:///{tmp_path / 'fresh.db'}"
    summary = restore_bytes(target, gzip_lines([header, *kept, footer]))
    assert summary.upgraded is True
    assert canonical(target)["users"] == canonical(database_url)["users"]
    engine = create_engine(target)  # disposed: a connection left to the GC warns (23.9b)
    tables = inspect(engine).get_table_names()
    engine.dispose()
    assert "nodes" in tables


# ---------------------------------------------------------------------------------- the CLI


Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """``dlv backup``/``dlv restore`` in-process, as cli/main.py registers them."""
    cli = typer.Typer()
    cli.command("backup")(cli_backup.backup)
    cli.command("restore")(cli_backup.restore)
    monkeypatch.setenv("DLV_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("DLV_HOME", str(tmp_path / "cli-home"))

    def invoke(url: str, *args: str, stdin: bytes | None = None) -> Result:
        monkeypatch.setenv("DLV_DATABASE_URL", url)
        get_settings.cache_clear()
        return CliRunner().invoke(cli, list(args), input=stdin)

    yield invoke
    get_settings.cache_clear()


def test_cli_backs_up_and_restores_through_files(
    run: Run, database_url: str, other_url: str, tmp_path: Path, db: Session
) -> None:
    make_user(db, "root", Role.admin)
    path = tmp_path / "nightly.jsonl.gz"
    made = run(database_url, "backup", str(path))
    assert made.exit_code == 0, made.output
    assert "Backed up" in made.stdout
    restored = run(other_url, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.stdout
    assert canonical(other_url) == canonical(database_url)


def test_cli_streams_through_stdout_and_stdin(
    run: Run, database_url: str, other_url: str, db: Session
) -> None:
    make_user(db, "root", Role.admin)
    made = run(database_url, "backup", "-")
    assert made.exit_code == 0, made.stderr
    assert lines_of(made.stdout_bytes)[0]["format"] == "dlv-backup"
    assert "Backed up" in made.stderr  # the report stays out of the backup
    restored = run(other_url, "restore", "-", stdin=made.stdout_bytes)
    assert restored.exit_code == 0, restored.output
    assert canonical(other_url) == canonical(database_url)


def test_cli_refusal_is_one_line_and_exit_code_1(
    run: Run, database_url: str, tmp_path: Path, db: Session
) -> None:
    make_user(db, "root", Role.admin)
    path = tmp_path / "b.jsonl.gz"
    assert run(database_url, "backup", str(path)).exit_code == 0
    refused = run(database_url, "restore", str(path))
    assert refused.exit_code == 1
    assert "not empty" in refused.stderr
    assert "Traceback" not in refused.output


def test_cli_restore_of_a_missing_file_says_so(run: Run, other_url: str, tmp_path: Path) -> None:
    refused = run(other_url, "restore", str(tmp_path / "nope.gz"))
    assert refused.exit_code == 1
    assert "Cannot read" in refused.stderr
