"""dbt's artifacts (manifest.json, run_results.json) as a dlv-graph document: pure, no I/O.

Everything is named exactly as openlineage-dbt (``dbt-ol``) names it, so a project imported
from its artifacts and the same project's ``dbt-ol`` events meet on the same nodes:

- a table or view (model, seed, snapshot, source) is a dataset ``<dataset namespace>`` /
  ``database.schema.table``; the table is a model's alias and a source's *name* (dbt-ol uses
  the name, not the identifier);
- a model is a job ``<job namespace>`` / ``database.schema.<unique_id without "model.">``;
- a model's or source's generic tests are one job named like it (``unique_id`` kept whole for
  a source) plus ``.test``; a singular test is a job named by its ``unique_id``;
- each of them is a child of the job of the whole dbt invocation, ``dbt-run-<project>``.

An ephemeral model has no table, but dbt-ol names it as its children's input all the same; it
is kept so (a dataset and a job), which keeps the lineage through it whole.

The dataset namespace (``postgres://host:port``) is in the profile, not in the artifacts: the
caller gives it. Statuses come from run_results: a model that failed, or a test job one of
whose tests failed (a ``warn`` does not count, as in dbt), is in error with dbt's message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlv.nodes.models import NodeKind, NodeStatus
from dlv.nodes.schemas import MAX_DESCRIPTION, keep_owners, keep_tags

Key = tuple[str, str]
DEFAULT_JOB_NAMESPACE = "dbt"  # dbt-ol's, when OPENLINEAGE_NAMESPACE is not set
TABLE_TYPES = ("model", "seed", "snapshot", "source")
RUN_FAILED = frozenset({"error", "fail", "runtime error"})
MAX_MESSAGE = 2_000


class ArtifactError(ValueError):
    """An artifact that is not what dbt writes; ``field`` says where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Status:
    key: Key
    status: NodeStatus
    message: str | None


@dataclass
class Mapped:
    """The document (``nodes``, ``edges`` as dlv-graph wants them) and the statuses to set."""

    nodes: dict[Key, dict[str, Any]] = field(default_factory=dict)
    edges: dict[tuple[Key, Key], dict[str, Any]] = field(default_factory=dict)
    statuses: list[Status] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "format": "dlv-graph",
            "version": 1,
            "nodes": list(self.nodes.values()),
            "edges": list(self.edges.values()),
        }


def _name(*parts: str | None) -> str:
    # dbt-ol's _format_dataset_name: empty parts (a database-less adapter) are left out.
    return ".".join(p for p in parts if p)


def _owners(meta: Any) -> list[str]:
    owner = meta.get("owner") if isinstance(meta, dict) else None
    names = owner if isinstance(owner, list) else [owner]
    return keep_owners(n for n in names if isinstance(n, str))


def _tags(node: Mapping[str, Any]) -> list[str]:
    return keep_tags(str(tag) for tag in node.get("tags") or ())


def _description(value: Any) -> str | None:
    # One the catalog cannot hold is left out, as ingestion leaves it: not the whole import.
    text = value.strip() if isinstance(value, str) else ""
    return text if 0 < len(text) <= MAX_DESCRIPTION else None


