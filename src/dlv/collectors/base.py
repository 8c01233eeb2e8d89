"""What every collector shares: the node it collects, what it found, the run's counts.

A collector is a pair: ``read`` (the network part, no DLV transaction open) turns a
connection config into what the system holds (a ``Snapshot`` of relations, or ``Jobs``), and
``apply`` writes the difference into the catalog in the run's one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from dlv.health.connectors import AnyConnection
from dlv.nodes.models import NodeStatus


class CollectFailed(Exception):
    """The collection could not read the system; the message is safe to show."""


@dataclass(frozen=True)
class Target:
    """The node being collected: its keys, its namespace (the jobs' namespace) and config."""

    pk: int
    id: uuid.UUID
    namespace: str
    config: AnyConnection


@dataclass
class Counts:
    discovered: int = 0
    created: int = 0
    updated: int = 0
    gone: int = 0
    pruned: int = 0
    edges_added: int = 0
    edges_removed: int = 0

    def changed(self) -> bool:
        return any(
            (
                self.created,
                self.updated,
                self.gone,
                self.pruned,
                self.edges_added,
                self.edges_removed,
            )
        )


@dataclass(frozen=True)
class Job:
    """A job a scheduler or engine holds (a DAG, a task, a Spark application), as a node.

    ``status`` None: the system says nothing new (a run in progress), the node keeps its own.
    ``summary``: one line of facts DLV rendered (paused, run, attempts, duration), stored as
    the collected object's comment.
    """

    name: str
    kind: str
    parent: str | None = None  # the parent job's name; None: the system node
    status: NodeStatus | None = None
    message: str | None = None
    summary: str = ""
    paused: bool = False


@dataclass(frozen=True)
class Jobs:
    """Every job found; ``complete`` False when a cap cut the listing (nothing is marked
    gone then: what was not read is not known to be gone)."""

    jobs: list[Job] = field(default_factory=list)
    complete: bool = True
    note: str = ""
