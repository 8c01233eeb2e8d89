"""Private files: DLV_HOME, the SQLite database beside its secrets, backups.

They hold password hashes, token hashes, raw events and the secret key, so DLV creates them
for its own user only: directories 0700, files 0600. The mode is given when the file is
created (``os.open``, ``mkdir``), before anything is written, so no umask makes it wider (a
directory's is then set exactly). Files that exist already are left as they are; ``dlv serve``
warns about any that other users can read.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import make_url

log = logging.getLogger("dlv.files")

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> None:
    """Create the directory ``path`` with mode 0700 (its missing parents as usual), unless it
    exists."""
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)  # exactly 0700, whatever the umask took away


def create_private(path: Path) -> int:
    """A new file at ``path`` with mode 0600, open for writing; FileExistsError if it exists."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database, or one in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") or parsed.database.startswith("file:"):
        return None  # a URI filename: SQLite's own syntax, left to SQLite
    return Path(parsed.database)


def precreate_sqlite(url: str) -> None:
    """Create the (empty) SQLite database file of ``url`` with mode 0600 if it does not exist.

    SQLite would create it 0644; it keeps the mode of an existing file and gives the same
    mode to the -wal and -shm files it creates beside it. A missing directory or any other
    problem is left for SQLite to report when it connects.
    """
    path = sqlite_path(url)
    if path is None:
        return
    with contextlib.suppress(OSError):
        os.close(create_private(path))


def sqlite_files(url: str) -> list[Path]:
    """The SQLite database file of ``url`` and its side files (empty for PostgreSQL)."""
    path = sqlite_path(url)
    if path is None:
        return []
    return [path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)]


def warn_if_readable_by_others(paths: Iterable[Path]) -> list[Path]:
    """Log a warning for each existing path that a group or other users may access; which."""
    wide = []
    for path in paths:
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            continue
        if mode & 0o077:
            private = PRIVATE_DIR if path.is_dir() else PRIVATE_FILE
            log.warning(
                "%s is mode %04o: other users may read it (it holds password and token "
                "hashes, events or the secret key). Make it %04o: chmod %o %s",
                path,
                mode,
                private,
                private,
                path,
            )
            wide.append(path)
    return wide
