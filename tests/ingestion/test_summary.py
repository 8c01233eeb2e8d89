"""The periodic OpenLineage summary line (the server's loop is tested in tests/ops)."""

from __future__ import annotations

import logging

import pytest

from dlv.ingestion.summary import MAX_NAMESPACES, IngestSummary


def test_the_busiest_three_namespaces_are_named_and_the_others_counted() -> None:
    summary = IngestSummary()
    summary.accepted(["quiet", *["spark"] * 3, *["airflow"] * 5, "batch", "batch"])
    window = summary.take()
    assert window.line(window.started + 60) == (
        "openlineage: 11 events in the last 60 s from 4 namespaces "
        "(airflow, spark, batch, ...), 0 refused, 0 mapping failures"
    )


def test_namespaces_past_the_bound_are_counted_as_more() -> None:
    summary = IngestSummary()
    summary.accepted(f"ns-{i}" for i in range(MAX_NAMESPACES + 5))
    window = summary.take()
    assert window.accepted == MAX_NAMESPACES + 5
    assert f" from {MAX_NAMESPACES:,}+ namespaces " in window.line(window.started)


def test_an_interval_with_only_refused_events_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    summary = IngestSummary()
    summary.refused(2)
    with caplog.at_level(logging.INFO, logger="dlv.ingestion"):
        summary.log()
    (record,) = caplog.records
    assert " 0 events " in record.getMessage()
    assert ", 2 refused, " in record.getMessage()


def test_an_empty_interval_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dlv.ingestion"):
        IngestSummary().log()
    assert caplog.records == []
