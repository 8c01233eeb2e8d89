"""The Airflow collector: DAGs and their tasks as jobs, the latest run's states as status.

Airflow 3 serves the REST API at ``/api/v2`` (a JWT from ``/auth/token`` for basic auth),
Airflow 2 at ``/api/v1`` (basic auth or a bearer token); the paths and answers used here are
the same in both. Names are the OpenLineage provider's: the DAG's job is ``dag_id``, a task's
``dag_id.task_id``, in the namespace configured on the Airflow node, so a collected job and a
reported one are the same node.

Per DAG: its tasks, its latest run (by start date) and that run's task instances: three
requests, so a run reads at most ``MAX_DAGS`` DAGs (listed by ``dag_id``, ``PAGE`` at a time)
and says so when there are more. Status, from the latest run:

- a failed task: its job ``error`` with which task, the run id, when, and its log's link in
  Airflow's UI; the DAG ``error`` naming its failed tasks;
- success (or skipped, a normal outcome of a branch): ``ok``;
- upstream_failed: ``unknown`` (it did not run; the failure is its upstream task's);
- a run or task not finished (queued, running, up for retry...): nothing (``None``), the job
  keeps what it showed, since the outcome is not known yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from dlv.collectors import remote
from dlv.collectors.base import CollectFailed, Job, Jobs
from dlv.collectors.remote import Remote
from dlv.health.connectors import AnyConnection
from dlv.health.connectors.base import StepError, http_failure, timestamp_of
from dlv.health.network import NetworkPolicy
from dlv.nodes.connections import AirflowConnection, BasicAuth, BearerAuth, secret_values
from dlv.nodes.models import NodeStatus

MAX_DAGS = 500
PAGE = 100
# Task instances of one run (a mapped task may have thousands); the rest are not read.
MAX_INSTANCES = 10_000
DAG, TASK = "dag", "task"
FAILED = frozenset({"failed"})
DONE_OK = frozenset({"success", "skipped"})


@dataclass(frozen=True)
class Instance:
    """A task instance of the latest run (mapped instances folded into one)."""

    state: str
    try_number: int
    ended: str | None
    map_index: int


def read(config: AnyConnection, policy: NetworkPolicy) -> Jobs:
    """The DAGs and tasks Airflow holds; CollectFailed with a message naming no secret."""
    if not isinstance(config, AirflowConnection):
        raise TypeError("the Airflow collector reads airflow configs only")
    base = str(config.base_url).rstrip("/")
    return remote.read(lambda: _read(config, base, policy), f"Airflow at {base}")


async def _read(config: AirflowConnection, base: str, policy: NetworkPolicy) -> Jobs:
    api = "/api/v2" if config.api_version == 3 else "/api/v1"
    async with remote.connect(base, float(config.timeout), policy, secret_values(config)) as api_:
        await _authenticate(api_, config)
        dags, total = await _dags(api_, api)
        jobs: list[Job] = []
        for dag in dags:
            jobs.extend(await _dag_jobs(api_, api, config, base, dag))
        complete = total <= len(dags)
        note = "" if complete else f"; only the first {len(dags)} of {total} DAGs were read"
        return Jobs(jobs, complete, note)


async def _authenticate(api: Remote, config: AirflowConnection) -> None:
    auth = config.auth
    if isinstance(auth, BearerAuth) and auth.token:
        api.client.headers["Authorization"] = f"Bearer {auth.token.get_secret_value()}"
    elif isinstance(auth, BasicAuth) and config.api_version == 3:
        password = auth.password.get_secret_value() if auth.password else ""
        async with api.probe.step("/auth/token", api.target) as step:
            response = await api.client.post(
                api.base + "/auth/token", json={"username": auth.username, "password": password}
            )
            failure = http_failure(response, "/auth/token")
            if failure:
                raise StepError(failure)
            token = _field(response, "access_token")
            if not token:
                raise StepError("/auth/token answered without an access_token")
            api.probe.secrets.append(token)
            api.client.headers["Authorization"] = f"Bearer {token}"
            step.done("token")
    elif isinstance(auth, BasicAuth):
        password = auth.password.get_secret_value() if auth.password else ""
        api.client.auth = (auth.username, password)


def _field(response: Any, name: str) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


async def _page(api: Remote, path: str, key: str, offset: int) -> tuple[list[dict[str, Any]], int]:
    body = await api.get(path, {"limit": PAGE, "offset": offset})
    items = body.get(key) if isinstance(body, dict) else None
    total = body.get("total_entries") if isinstance(body, dict) else None
    if not isinstance(items, list) or not isinstance(total, int):
        raise api.fail(f"{path} did not answer Airflow's {{{key!r}: [...], total_entries}} object")
    return [i for i in items if isinstance(i, dict)], total


async def _dags(api: Remote, prefix: str) -> tuple[list[dict[str, Any]], int]:
    """The first ``MAX_DAGS`` DAGs by id, and how many there are."""
    dags: list[dict[str, Any]] = []
    total = 0
    while len(dags) < MAX_DAGS:
        page, total = await _page(api, f"{prefix}/dags", "dags", len(dags))
        dags.extend(d for d in page if isinstance(d.get("dag_id"), str))
        if not page or len(dags) >= total:
            break
    return dags[:MAX_DAGS], total


async def _all(api: Remote, path: str, key: str) -> list[dict[str, Any]]:
    """Every item of a paginated listing (the task instances of a run)."""
    items: list[dict[str, Any]] = []
    while True:
        page, total = await _page(api, path, key, len(items))
        items.extend(page)
        if not page or len(items) >= min(total, MAX_INSTANCES):
            return items


async def _dag_jobs(
    api: Remote, prefix: str, config: AirflowConnection, base: str, dag: dict[str, Any]
) -> list[Job]:
    dag_id: str = dag["dag_id"]
    path = f"{prefix}/dags/{quote(dag_id, safe='')}"
    # The task listing takes no limit in either version: it answers every task at once.
    body = await api.get(f"{path}/tasks")
    found = body.get("tasks") if isinstance(body, dict) else None
    if not isinstance(found, list):
        raise api.fail(f"{path}/tasks did not answer Airflow's {{'tasks': [...]}} object")
    tasks = [t for t in found if isinstance(t, dict)]
    task_ids = sorted({t["task_id"] for t in tasks if isinstance(t.get("task_id"), str)})
    runs = await api.get(f"{path}/dagRuns", {"limit": 1, "order_by": "-start_date"})
    listed = runs.get("dag_runs") if isinstance(runs, dict) else None
    run = listed[0] if isinstance(listed, list) and listed and isinstance(listed[0], dict) else None
    instances: dict[str, Instance] = {}
    if run is not None and isinstance(run.get("dag_run_id"), str):
        run_path = f"{path}/dagRuns/{quote(run['dag_run_id'], safe='')}/taskInstances"
        instances = _fold(await _all(api, run_path, "task_instances"))
    paused = dag.get("is_paused") is True
    failed = sorted(t for t in task_ids if t in instances and instances[t].state in FAILED)
    jobs = [_dag_job(dag_id, run, paused, len(task_ids), failed)]
    for task_id in task_ids:
        jobs.append(_task_job(config, base, dag_id, task_id, run, instances.get(task_id)))
    return jobs


def _fold(items: list[dict[str, Any]]) -> dict[str, Instance]:
    """One instance per task: a mapped task's failed instance wins, then an unfinished one."""
    rank = {"failed": 3, "success": 0, "skipped": 0}
    found: dict[str, Instance] = {}
    for item in items:
        task_id, state = item.get("task_id"), item.get("state")
        if not isinstance(task_id, str):
            continue
        try_number = item.get("try_number")
        map_index = item.get("map_index")
        instance = Instance(
            state if isinstance(state, str) else "none",
            try_number if isinstance(try_number, int) else 1,
            timestamp_of(item.get("end_date")),
            map_index if isinstance(map_index, int) else -1,
        )
        held = found.get(task_id)
        if held is None or rank.get(instance.state, 1) > rank.get(held.state, 1):
            found[task_id] = instance
    return found


