"""Prometheus metrics: HTTP traffic, ingestion, checks, the lineage index, the database pool.

Other domains count their events through the objects here, e.g.::

    from dlv.ops import metrics
    metrics.events_ingested.inc()
    metrics.record_check("postgres", "ok", seconds=0.12)

Several worker processes (``dlv serve --workers N``): set ``PROMETHEUS_MULTIPROC_DIR`` to an
directory writable by DLV *before* it starts (``dlv serve`` creates or empties it). Counters and
histograms are then shared through files in it, so any worker's ``/metrics`` answer holds the
totals of all of them. The gauges read at scrape time (lineage index, database pool) describe
the worker that answered; the index is the same in every worker, the pool is per process.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dlv.ops.logging import route_template
from dlv.ops.multiproc import multiprocess_dir

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "<unmatched>"
# Labels must stay a small set: anything a client can invent goes into one bucket.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

if (_shared := multiprocess_dir()) is not None:
    # The metrics below open their files in it as they are created.
    Path(_shared).mkdir(parents=True, exist_ok=True)

# DLV's own metrics live in their own registry: several apps in one process (the tests)
# share them, and nothing else registered in the default registry can collide with them.
REGISTRY = CollectorRegistry(auto_describe=True)

http_requests = Counter(
    "dlv_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
http_request_duration = Histogram(
    "dlv_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
events_ingested = Counter("dlv_ingest_events", "OpenLineage events accepted", registry=REGISTRY)
events_rejected = Counter(
    "dlv_ingest_events_rejected", "OpenLineage events refused as invalid", registry=REGISTRY
)
ingest_nodes_created = Counter(
    "dlv_ingest_nodes_created", "Catalog nodes created by ingestion", registry=REGISTRY
)
ingest_edges_created = Counter(
    "dlv_ingest_edges_created", "Lineage edges created by ingestion", registry=REGISTRY
)
ingest_duplicates = Counter(
    "dlv_ingest_duplicates",
    "OpenLineage run events received again (same run, type, time and text) and dropped",
    registry=REGISTRY,
)
check_results = Counter(
    "dlv_check_results",
    "Connection checks run, by node kind and outcome",
    ["kind", "status"],
    registry=REGISTRY,
)
check_duration = Histogram(
    "dlv_check_duration_seconds",
    "Time a connection check took, by node kind",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=REGISTRY,
)
monitor_checks = Counter(
    "dlv_monitor_checks",
    "Scheduled checks the monitoring loop ran, by result (ok, error, timeout)",
    ["result"],
    registry=REGISTRY,
)
monitor_check_duration = Histogram(
    "dlv_monitor_check_duration_seconds",
    "Time a scheduled check took, from its start to its result stored",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=REGISTRY,
)
monitor_collections = Counter(
    "dlv_monitor_collections",
    "Scheduled collections the monitoring loop ran, by result (ok, error, timeout)",
    ["result"],
    registry=REGISTRY,
)
monitor_collection_duration = Histogram(
    "dlv_monitor_collection_duration_seconds",
    "Time a scheduled collection took, from its start to its run stored",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
monitor_schedule_lag = Histogram(
    "dlv_monitor_schedule_lag_seconds",
    "How long after it was due a scheduled check started",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)

# Process, platform and GC metrics, in a registry of ours: the default one is not ours to fill.
_RUNTIME = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=_RUNTIME)
PlatformCollector(registry=_RUNTIME)
GCCollector(registry=_RUNTIME)


def record_check(kind: str, status: str, seconds: float | None = None) -> None:
    """Count one connection check (``status`` as stored on the node: ok, error, ...)."""
    check_results.labels(kind=kind, status=status).inc()
    if seconds is not None:
        check_duration.labels(kind=kind).observe(seconds)


def _route_label(scope: Scope) -> str:
    # Never the raw path: every distinct URL would become a new time series.
    return route_template(scope) or UNMATCHED


class MetricsMiddleware:
    """Counts and times every HTTP request by route template (not by URL) and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts, the request failed

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            method = scope.get("method", "")
            labels = {
                "method": method if method in _METHODS else "other",
                "route": _route_label(scope),
                "status": str(status),
            }
            http_requests.labels(**labels).inc()
            http_request_duration.labels(**labels).observe(time.perf_counter() - started)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class AppCollector:
    """Gauges read from one app's state at scrape time: lineage index and database pool."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        index = getattr(self.state, "lineage_index", None)
        if index is not None:
            stats = index.stats()
            yield _gauge(
                "dlv_lineage_index_nodes",
                "Node slots in the lineage index (highest node key + 1)",
                stats.nodes,
            )
            yield _gauge("dlv_lineage_index_edges", "Edges in the lineage index", stats.edges)
            yield _gauge(
                "dlv_lineage_index_bytes", "Memory held by the lineage index", stats.nbytes
            )
            yield _gauge(
                "dlv_lineage_index_build_seconds",
                "Time the last full build of the lineage index took",
                stats.build_seconds,
            )
            yield _gauge(
                "dlv_lineage_index_change_seq",
                "Newest graph change applied to the lineage index",
                stats.seq,
            )
        engine = getattr(self.state, "engine", None)
        pool = getattr(engine, "pool", None)
        for name, method, documentation in (
            ("size", "size", "Connections the pool keeps"),
            ("checked_out", "checkedout", "Connections in use"),
            ("checked_in", "checkedin", "Idle connections in the pool"),
            ("overflow", "overflow", "Connections opened beyond the pool size"),
        ):
            reader = getattr(pool, method, None)
            if callable(reader):  # pools without a size (SQLite's StaticPool) have none
                yield _gauge(f"dlv_db_pool_{name}", documentation, float(reader()))


class _Scrape:
    """The collectors of one scrape, chained."""

    def __init__(self, parts: Iterable[Collector]) -> None:
        self.parts = tuple(parts)

    def collect(self) -> Iterator[Metric]:
        for part in self.parts:
            yield from part.collect()


def render(state: Any) -> bytes:
    """The Prometheus text exposition for the app whose state is ``state``."""
    directory = multiprocess_dir()
    parts: list[Collector]
    if directory is not None:
        shared = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(shared, path=directory)  # type: ignore[no-untyped-call]
        # Process metrics of one worker would pass for the whole server's; leave them out.
        parts = [shared, AppCollector(state)]
    else:
        parts = [REGISTRY, _RUNTIME, AppCollector(state)]
    return generate_latest(_Scrape(parts))
