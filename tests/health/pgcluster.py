"""A private PostgreSQL cluster for credential tests: scram-sha-256, a free port, a temp dir.

The machine's own PostgreSQL trusts every local connection, so a wrong password would pass
there. initdb refuses to run as root (CI runs as root), so as root the cluster runs as the
``postgres`` OS user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.servers import free_port

SUPERUSER_PASSWORD = "su-s3cret-Value-71"


@dataclass(frozen=True)
class Cluster:
    host: str
    port: int
    superuser: str
    superuser_password: str
    # What pg_ctl needs to stop and start it again (tests of a server that goes away).
    data: Path | None = None
    options: str = ""

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "-w", "stop")

    def start(self) -> None:
        self._pg_ctl("-o", self.options, "-l", str(self.data) + ".log", "-w", "start")

    def _pg_ctl(self, *args: str) -> None:
        bin_dir = _bin_dir()
        assert bin_dir is not None
        assert self.data is not None
        cmd = [str(bin_dir / "pg_ctl"), "-D", str(self.data), *args]
        subprocess.run(cmd, check=True, capture_output=True, user=_run_as())


def _bin_dir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _run_as() -> str | None:
    # initdb and postgres refuse root; anyone else runs them as themselves.
    return "postgres" if os.geteuid() == 0 else None


@contextlib.contextmanager
def private_cluster() -> Iterator[Cluster]:
    """Start a throwaway cluster; stop it and delete its files afterwards."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError("initdb not found under /usr/lib/postgresql/*/bin or on PATH")
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="dlv-pg-"))
    try:
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        pwfile = root / "pwfile"
        pwfile.write_text(SUPERUSER_PASSWORD + "\n")
        if user is not None:
            os.chown(pwfile, pwd.getpwnam(user).pw_uid, -1)
        data = root / "data"
        port = free_port()
        subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user=user,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
            user=user,
        )
        try:
            yield Cluster("127.0.0.1", port, "postgres", SUPERUSER_PASSWORD, data, options)
        finally:
            subprocess.run(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                check=False,
                capture_output=True,
                user=user,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def admin_sql(cluster: Cluster, *statements: str) -> None:
    """Run statements as the cluster's superuser."""
    with psycopg.connect(
        host=cluster.host,
        port=cluster.port,
        user=cluster.superuser,
        password=cluster.superuser_password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        for statement in statements:
            conn.execute(statement.encode())
