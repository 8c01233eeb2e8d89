"""The Spark collector: applications as jobs, with their state, duration and attempts.

One URL field covers three servers, as in the connection test: a history server or an
application UI serves ``/api/v1/applications``; a standalone master describes its
applications at ``/json/``. The job is named as OpenLineage's Spark integration names an
application's job: ``spark.app.name`` normalized (camelCase to snake_case, lower case, every
other character ``_``), in the namespace configured on the Spark node. Runs of one application
name are one job: the newest run gives its status and facts.

Status: the REST API says whether an attempt completed, not whether it succeeded, so the
newest run of each name is asked for its failed Spark jobs (one request each, at most
``MAX_APPS``): any -> ``error``; completed without -> ``ok``. A master says FINISHED (``ok``),
FAILED, KILLED or ERROR (``error``). Still running with no failure: nothing (``None``), the
job keeps what it showed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from dlv.collectors import remote
from dlv.collectors.base import CollectFailed, Job, Jobs
from dlv.collectors.remote import Remote
from dlv.health.connectors import AnyConnection
from dlv.health.connectors.base import CheckFailed
from dlv.health.network import NetworkPolicy
from dlv.nodes.connections import SparkConnection, secret_values
from dlv.nodes.models import NodeStatus

API = "/api/v1"
MAX_APPS = 200
KIND = "spark_application"
MASTER_FAILED = frozenset({"FAILED", "KILLED", "ERROR"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_OTHER = re.compile(r"[^a-z0-9]+")
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")


def job_name(app_name: str) -> str:
    """OpenLineage's job name for an application name: ``My App-2`` -> ``my_app_2``."""
    return _OTHER.sub("_", _CAMEL.sub("_", app_name).lower()).strip("_") or "spark_application"


@dataclass(frozen=True)
class App:
    id: str
    name: str
    started: int  # epoch ms: the newest run of a name wins
    attempts: int
    duration_ms: int | None
    completed: bool
    state: str | None = None  # a master's word for it
    attempt_id: str | None = None


def read(config: AnyConnection, policy: NetworkPolicy) -> Jobs:
    """The applications Spark knows; CollectFailed with a message naming no secret."""
    if not isinstance(config, SparkConnection):
        raise TypeError("the Spark collector reads spark configs only")
    base = str(config.url).rstrip("/").removesuffix(API)
    return remote.read(lambda: _read(config, base, policy), f"Spark at {base}")


async def _read(config: SparkConnection, base: str, policy: NetworkPolicy) -> Jobs:
    token = config.token.get_secret_value() if config.token else None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with remote.connect(
        base, float(config.timeout), policy, secret_values(config), headers
    ) as api:
        apps = await _rest_apps(api)
        master = apps is None
        if apps is None:
            apps = await _master_apps(api)
        newest: dict[str, App] = {}
        for app in sorted(apps, key=lambda a: a.started):
            newest[job_name(app.name)] = app
        jobs = []
        for name, app in sorted(newest.items()):
            failed = [] if master else await _failed_jobs(api, app)
            jobs.append(_job(name, app, failed))
        complete = len(apps) < MAX_APPS
        note = "" if complete else f"; only the newest {MAX_APPS} applications were read"
        return Jobs(jobs, complete, note)


async def _rest_apps(api: Remote) -> list[App] | None:
    """The REST API's applications, or None when this is a standalone master."""
    try:
        body = await api.get(f"{API}/applications", {"limit": MAX_APPS})
    except CheckFailed:
        # Not the REST API (404, or the master's HTML): a master says so at /json/.
        try:
            answer = await api.client.get(api.base + "/json/")
        except httpx.HTTPError:
            raise CheckFailed from None  # the REST API's failure is the one to tell
        if answer.status_code == 200 and _is_master(answer):
            api.probe.steps.clear()
            return None
        raise
    if not isinstance(body, list):
        raise api.fail(f"{API}/applications did not answer a list")
    return [app for item in body if (app := _rest_app(item)) is not None]


def _is_master(answer: Any) -> bool:
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") is not None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rest_app(item: object) -> App | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return None
    app_id, attempts = item.get("id"), item.get("attempts")
    if not isinstance(app_id, str) or not _ID.match(app_id) or not isinstance(attempts, list):
        return None
    last = attempts[-1] if attempts and isinstance(attempts[-1], dict) else {}
    attempt_id = last.get("attemptId")
    return App(
        id=app_id,
        name=item["name"],
        started=_int(last.get("startTimeEpoch")) or 0,
        attempts=len(attempts),
        duration_ms=_int(last.get("duration")),
        completed=last.get("completed") is True,
        attempt_id=attempt_id if isinstance(attempt_id, str) and _ID.match(attempt_id) else None,
    )


async def _master_apps(api: Remote) -> list[App]:
    body = await api.get("/json/")
    if not isinstance(body, dict):
        raise api.fail("/json/ did not answer a JSON object")
    apps: list[App] = []
    for key, completed in (("completedapps", True), ("activeapps", False)):
        items = body.get(key)
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            app_id, state = item.get("id"), item.get("state")
            if not isinstance(app_id, str) or not _ID.match(app_id):
                continue
            apps.append(
                App(
                    id=app_id,
                    name=item["name"],
                    started=_int(item.get("starttime")) or 0,
                    attempts=1,
                    duration_ms=_int(item.get("duration")),
                    completed=completed,
                    state=state if isinstance(state, str) and state.isalpha() else None,
                )
            )
    return apps[-MAX_APPS:]


async def _failed_jobs(api: Remote, app: App) -> list[int]:
    """The ids of the application's failed Spark jobs."""
    path = f"{API}/applications/{quote(app.id, safe='')}"
    if app.attempt_id:
        path += f"/{quote(app.attempt_id, safe='')}"
    body = await api.get(f"{path}/jobs", {"status": "failed"})
    if not isinstance(body, list):
        raise api.fail(f"{API}/applications/.../jobs did not answer a list")
    return sorted(
        i for job in body if isinstance(job, dict) and (i := _int(job.get("jobId"))) is not None
    )


def _since(app: App) -> str:
    if app.started <= 0:
        return "an unknown time"
    return datetime.fromtimestamp(app.started / 1000, UTC).isoformat(timespec="seconds")


def _duration(ms: int | None) -> str:
    return f"{ms / 1000:.1f} s" if ms is not None and ms >= 0 else "duration unknown"


def _job(name: str, app: App, failed: list[int]) -> Job:
    attempts = f"{app.attempts} attempt" + ("s" if app.attempts != 1 else "")
    # A running application's duration grows with every read: it is not a fact to store.
    ran = _duration(app.duration_ms) if app.completed else f"running since {_since(app)}"
    summary = f"application {app.id}; {app.state or ''}{'; ' if app.state else ''}{attempts}; {ran}"
    if failed:
        ids = ", ".join(str(i) for i in failed[:10])
        message = f"Application {app.id}: Spark job{'s' if len(failed) > 1 else ''} {ids} failed"
        return Job(name, KIND, None, NodeStatus.error, message, summary)
    if app.state in MASTER_FAILED:
        message = f"Application {app.id} ended {app.state} after {_duration(app.duration_ms)}"
        return Job(name, KIND, None, NodeStatus.error, message, summary)
    if app.completed:
        message = f"Application {app.id} completed in {_duration(app.duration_ms)}"
        return Job(name, KIND, None, NodeStatus.ok, message, summary)
    return Job(name, KIND, None, None, None, summary)


__all__ = ["CollectFailed", "job_name", "read"]