def _run_id(run: dict[str, Any] | None) -> str | None:
    value = run.get("dag_run_id") if run is not None else None
    return value if isinstance(value, str) else None


def _dag_job(
    dag_id: str, run: dict[str, Any] | None, paused: bool, tasks: int, failed: list[str]
) -> Job:
    state = run.get("state") if run is not None else None
    run_id = _run_id(run)
    when = timestamp_of(run.get("end_date")) if run is not None else None
    facts = [f"{tasks} tasks"] + (["paused"] if paused else [])
    facts.append(f"latest run {run_id} {state}" if run_id else "never run")
    status: NodeStatus | None = None
    message = None
    if state == "failed":
        status = NodeStatus.error
        which = f": {', '.join(failed)} failed" if failed else ""
        message = f"DAG run {run_id} failed at {when or 'an unknown time'}{which}"
    elif state == "success":
        status = NodeStatus.ok
        message = f"DAG run {run_id} succeeded at {when or 'an unknown time'}"
    return Job(dag_id, DAG, None, status, message, "; ".join(facts), paused)


def _task_job(
    config: AirflowConnection,
    base: str,
    dag_id: str,
    task_id: str,
    run: dict[str, Any] | None,
    instance: Instance | None,
) -> Job:
    run_id = _run_id(run)
    name = f"{dag_id}.{task_id}"
    if instance is None or run_id is None:
        return Job(name, TASK, dag_id, None, None, "not in the latest run")
    state = instance.state
    summary = f"latest run {run_id}: {state} (try {instance.try_number})"
    if state in FAILED:
        link = log_url(config, base, dag_id, run_id, task_id, instance)
        message = (
            f"Task {task_id} failed in DAG run {run_id} at {instance.ended or 'an unknown time'}"
            f" (try {instance.try_number}); log: {link}"
        )
        return Job(name, TASK, dag_id, NodeStatus.error, message, summary)
    if state in DONE_OK:
        message = f"Task {task_id} {state} in DAG run {run_id}"
        return Job(name, TASK, dag_id, NodeStatus.ok, message, summary)
    if state == "upstream_failed":
        message = f"Task {task_id} did not run in DAG run {run_id}: an upstream task failed"
        return Job(name, TASK, dag_id, NodeStatus.unknown, message, summary)
    return Job(name, TASK, dag_id, None, None, summary)


def log_url(
    config: AirflowConnection,
    base: str,
    dag_id: str,
    run_id: str,
    task_id: str,
    instance: Instance,
) -> str:
    """The task instance's log in Airflow's UI (the page the provider's ``log_url`` names)."""
    dag, run, task = (quote(v, safe="") for v in (dag_id, run_id, task_id))
    if config.api_version == 3:
        mapped = f"/mapped/{instance.map_index}" if instance.map_index >= 0 else ""
        return f"{base}/dags/{dag}/runs/{run}/tasks/{task}{mapped}?try_number={instance.try_number}"
    query = {"dag_run_id": run_id, "task_id": task_id, "tab": "logs"}
    if instance.map_index >= 0:
        query["map_index"] = str(instance.map_index)
    return f"{base}/dags/{dag}/grid?{urlencode(query)}"


__all__ = ["CollectFailed", "log_url", "read"]
