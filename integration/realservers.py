"""Real Airflow and Spark servers, and dbt, for DLV's connector tests, each in its own virtualenv.

A user's Airflow pins hundreds of packages, pyspark ships Spark's jars and dbt pins its own
protobuf and click, so none goes into DLV's own environment: each gets a virtualenv under
``DLV_INTEGRATION_CACHE`` (default ``~/.cache/dlv-integration``), built once per pinned
version and reused after.

    python integration/realservers.py prepare [airflow|spark|dbt]...   # build (or reuse) the venvs
    python integration/realservers.py airflow                      # run one until Ctrl-C
    python integration/realservers.py spark
    python integration/realservers.py spark-master
    python integration/realservers.py spark-history

The tests import ``airflow_server``, ``airflow_with_lineage`` (an Airflow that runs DAGs and
sends their OpenLineage events to DLV), ``spark_app``, ``spark_master`` and ``spark_history``
(a history server over applications that ran, one with a failed job) from here. Only the
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
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AIRFLOW_VERSION = "3.3.2"
PYSPARK_VERSION = "4.3.0"
OPENLINEAGE_VERSION = "1.54.0"
DBT_CORE_VERSION = "1.11.16"
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
    # dbt-ol (openlineage-dbt's wrapper) reads dbt's artifacts after each command and sends
    # their lineage; dbt-core and the adapter decide what those artifacts hold.
    "dbt": [
        f"dbt-core=={DBT_CORE_VERSION}",
        "dbt-postgres==1.11.0",
        f"openlineage-dbt=={OPENLINEAGE_VERSION}",
    ],
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


def _stop(*procs: subprocess.Popen[bytes], grace: float = 20) -> None:
    # The servers fork workers; each runs in its own process group so all of it stops. All
    # are told at once: each may take seconds to shut down.
    running = [proc for proc in procs if proc.poll() is None]
    for proc in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in running:
        try:
            proc.wait(max(deadline - time.monotonic(), 0.1))
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


def _airflow_env(home: Path, port: int, username: str, password: str) -> dict[str, str]:
    (home / "dags").mkdir(exist_ok=True)
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({username: password}))
    return {
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


@contextlib.contextmanager
def _run_airflow(
    env: dict[str, str], port: int, commands: list[list[str]], healthy: tuple[str, ...]
) -> Iterator[str]:
    """A migrated metadatabase, then the api-server and ``commands``, each in its own process
    group; yields the API's URL once it answers and each of ``healthy`` reports healthy."""
    bin_dir = venv_python("airflow").parent
    airflow = str(bin_dir / "airflow")
    home = Path(env["AIRFLOW_HOME"])
    log = home / "airflow.log"
    # A migrated metadatabase holds nothing of its home (tables, the default pool, the log
    # templates), so one is migrated per venv and copied: `airflow db migrate` takes 4-9 s.
    template = bin_dir.parent / "metadata-template.db"
    with log.open("wb") as out:
        if template.exists():
            shutil.copyfile(template, home / "airflow.db")
        else:
            migrate = [airflow, "db", "migrate"]
            subprocess.run(migrate, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)  # noqa: S603
            partial = template.with_name(f"{template.name}.{os.getpid()}")
            shutil.copyfile(home / "airflow.db", partial)
            partial.replace(template)  # atomic: a concurrent run copies all of it or none
        procs = [
            subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [airflow, *command],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for command in (["api-server", "--port", str(port)], *commands)
        ]
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/api/v2/monitor/health", procs[0], log, START_TIMEOUT)
        _wait_healthy(url, procs, log, healthy)
        yield url
    finally:
        # A throwaway deployment whose state is deleted with it: no need to wait out the
        # api-server's graceful shutdown (8 s on a busy machine).
        _stop(*procs, grace=3)


def _wait_healthy(
    url: str, procs: list[subprocess.Popen[bytes]], log: Path, components: tuple[str, ...]
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as answer:  # noqa: S310
            health = json.load(answer)
        if all((health.get(c) or {}).get("status") == "healthy" for c in components):
            return
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"Airflow's {', '.join(components)} did not become healthy:\n{tail}")
        time.sleep(0.5)


@contextlib.contextmanager
def airflow_server(
    username: str = "dlv", password: str = INTEGRATION_PASSWORD, *, scheduler: bool = True
) -> Iterator[Airflow]:
    """Airflow's API server and scheduler (SQLite metadatabase, simple auth manager)."""
    with tempfile.TemporaryDirectory(prefix="dlv-airflow-") as tmp:
        port = free_port()
        env = _airflow_env(Path(tmp), port, username, password)
        commands = [["scheduler"]] if scheduler else []
        healthy = ("scheduler",) if scheduler else ()
        with _run_airflow(env, port, commands, healthy) as url:
            yield Airflow(url, username, password, AIRFLOW_VERSION)