class _Builder:
    def __init__(self, manifest: Mapping[str, Any], datasets: str, jobs: str) -> None:
        self.manifest = manifest
        self.datasets = datasets
        self.jobs = jobs
        self.out = Mapped()
        meta = manifest.get("metadata") or {}
        project = meta.get("project_name")
        if not isinstance(project, str) or not project:
            raise ArtifactError("manifest.metadata.project_name", "missing")
        self.root: Key = (jobs, f"dbt-run-{project}")
        self.all: dict[str, Mapping[str, Any]] = {
            **_section(manifest, "nodes"),
            **_section(manifest, "sources"),
        }
        # The job each model's and test's results go to (run_results name them by unique_id).
        self.job_of: dict[str, Key] = {}

    def node(self, key: Key, kind: NodeKind, source: Mapping[str, Any] | None) -> Key:
        doc: dict[str, Any] = {"kind": kind.value, "namespace": key[0], "name": key[1]}
        if kind is NodeKind.job and key != self.root:
            doc["parent"] = {"namespace": self.root[0], "name": self.root[1]}
        if source is not None:
            doc["description"] = _description(source.get("description"))
            doc["owners"] = _owners(source.get("meta") or (source.get("config") or {}).get("meta"))
            doc["tags"] = _tags(source)
        held = self.out.nodes.get(key)
        if held is None or source is not None:
            self.out.nodes[key] = doc
        return key

    def edge(self, source: Key, target: Key) -> None:
        self.out.edges[(source, target)] = {
            "source": {"namespace": source[0], "name": source[1]},
            "target": {"namespace": target[0], "name": target[1]},
        }

    def dataset(self, unique_id: str) -> Key | None:
        node = self.all.get(unique_id)
        kind = unique_id.split(".", 1)[0]
        if node is None or kind not in TABLE_TYPES:
            return None
        table = node.get("name") if kind == "source" else node.get("alias") or node.get("name")
        name = _name(node.get("database"), node.get("schema"), table)
        return self.node((self.datasets, name), NodeKind.dataset, node)

    def job_name(self, node: Mapping[str, Any], unique_id: str) -> str:
        return _name(node.get("database"), node.get("schema"), unique_id.removeprefix("model."))

    def build(self) -> Mapped:
        self.node(self.root, NodeKind.job, None)
        parents = _section(self.manifest, "parent_map")
        for unique_id, node in self.all.items():
            output = self.dataset(unique_id)
            if output is None or not unique_id.startswith(("model.", "snapshot.")):
                continue
            name = self.job_name(node, unique_id)
            if unique_id.startswith("snapshot."):
                name = _name(node.get("database"), node.get("schema"), unique_id[9:]) + ".snapshot"
            job = self.node((self.jobs, name), NodeKind.job, node)
            if unique_id.startswith("model."):  # a snapshot's results set no status
                self.job_of[unique_id] = job
            for parent in parents.get(unique_id) or ():
                source = self.dataset(parent)
                if source is not None:
                    self.edge(source, job)
            self.edge(job, output)
        for unique_id, node in self.all.items():
            if unique_id.startswith("test."):
                self.test(unique_id, node, parents.get(unique_id) or ())
        return self.out

    def test(self, unique_id: str, node: Mapping[str, Any], parents: Iterable[str]) -> None:
        tables = [p for p in parents if p.split(".", 1)[0] in TABLE_TYPES and p in self.all]
        if node.get("test_metadata") is None:  # singular: a job of its own
            job = self.node((self.jobs, unique_id), NodeKind.job, node)
            self.job_of[unique_id] = job
            for parent in tables:
                if (source := self.dataset(parent)) is not None:
                    self.edge(source, job)
            return
        if not tables:
            return
        # dbt-ol: a generic test belongs to the last of its tested tables (its model).
        tested = tables[-1]
        target = self.all[tested]
        name = self.job_name(target, tested) + ".test"
        job = (self.jobs, name)
        if job not in self.out.nodes:
            self.node(job, NodeKind.job, None)
            self.out.nodes[job]["description"] = f"The dbt tests of {tested}"
        self.job_of[unique_id] = job
        if (source := self.dataset(tested)) is not None:
            self.edge(source, job)


def _section(artifact: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = artifact.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, (dict, list)) for v in value.values()):
        raise ArtifactError(f"manifest.{name}", "must be an object of objects")
    return value


def _message(result: Mapping[str, Any]) -> str:
    text = result.get("message")
    text = text.strip() if isinstance(text, str) and text.strip() else result.get("status")
    return str(text)[:MAX_MESSAGE]


def _statuses(builder: _Builder, results: Iterable[Mapping[str, Any]]) -> list[Status]:
    """The latest result of each model and test (later files win), folded per job."""
    latest: dict[str, Mapping[str, Any]] = {}
    for result in results:
        unique_id = result.get("unique_id")
        if isinstance(unique_id, str) and unique_id in builder.all:
            latest[unique_id] = result
    found: dict[Key, list[tuple[str, Mapping[str, Any]]]] = {}
    for unique_id, result in latest.items():
        key = builder.job_of.get(unique_id)
        if key is not None and result.get("status") != "skipped":
            found.setdefault(key, []).append((unique_id, result))
    statuses = []
    for key, items in sorted(found.items()):
        failed = [(u, r) for u, r in sorted(items) if r.get("status") in RUN_FAILED]
        if not failed:
            statuses.append(Status(key, NodeStatus.ok, None))
            continue
        if len(items) == 1:
            message = _message(failed[0][1])
        else:
            message = "; ".join(f"{u.split('.')[2]}: {_message(r)}" for u, r in failed)
        statuses.append(Status(key, NodeStatus.error, message[:MAX_MESSAGE]))
    return statuses


def map_artifacts(
    manifest: Mapping[str, Any],
    run_results: Iterable[Mapping[str, Any]],
    dataset_namespace: str,
    job_namespace: str = DEFAULT_JOB_NAMESPACE,
) -> Mapped:
    """The nodes, edges and statuses of a dbt project's artifacts (see the module docstring)."""
    builder = _Builder(manifest, dataset_namespace, job_namespace)
    mapped = builder.build()
    results: list[Mapping[str, Any]] = []
    for index, artifact in enumerate(run_results):
        items = artifact.get("results")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ArtifactError(f"run_results[{index}].results", "must be a list of objects")
        results.extend(items)
    mapped.statuses = _statuses(builder, results)
    return mapped


def dataset_namespace(adapter: str, host: str, port: int) -> str:
    """dbt-ol's dataset namespace for a host-and-port adapter (``postgres://host:port``)."""
    return f"{adapter}://{host}:{port}"
