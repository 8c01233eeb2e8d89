"""Real Airflow events, replayed without Airflow: the recordings of
tests/ingestion/test_airflow_lineage.py (see tests/ingestion/airflow_fixtures.py)."""

from __future__ import annotations

from tests.ingestion import airflow_fixtures
from tests.ingestion.conftest import Poster


def test_a_replayed_airflow_run_leaves_the_failed_task_in_error(poster: Poster) -> None:
    shop = airflow_fixtures.load("shop_etl")
    poster.post(*shop.events)
    task = poster.node(*shop.job("shop_etl.build_report"))
    assert task["status"] == "error"
    assert 'relation "staging.missing_table" does not exist' in task["status_message"]
