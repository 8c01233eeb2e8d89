"""A batch's data quality facets into the catalog: reports stored, and the latest assertions
turning a dataset ``error`` (and back) without taking over a status set for another reason.

Precedence (ADR 16: error > late > at_risk > ok > unknown): a failing assertion overwrites
ok, unknown, at_risk and late, remembering which; it never overwrites an error it did not
set (a check's, a person's). Passing again gives back ``at_risk`` with its message, and ``ok``
for the rest: a still-breached SLA re-asserts ``late`` at its next round (ADR 16).
"""

from __future__ import annotations

from typing import Any

from dlv.ingestion.catalog import Catalog, set_status
from dlv.ingestion.catalog_repository import NodeRow
from dlv.ingestion.mapping import Key, Plan, QualitySpec, Sender
from dlv.nodes.models import NodeStatus
from dlv.quality import facets, repository
from dlv.quality.facets import Assertion, Quality
from dlv.quality.models import QualityAssertions, QualityMetrics

MAX_MESSAGE = 1000


def _integration(plan: Plan, job: Key) -> str | None:
    spec = plan.nodes.get(job)
    job_type = spec.fields.get("job_type") if spec is not None else None
    value = job_type[1].get("integration") if job_type else None
    return value[:64] if isinstance(value, str) and value else None


def message(failed: list[Assertion], job: str, integration: str | None) -> str:
    """ "assertion not_null on column id failed (dbt test shop.public.orders.test)"."""
    first = failed[0]
    column = f" on column {first.column}" if first.column else ""
    more = f", and {len(failed) - 1} more" if len(failed) > 1 else ""
    source = f"{integration.lower()} test {job}" if integration else f"job {job}"
    return f"assertion {first.assertion}{column} failed{more} ({source})"[:MAX_MESSAGE]


def _store(catalog: Catalog, model: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        repository.upsert_reports(catalog.session, model, rows)
        repository.prune(catalog.session, model, [r["node_pk"] for r in rows])


def apply_quality(catalog: Catalog, plan: Plan) -> None:
    """Store the batch's quality reports; judge each dataset by its newest assertions."""
    if not plan.quality:
        return
    assertions: list[dict[str, Any]] = []
    metrics: list[dict[str, Any]] = []
    newest: dict[int, tuple[QualitySpec, Quality, dict[str, Any]]] = {}
    for (key, report_key), latest in plan.quality.items():
        spec, found = _readable(latest)
        if found is None:
            continue  # nothing usable (malformed): skipped, the events are mapped as ever
        node = catalog.nodes[key]
        base = {
            "node_pk": node.pk,
            "report_key": report_key,
            "observed_at": spec.time,
            "job": f"{spec.job[0]}/{spec.job[1]}",
        }
        if found.assertions is not None:
            row = {
                **base,
                "integration": _integration(plan, spec.job),
                "assertions": [a.as_json() for a in found.assertions],
                "failed": sum(a.blocking for a in found.assertions),
            }
            assertions.append(row)
            held = newest.get(node.pk)
            if held is None or (spec.time, report_key) > (held[0].time, held[2]["report_key"]):
                newest[node.pk] = (spec, found, row)
        if found.metrics is not None:
            m = found.metrics
            metrics.append(
                {**base, "row_count": m.row_count, "bytes": m.bytes, "columns": m.columns}
            )
    _store(catalog, QualityAssertions, assertions)
    _store(catalog, QualityMetrics, metrics)
    if newest:
        _judge(catalog, plan, newest)


def _readable(latest: QualitySpec) -> tuple[QualitySpec, Quality | None]:
    """The newest of a dataset and run's reports whose facets read, and what they say."""
    spec: QualitySpec | None = latest
    while spec is not None:
        found = facets.read(spec.facets)
        if found is not None:
            return spec, found
        spec = spec.earlier
    return latest, None


def _judge(
    catalog: Catalog, plan: Plan, newest: dict[int, tuple[QualitySpec, Quality, dict[str, Any]]]
) -> None:
    held = repository.states_of(catalog.session, list(newest))
    nodes = {n.pk: (key, n) for key, n in catalog.nodes.items()}
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for pk in sorted(newest):
        spec, found, row = newest[pk]
        stored = held.get(pk)
        if stored is not None and spec.time < stored["checked_at"]:
            continue  # an older report, delivered late: the newer one stands
        state: dict[str, Any] = {"node_pk": pk, "message": None, **(stored or {})}
        key, node = nodes[pk]
        failed = [a for a in found.assertions or () if a.blocking]
        state["checked_at"] = spec.time
        state["failed"] = [a.as_json() for a in failed]
        sender = plan.nodes[key].sender
        if failed:
            text = message(failed, spec.job[1], row["integration"])
            _fail(catalog, node, state, text, sender)
        else:
            _pass(catalog, node, state, sender)
        (changed if stored is not None else new).append(state)
    repository.save_states(catalog.session, new, changed)


def _holds(node: NodeRow, state: dict[str, Any]) -> bool:
    """Is the node's status the error quality set (and nothing changed it since)?"""
    return (
        state["message"] is not None
        and node.status == NodeStatus.error
        and node.status_message == state["message"]
    )


def _fail(
    catalog: Catalog, node: NodeRow, state: dict[str, Any], text: str, sender: Sender
) -> None:
    if node.status == NodeStatus.error and not _holds(node, state):
        state["message"] = None  # an error of another kind: it stands, and is not ours to clear
        return
    if not _holds(node, state):
        state["restore_status"], state["restore_message"] = node.status, node.status_message
    set_status(catalog, node, NodeStatus.error, text, sender)
    state["message"] = text


def _pass(catalog: Catalog, node: NodeRow, state: dict[str, Any], sender: Sender) -> None:
    if _holds(node, state):
        if state.get("restore_status") == NodeStatus.at_risk:
            set_status(catalog, node, NodeStatus.at_risk, state.get("restore_message"), sender)
        else:
            set_status(catalog, node, NodeStatus.ok, None, sender)
    elif node.status == NodeStatus.unknown:
        set_status(catalog, node, NodeStatus.ok, None, sender)
    state["message"] = state["restore_status"] = state["restore_message"] = None