DAG_RUN_TIMEOUT = float(os.environ.get("DLV_INTEGRATION_DAG_RUN_TIMEOUT", "300"))
FINISHED = frozenset({"success", "failed"})


@dataclass(frozen=True)
class DagRun:
    dag_id: str
    run_id: str
    state: str
    tasks: dict[str, str]  # task id -> final state


@dataclass(frozen=True)
class AirflowLineage:
    """A running Airflow whose task runs send OpenLineage events; DAG runs start through its
    REST API, as a user's trigger would."""

    url: str
    namespace: str
    home: Path
    username: str
    password: str = field(repr=False)

    def _call(self, method: str, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if path != "/auth/token":
            headers["Authorization"] = f"Bearer {self._token()}"
        request = urllib.request.Request(  # noqa: S310 - loopback URL
            f"{self.url}{path}", data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                return json.load(answer)
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: HTTP {exc.code} {exc.read()[:2000]!r}") from None

    def _token(self) -> str:
        # Airflow's JWTs last a day; one per call keeps this object immutable and is cheap.
        body = {"username": self.username, "password": self.password}
        return str(self._call("POST", "/auth/token", body)["access_token"])

    def log_tail(self) -> str:
        """The end of Airflow's log (its processes'; each task also logs under logs/)."""
        return (self.home / "airflow.log").read_text(errors="replace")[-4000:]

    def wait_for_dag(self, dag_id: str, timeout: float = START_TIMEOUT) -> None:
        """Wait until the dag-processor has parsed ``dag_id``; a DAG file that fails to import
        raises with Airflow's import error."""
        deadline = time.monotonic() + timeout
        while True:
            dags = self._call("GET", "/api/v2/dags?limit=100")["dags"]
            if any(d["dag_id"] == dag_id for d in dags):
                return
            errors = self._call("GET", "/api/v2/importErrors")["import_errors"]
            if errors:
                raise RuntimeError(f"Airflow could not import the DAG files: {errors}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"DAG {dag_id!r} was not parsed in time:\n{self.log_tail()}")
            time.sleep(0.5)

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """Start a DAG run now (with ``conf``, which overrides the DAG's params); its run id."""
        self.wait_for_dag(dag_id)
        body = {"logical_date": None, "conf": conf or {}}
        return str(self._call("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"])

    def wait(self, dag_id: str, run_id: str, timeout: float = DAG_RUN_TIMEOUT) -> DagRun:
        """Wait until the DAG run has finished (succeeded or failed)."""
        path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}"
        deadline = time.monotonic() + timeout
        while (state := self._call("GET", path)["state"]) not in FINISHED:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{dag_id} {run_id} still {state}:\n{self.log_tail()}")
            time.sleep(0.5)
        tasks = self._call("GET", f"{path}/taskInstances")["task_instances"]
        return DagRun(dag_id, run_id, state, {t["task_id"]: t["state"] for t in tasks})

    def run(self, dag_id: str, conf: dict[str, Any] | None = None) -> DagRun:
        """Trigger a DAG run and wait for it to finish."""
        return self.wait(dag_id, self.trigger(dag_id, conf))


@contextlib.contextmanager
def airflow_with_lineage(
    lineage_url: str,
    api_key: str,
    dags: Mapping[str, str],
    connections: Mapping[str, str] | None = None,
    *,
    namespace: str = "dlv-integration",
    username: str = "dlv",
    password: str = INTEGRATION_PASSWORD,
) -> Iterator[AirflowLineage]:
    """Airflow that runs DAGs and sends their OpenLineage events to ``lineage_url``.

    ``dags`` maps file names to DAG sources, written into the DAGs folder before start;
    ``connections`` maps connection ids to URIs (``postgresql://user@host:port/db``). The
    OpenLineage HTTP transport is configured the way a user configures it, with ``api_key``
    as its bearer token. The api-server (it also serves the Execution API the tasks report
    to), the scheduler with the LocalExecutor, and the dag-processor run as a deployment's
    would, on SQLite: unlike ``airflow dags test``, the scheduler sends the DAG run's own
    START event and runs each task in its own supervised process.
    """
    with tempfile.TemporaryDirectory(prefix="dlv-airflow-lineage-") as tmp:
        home = Path(tmp)
        port = free_port()
        env = _airflow_env(home, port, username, password)
        for filename, source in dags.items():
            (home / "dags" / filename).write_text(source)
        url = f"http://127.0.0.1:{port}"
        transport = {
            "type": "http",
            "url": lineage_url,
            "endpoint": "api/v1/lineage",
            "auth": {"type": "api_key", "apiKey": api_key},
        }
        env |= {
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": namespace,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            # The machines have two cores: more task workers would only compete for them.
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
            "AIRFLOW__API__BASE_URL": url,
            # A task's supervisor notices its task has exited at its next heartbeat (5 s by
            # default), and the DAG run finishes only then; this changes no event.
            "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
        }
        for conn_id, uri in (connections or {}).items():
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = uri
        commands = [["scheduler"], ["dag-processor"]]
        with _run_airflow(env, port, commands, ("scheduler", "dag_processor")) as running:
            yield AirflowLineage(running, namespace, home, username, password)


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


def _spark_env(python: Path, tmp: str) -> dict[str, str]:
    """The environment of Spark's own scripts from the pyspark install, logs in ``tmp``."""
    spark_home = next((python.parent.parent / "lib").glob("python3*/site-packages/pyspark"))
    return {
        **os.environ,
        "SPARK_HOME": str(spark_home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": tmp,
        "PYSPARK_PYTHON": str(python),
    }


def _spark_class(python: Path, tmp: str, log: Path, args: list[str]) -> subprocess.Popen[bytes]:
    """A Spark daemon (``spark-class <main class> ...``) in its own session, output to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [str(python.parent / "spark-class"), *args],
            env=_spark_env(python, tmp),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=tmp,
        )


@contextlib.contextmanager
def spark_master() -> Iterator[Spark]:
    """A standalone Spark master (no workers) from the same pyspark install."""
    _require_java()
    python = venv_python("spark")
    with tempfile.TemporaryDirectory(prefix="dlv-spark-master-") as tmp:
        port, ui_port = free_port(), free_port()
        log = Path(tmp) / "master.log"
        args = [
            "org.apache.spark.deploy.master.Master",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--webui-port", str(ui_port),
        ]  # fmt: skip
        proc = _spark_class(python, tmp, log, args)
        url = f"http://127.0.0.1:{ui_port}"
        try:
            _wait_http(f"{url}/json/", proc, log, START_TIMEOUT)
            yield Spark(url, PYSPARK_VERSION)
        finally:
            _stop(proc)


# Applications that run to their end with event logs on, for a history server to show: the
# first succeeds, the second has a Spark job that fails (the application still completes).
_SPARK_FINISHED_APPS = """
import sys
from pyspark.sql import SparkSession
log_dir = sys.argv[1]
for name, fail in (("NightlyLoad", False), ("Orders Report", True)):
    spark = (
        SparkSession.builder.master("local[1]").appName(name)
        .config("spark.eventLog.enabled", "true").config("spark.eventLog.dir", log_dir)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    assert spark.range(10).selectExpr("sum(id)").collect()[0][0] == 45
    if fail:
        try:
            spark.sparkContext.parallelize([1]).map(lambda x: x // 0).collect()
        except Exception:
            pass
    spark.stop()
"""
HISTORY_APPS = ("NightlyLoad", "Orders Report")


@contextlib.contextmanager
def spark_history() -> Iterator[Spark]:
    """A Spark history server over two finished applications (``HISTORY_APPS``): the first
    succeeded, the second completed with a failed Spark job."""
    _require_java()
    python = venv_python("spark")
    with tempfile.TemporaryDirectory(prefix="dlv-spark-history-") as tmp:
        events = Path(tmp) / "events"
        events.mkdir()
        log = Path(tmp) / "history.log"
        script = Path(tmp) / "apps.py"
        script.write_text(_SPARK_FINISHED_APPS)
        with log.open("wb") as out:
            subprocess.run(  # noqa: S603 - fixed argv, no shell
                [str(python), str(script), events.as_uri()],
                env=_spark_env(python, tmp),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=tmp,
                check=True,
                timeout=START_TIMEOUT,
            )
        port = free_port()
        properties = Path(tmp) / "history.properties"
        properties.write_text(
            f"spark.history.fs.logDirectory {events.as_uri()}\n"
            f"spark.history.ui.port {port}\n"
            "spark.history.fs.update.interval 1s\n"
        )
        proc = _spark_class(
            python,
            tmp,
            log,
            ["org.apache.spark.deploy.history.HistoryServer", "--properties-file", str(properties)],
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_http(f"{url}/api/v1/applications", proc, log, START_TIMEOUT)
            _wait_apps(url, len(HISTORY_APPS), proc, log)
            yield Spark(url, PYSPARK_VERSION)
        finally:
            _stop(proc)


def _wait_apps(url: str, count: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the history server has read ``count`` applications' event logs."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with urllib.request.urlopen(f"{url}/api/v1/applications", timeout=5) as answer:  # noqa: S310
            if len(json.load(answer)) >= count:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"the history server did not list {count} applications:\n{tail}")
        time.sleep(0.5)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("prepare", "airflow", "spark", "spark-master", "spark-history"):
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
        "spark-history": spark_history,
    }
    server = servers[argv[0]]()
    with server as running:
        _log(f"{argv[0]} serving: {running}")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
