"""Reading data quality facets leniently (pure, no database)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from dlv.quality import facets
from dlv.quality.facets import Assertion


def test_standard_assertions_are_read_with_column_and_severity() -> None:
    found = facets.read(
        {
            "dataQualityAssertions": {
                "assertions": [
                    {"assertion": "not_null", "success": False, "column": "id"},
                    {"assertion": "unique", "success": False, "severity": "WARN"},
                ]
            }
        }
    )
    assert found is not None
    assert found.assertions == (
        Assertion("not_null", "id", False),
        Assertion("unique", None, False, "warn"),
    )
    assert [a.blocking for a in found.assertions] == [True, False]


def test_great_expectations_assertions_name_the_expectation() -> None:
    found = facets.read(
        {
            "greatExpectations_assertions": {
                "assertions": [
                    {
                        "expectationType": "expect_column_values_to_not_be_null",
                        "success": True,
                        "column": "id",
                    }
                ]
            }
        }
    )
    assert found is not None
    assert found.assertions == (Assertion("expect_column_values_to_not_be_null", "id", True),)


def test_metrics_keep_only_counts_and_finite_numbers() -> None:
    found = facets.read(
        {
            "dataQualityMetrics": {
                "rowCount": 10,
                "bytes": True,
                "columnMetrics": {
                    "a": {
                        "nullCount": 1,
                        "distinctCount": -3,
                        "min": math.inf,
                        "max": 4.5,
                        "quantiles": {"0.5": 2, "0.9": "x"},
                        "extra": 1,
                    },
                    "b": "nonsense",
                },
            }
        }
    )
    assert found is not None
    assert found.metrics is not None
    assert found.metrics.row_count == 10
    assert found.metrics.bytes is None
    assert found.metrics.columns == {"a": {"nullCount": 1, "max": 4.5, "quantiles": {"0.5": 2}}}


@pytest.mark.parametrize(
    "input_facets",
    [
        None,
        [],
        {"dataQualityAssertions": "x"},
        {"dataQualityAssertions": {"assertions": [{"assertion": "a", "success": "no"}]}},
        {"dataQualityAssertions": {"assertions": [{"assertion": "a\u0000", "success": True}]}},
        {"dataQualityMetrics": {"rowCount": -1, "columnMetrics": []}},
        {"somethingElse": {}},
    ],
)
def test_what_cannot_be_used_is_no_quality(input_facets: Any) -> None:
    assert facets.read(input_facets) is None
