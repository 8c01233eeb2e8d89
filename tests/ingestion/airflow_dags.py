"""The DAGs a real Airflow runs in tests/ingestion/test_airflow_lineage.py, and the PostgreSQL
database they run on; the events they sent are kept in tests/ingestion/fixtures/airflow/.

``shop_etl``: raw.orders -> load_orders -> staging.orders -> build_revenue -> mart.revenue, and
build_report, whose SQL reads a table that does not exist, fails. The DAG has tags and two
owners; build_report has an owner of its own.

``changing_sql``: one task, refresh, whose SQL reads the table named by the ``source`` param
(given at trigger time: raw.table_a, then raw.table_b) into mart.table_c.
"""

from __future__ import annotations

CONNECTION = "shop_pg"

# Run before the DAGs: the source tables (the system the pipeline reads from) and the tables
# the tasks write into without creating them.
SETUP_SQL = [
    "CREATE SCHEMA raw",
    "CREATE SCHEMA mart",
    "CREATE TABLE raw.orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric)",
    "INSERT INTO raw.orders VALUES (1, 'ann', 10), (2, 'ann', 5), (3, 'ben', 7), (4, 'ben', -1)",
    "CREATE TABLE mart.report (customer text, total numeric)",
    "CREATE TABLE raw.table_a (id int, value text)",
    "CREATE TABLE raw.table_b (id int, value text)",
    "INSERT INTO raw.table_a VALUES (1, 'from a')",
    "INSERT INTO raw.table_b VALUES (2, 'from b')",
    "CREATE TABLE mart.table_c (id int, value text)",
]

SHOP_ETL = f'''
from datetime import datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG

with DAG(
    dag_id="shop_etl",
    description="Orders into revenue, and a report",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["finance", "team:data"],
    default_args={{"owner": "alice,bob", "retries": 0}},
):
    load_orders = SQLExecuteQueryOperator(
        task_id="load_orders",
        conn_id="{CONNECTION}",
        sql=[
            "CREATE SCHEMA IF NOT EXISTS staging",
            "DROP TABLE IF EXISTS staging.orders",
            "CREATE TABLE staging.orders AS"
            " SELECT id, customer, amount FROM raw.orders WHERE amount > 0",
        ],
    )
    build_revenue = SQLExecuteQueryOperator(
        task_id="build_revenue",
        conn_id="{CONNECTION}",
        sql=[
            "CREATE TABLE IF NOT EXISTS mart.revenue (customer text, total numeric)",
            "DELETE FROM mart.revenue",
            "INSERT INTO mart.revenue (customer, total)"
            " SELECT customer, sum(amount) FROM staging.orders GROUP BY customer",
        ],
    )
    build_report = SQLExecuteQueryOperator(
        task_id="build_report",
        conn_id="{CONNECTION}",
        owner="carol",
        sql="INSERT INTO mart.report (customer, total)"
        " SELECT customer, total FROM staging.missing_table",
    )
    load_orders >> build_revenue >> build_report
'''

CHANGING_SQL = f'''
from datetime import datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG, Param

with DAG(
    dag_id="changing_sql",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={{"source": Param("raw.table_a", type="string")}},
    default_args={{"owner": "dana", "retries": 0}},
):
    SQLExecuteQueryOperator(
        task_id="refresh",
        conn_id="{CONNECTION}",
        sql="INSERT INTO mart.table_c (id, value) SELECT id, value FROM {{{{ params.source }}}}",
    )
'''

SOURCES = {"shop_etl.py": SHOP_ETL, "changing_sql.py": CHANGING_SQL}
TASKS = {"shop_etl": ("load_orders", "build_revenue", "build_report"), "changing_sql": ("refresh",)}
