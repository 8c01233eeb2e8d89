"""Real Airflow and Spark servers for DLV's connector tests, each in its own virtualenv.

A user's Airflow pins hundreds of packages and pyspark ships Spark's jars, so neither goes
into DLV's own environment: each gets a virtualenv under ``DLV_INTEGRATION_CACHE``
(default ``~/.cache/dlv-integration``), built once per pinned version and reused after.

    python integration/realservers.py prepare [airflow|spark]...   # build (or reuse) the venvs
    python integration/realservers.py airflow                      # run one until Ctrl-C
    python integration/realservers.py spark
    python integration/realservers.py spark-master

The tests import ``airflow_server``, ``spark_app`` and ``spark_master`` from here. Only the
standard library is used, so this runs with any Python 3.11+.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

AIRFLOW_VERSION = "3.3.2"
PYSPARK_VERSION = "4.3.0"
OPENLINEAGE_VERSION = "1.54.0"
REQUIREMENTS = {
    # The providers and the OpenLineage libraries decide what the events look like (the SQL
    # parser finds the datasets), so they are pinned with Airflow; versions resolved together
    # by pip for Airflow 3.3.2.
    "airflow": [
        f"apache-airflow=={AIRFLOW_VERSION}",
        "apache-airflow-providers-openlineage==2.20.3",
        "apache-airflow-providers-postgres==7.1.1",
        "apache-airflow-providers-common-sql==2.4.0",
        f"openlineage-python=={OPENLINEAGE_VERSION}",
        f"openlineage-integration-common=={OPENLINEAGE_VERSION}",
        f"openlineage-sql=={OPENLINEAGE_VERSION}",
    ],
    "spark": [f"pyspark=={PYSPARK_VERSION}"],
}
# Throwaway credentials of a throwaway server on loopback.
INTEGRATION_PASSWORD = "af-integration-pw"
START_TIMEOUT = float(os.environ.get("DLV_INTEGRATION_START_TIMEOUT", "240"))


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "dlv-integration"
    return Path(os.environ.get("DLV_INTEGRATION_CACHE", str(default)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _log(message: str) -> None:
    sys.stderr.write(f"[realservers] {message}\n")
    sys.stderr.flush()


def _venv_dir(name: str) -> Path:
    """Named by the first pin's version, plus a digest of all pins when there are several:
    changing any pin names a new venv, which is built (and the old one removed) on next use."""
    pins = REQUIREMENTS[name]
    tag = pins[0].split("==")[1]
    if len(pins) > 1:
        tag += "-" + hashlib.sha256("\n".join(sorted(pins)).encode()).hexdigest()[:10]
    return cache_dir() / f"{name}-{tag}-py{sys.version_info[0]}{sys.version_info[1]}"


def is_ready(name: str) -> bool:
    """Whether the ``name`` venv is built for its pinned version (so starting it is quick)."""
    return (_venv_dir(name) / ".ready").exists()


def venv_python(name: str) -> Path:
    """The Python of the ``name`` venv, building it first if this version is not cached yet."""
    pins = REQUIREMENTS[name]
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    target = _venv_dir(name)
    tag = target.name
    python = target / "bin" / "python"
    ready = target / ".ready"
    # Two pytest processes (sqlite and postgresql runs, or xdist) may ask at once.
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists():
            return python
        # A venv is not relocatable (scripts carry absolute paths), so it is built in place;
        # the .ready marker written last tells a finished one from an interrupted one.
        shutil.rmtree(target, ignore_errors=True)
        started = time.monotonic()
        _log(f"building {target} ({' '.join(pins)}); this happens once per version")
        subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)  # noqa: S603
        env = {**os.environ, "PIP_CACHE_DIR": str(root / "pip-cache")}
        subprocess.run(  # noqa: S603 - fixed argv, no shell
            [str(python), "-m", "pip", "install", "-qq", "--disable-pip-version-check", *pins],
            check=True,
            env=env,
        )
        ready.write_text(f"{time.monotonic() - started:.1f}\n")
        _log(f"built {tag} in {time.monotonic() - started:.0f} s")
        # Older versions of the same venv are dead weight once a new pin is built.
        for old in root.glob(f"{name}-*"):
            if old != target and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        return python


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait until ``url`` answers 200 with JSON (Spark's UI answers HTML while it starts)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback URL
                if answer.status == 200 and "json" in answer.headers.get("content-type", ""):
                    return
        except (urllib.error.URLError, OSError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            raise RuntimeError(f"{url} did not come up (exit {proc.poll()}):\n{tail}")
        time.sleep(0.5)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    # The servers fork workers; each runs in its own process group so all of it stops.
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@dataclass(frozen=True)
class Airflow:
    url: str
    username: str
    password: str
    version: str


@contextlib.contextmanager
def airflow_server(
    username: str = "dlv", password: str = INTEGRATION_PASSWORD, *, scheduler: bool = True
) -> Iterator[Airflow]:
    """Airflow's API server and scheduler (SQLite metadatabase, simple auth manager)."""
    python = venv_python("airflow")
    bin_dir = python.parent
    with tempfile.TemporaryDirectory(prefix="dlv-airflow-") as tmp:
        home = Path(tmp)
        (home / "dags").mkdir()
        passwords = home / "passwords.json"
        passwords.write_text(json.dumps({username: password}))
        port = free_port()
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{username}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "dlv-integration-jwt-secret-0123456789",
            "AIRFLOW__API__SECRET_KEY": "dlv-integration-secret-key-0123456789",
        }
        log = home / "airflow.log"
        with log.open("wb") as out:
            subprocess.run(  # noqa: S603 - fixed argv, no shell
                [str(bin_dir / "airflow"), "db", "migrate"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
            )
            procs = [
                subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                    [str(bin_dir / "airflow"), *command],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                for command in (
                    ["api-server", "--port", str(port)],
                    *([["scheduler"]] if scheduler else []),
                )
            ]
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_http(f"{url}/api/v2/monitor/health", procs[0], log, START_TIMEOUT)
            if scheduler:
                _wait_healthy_scheduler(url, procs[1], log)
            yield Airflow(url, username, password, AIRFLOW_VERSION)
        finally:
            for proc in procs:
                _stop(proc)


def _wait_healthy_scheduler(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as answer:  # noqa: S310
            if json.load(answer)["scheduler"]["status"] == "healthy":
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"the Airflow scheduler did not become healthy:\n{tail}")
        time.sleep(1)


# A tiny job, then the driver stays up so its application UI (and REST API) keeps serving;
# it exits when its stdin closes, so a crashed test run leaves no JVM behind.
_SPARK_APP = """
import sys
from pyspark.sql import SparkSession
port = sys.argv[1]
spark = (
    SparkSession.builder.master("local[1]").appName("dlv-integration")
    .config("spark.ui.port", port).config("spark.port.maxRetries", "0")
    .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    .config("spark.ui.showConsoleProgress", "false").getOrCreate()
)
assert spark.range(100).selectExpr("sum(id)").collect()[0][0] == 4950
print("READY", flush=True)
sys.stdin.read()
spark.stop()
"""


def _require_java() -> None:
    # Spark 4 runs on Java 17 or 21; pyspark brings the jars, not a JVM.
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RuntimeError("pyspark needs Java 17+ (apt-get install openjdk-17-jre-headless)")


@dataclass(frozen=True)
class Spark:
    url: str
    version: str


@contextlib.contextmanager
def spark_app() -> Iterator[Spark]:
    """A local pyspark application whose UI serves Spark's REST API on a free port."""
    _require_java()
    python = venv_python("spark")
    with tempfile.TemporaryDirectory(prefix="dlv-spark-") as tmp:
        port = free_port()
        log = Path(tmp) / "spark.log"
        script = Path(tmp) / "app.py"
        script.write_text(_SPARK_APP)
        env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": str(python)}
        with log.open("wb") as out:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [str(python), str(script), str(port)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=tmp,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_http(f"{url}/api/v1/applications", proc, log, START_TIMEOUT)
            yield Spark(url, PYSPARK_VERSION)
        finally:
            if proc.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                _stop(proc)
            else:
                _stop(proc)


@contextlib.contextmanager
def spark_master() -> Iterator[Spark]:
    """A standalone Spark master (no workers) from the same pyspark install."""
    _require_java()
    python = venv_python("spark")
    spark_home = next((python.parent.parent / "lib").glob("python3*/site-packages/pyspark"))
    with tempfile.TemporaryDirectory(prefix="dlv-spark-master-") as tmp:
        port, ui_port = free_port(), free_port()
        log = Path(tmp) / "master.log"
        env = {
            **os.environ,
            "SPARK_HOME": str(spark_home),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_LOG_DIR": tmp,
        }
        command = [
            str(python.parent / "spark-class"),
            "org.apache.spark.deploy.master.Master",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--webui-port", str(ui_port),
        ]  # fmt: skip
        with log.open("wb") as out:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                command,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=tmp,
            )
        url = f"http://127.0.0.1:{ui_port}"
        try:
            _wait_http(f"{url}/json/", proc, log, START_TIMEOUT)
            yield Spark(url, PYSPARK_VERSION)
        finally:
            _stop(proc)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("prepare", "airflow", "spark", "spark-master"):
        sys.stderr.write(__doc__ or "")
        return 2
    if argv[0] == "prepare":
        for name in argv[1:] or list(REQUIREMENTS):
            started = time.monotonic()
            venv_python(name)
            _log(f"{name} ready in {time.monotonic() - started:.1f} s")
        return 0
    servers: dict[str, Callable[[], contextlib.AbstractContextManager[object]]] = {
        "airflow": airflow_server,
        "spark": spark_app,
        "spark-master": spark_master,
    }
    server = servers[argv[0]]()
    with server as running:
        _log(f"{argv[0]} serving: {running}")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
