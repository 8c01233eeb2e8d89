"""Data quality facets of an input dataset, read leniently: pure functions, no I/O.

OpenLineage puts them in ``inputs[].inputFacets`` (the spec's
``DataQualityAssertionsDatasetFacet`` and ``DataQualityMetricsInputDatasetFacet``);
openlineage-dbt also copies its assertions into ``facets`` ("remove next release"), which the
event model drops, and Great Expectations' action adds ``greatExpectations_assertions``
(``expectationType`` instead of ``assertion``). Like the tags facet, what DLV cannot use is
skipped, never refused: a malformed facet costs the event nothing but its quality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# The input facets read here; an input with none of them costs the mapping one set check.
FACETS = frozenset(("dataQualityAssertions", "greatExpectations_assertions", "dataQualityMetrics"))
MAX_ASSERTIONS = 500
MAX_COLUMNS = 500
MAX_TEXT = 200
MAX_QUANTILES = 50
# What each column metric may hold; anything else in the facet stays in the raw event only.
_COUNTS = ("nullCount", "distinctCount", "count")
_NUMBERS = ("sum", "min", "max")


@dataclass(frozen=True, slots=True)
class Assertion:
    assertion: str
    column: str | None
    success: bool
    severity: str | None = None

    @property
    def blocking(self) -> bool:
        """A failure that fails the data: dbt's ``warn`` severity only warns (as dbt does)."""
        return not self.success and self.severity != "warn"

    def as_json(self) -> dict[str, Any]:
        return {
            "assertion": self.assertion,
            "column": self.column,
            "success": self.success,
            "severity": self.severity,
        }


@dataclass(frozen=True, slots=True)
class Metrics:
    row_count: int | None
    bytes: int | None
    columns: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Quality:
    """What one input dataset's facets say about its quality (either part may be absent)."""

    assertions: tuple[Assertion, ...] | None
    metrics: Metrics | None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        if 0 < len(text) <= MAX_TEXT and text.isprintable():
            return text
    return None


def _count(value: Any) -> int | None:
    # bool is an int in Python, never a count; a count past bigint is no count either.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    return None


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if abs(value) < 2**63 else float(value)


def _assertions(facet: Any, name_key: str) -> list[Assertion] | None:
    items = facet.get("assertions") if isinstance(facet, dict) else None
    if not isinstance(items, list):
        return None
    found: list[Assertion] = []
    for item in items[:MAX_ASSERTIONS]:
        if not isinstance(item, dict) or not isinstance(item.get("success"), bool):
            continue
        name = _text(item.get(name_key))
        if name is None:
            continue
        severity = _text(item.get("severity"))
        found.append(
            Assertion(
                name,
                _text(item.get("column")),
                item["success"],
                severity.lower() if severity else None,
            )
        )
    return found


def _column(metric: Any) -> dict[str, Any] | None:
    if not isinstance(metric, dict):
        return None
    kept: dict[str, Any] = {}
    for key in _COUNTS:
        count = _count(metric.get(key))
        if count is not None:
            kept[key] = count
    for key in _NUMBERS:
        number = _number(metric.get(key))
        if number is not None:
            kept[key] = number
    quantiles = metric.get("quantiles")
    if isinstance(quantiles, dict):
        kept_q = {}
        for q, raw in list(quantiles.items())[:MAX_QUANTILES]:
            value = _number(raw)
            if value is not None:
                kept_q[str(q)[:16]] = value
        if kept_q:
            kept["quantiles"] = kept_q
    return kept or None


def _metrics(facet: Any) -> Metrics | None:
    if not isinstance(facet, dict):
        return None
    columns: dict[str, dict[str, Any]] = {}
    raw = facet.get("columnMetrics")
    if isinstance(raw, dict):
        for name, metric in list(raw.items())[:MAX_COLUMNS]:
            column, kept = _text(name), _column(metric)
            if column is not None and kept is not None:
                columns[column] = kept
    row_count, size = _count(facet.get("rowCount")), _count(facet.get("bytes"))
    if row_count is None and size is None and not columns:
        return None
    return Metrics(row_count, size, columns)


def read(input_facets: Any) -> Quality | None:
    """The quality an input dataset's ``inputFacets`` report, or None (no usable facet)."""
    if not isinstance(input_facets, dict):
        return None
    standard = input_facets.get("dataQualityAssertions")
    found = _assertions(standard, "assertion") if standard is not None else None
    expectations = input_facets.get("greatExpectations_assertions")
    if expectations is not None:
        extra = _assertions(expectations, "expectationType")
        if extra is not None:
            # GE's action sends no standard assertions facet; if one comes, it wins.
            found = found if found is not None else extra
    metrics_facet = input_facets.get("dataQualityMetrics")
    metrics = _metrics(metrics_facet) if metrics_facet is not None else None
    if not found and metrics is None:
        return None
    return Quality(tuple(found) if found else None, metrics)
