"""A small, realistic example platform, so a new user sees lineage and impact at once.

A PostgreSQL shop database (raw -> staging -> mart), an Airflow deployment whose DAG tasks
move the data, and a Spark job that builds ML features from the marts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dlv.auth.principal import SYSTEM
from dlv.crypto import SecretBox
from dlv.lineage import service as lineage_service
from dlv.lineage.schemas import EdgeCreate
from dlv.nodes import repository as nodes_repository
from dlv.nodes import service as nodes_service
from dlv.nodes.schemas import NodeCreate

PG_NS = "postgres://shop-db.internal:5432"
AIRFLOW_NS = "prod_airflow"
SPARK_NS = "spark://spark-history.internal:18080"
DAG = "orders_pipeline"

SYSTEMS: list[dict[str, Any]] = [
    {
        "kind": "postgres",
        "namespace": PG_NS,
        "name": "shop",
        "owner": "data-platform",
        "description": "Production shop database (read replica)",
        "tags": ["prod", "pii"],
        "connection": {
            "host": "shop-db.internal",
            "port": 5432,
            "database": "shop",
            "user": "dlv_reader",
        },
    },
    {
        "kind": "airflow",
        "namespace": "airflow://airflow.internal",
        "name": AIRFLOW_NS,
        "owner": "data-platform",
        "tags": ["prod"],
        "connection": {"base_url": "https://airflow.internal", "api_version": 2},
    },
    {
        "kind": "spark",
        "namespace": SPARK_NS,
        "name": "spark-history",
        "owner": "ml-platform",
        "connection": {"url": "http://spark-history.internal:18080"},
    },
]
TABLES = {  # name -> (owner, tags, description)
    "shop.raw.orders": ("checkout-team", ["raw"], "Orders as written by the checkout service"),
    "shop.raw.customers": ("accounts-team", ["raw", "pii"], "Customer accounts"),
    "shop.raw.payments": ("payments-team", ["raw"], "Payment provider callbacks"),
    "shop.staging.stg_orders": ("analytics", ["staging"], "Deduplicated orders"),
    "shop.staging.stg_customers": ("analytics", ["staging", "pii"], "Cleaned customers"),
    "shop.staging.stg_payments": ("analytics", ["staging"], "Settled payments"),
    "shop.mart.fct_revenue": ("finance-analytics", ["mart", "gold"], "Daily revenue by market"),
    "shop.mart.dim_customers": ("analytics", ["mart", "gold", "pii"], "Customer dimension"),
}
TASKS = {  # task -> (inputs, outputs)
    "stage_orders": (["shop.raw.orders"], ["shop.staging.stg_orders"]),
    "stage_customers": (["shop.raw.customers"], ["shop.staging.stg_customers"]),
    "stage_payments": (["shop.raw.payments"], ["shop.staging.stg_payments"]),
    "build_revenue": (
        ["shop.staging.stg_orders", "shop.staging.stg_payments"],
        ["shop.mart.fct_revenue"],
    ),
    "build_customers": (
        ["shop.staging.stg_customers", "shop.staging.stg_orders"],
        ["shop.mart.dim_customers"],
    ),
}
FEATURES = ("s3://lake", "features/customer_ltv")
NOTE = "Finance reads this at 06:00 UTC for the revenue dashboard; page #data-oncall if late."


def load(session: Session, box: SecretBox) -> bool:
    """Create the example platform; False (and nothing done) if it is already there."""
    if nodes_repository.get_by_key(session, PG_NS, "shop") is not None:
        return False
    ids = {}
    for body in SYSTEMS:
        # Its hosts do not exist: the monitoring loop would only turn them red. A check on
        # request still shows what a failing one looks like.
        manual = {**body, "check_interval_seconds": None}
        ids[body["name"]] = nodes_service.create(
            session, SYSTEM, box, NodeCreate.model_validate(manual)
        ).id

    def node(key: str, **body: Any) -> None:
        ids[key] = nodes_service.create(session, SYSTEM, box, NodeCreate.model_validate(body)).id

    for name, (owner, tags, description) in TABLES.items():
        node(
            name,
            kind="dataset",
            namespace=PG_NS,
            name=name,
            owner=owner,
            tags=tags,
            description=description,
            parent_id=ids["shop"],
        )
    node(
        DAG,
        kind="job",
        namespace=AIRFLOW_NS,
        name=DAG,
        owner="data-platform",
        parent_id=ids[AIRFLOW_NS],
        description="Hourly: raw -> staging -> marts",
    )
    for task in TASKS:
        node(
            task,
            kind="job",
            namespace=AIRFLOW_NS,
            name=f"{DAG}.{task}",
            owner="analytics",
            parent_id=ids[DAG],
        )
    node(
        "features",
        kind="dataset",
        namespace=FEATURES[0],
        name=FEATURES[1],
        owner="ml-platform",
        tags=["ml"],
    )
    node(
        "ltv",
        kind="job",
        namespace="spark",
        name="daily_ml_features.customer_ltv",
        owner="ml-platform",
        parent_id=ids["spark-history"],
    )
    flows = [(i, t) for t, (ins, _) in TASKS.items() for i in ins]
    flows += [(t, o) for t, (_, outs) in TASKS.items() for o in outs]
    flows += [
        ("shop.mart.fct_revenue", "ltv"),
        ("shop.mart.dim_customers", "ltv"),
        ("ltv", "features"),
    ]
    for source, target in flows:
        lineage_service.create(
            session, SYSTEM, EdgeCreate(source_id=ids[source], target_id=ids[target])
        )
    nodes_service.add_annotation(session, SYSTEM, ids["shop.mart.fct_revenue"], NOTE)
    return True
