"""The one masking policy (dlv.ops.secrets): which names and texts are secret, which are not,
and that its first look (``maybe_secret``) never misses what the masking would change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlv.ops.secrets import is_secret_name, mask, maybe_secret, scrub
from tests.ingestion.factories import orders_task, run_id, spark_action


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "DB_PASSWORD",
        "passwd",
        "pwd",
        "client_secret",
        "clientSecret",
        "sasToken",
        "aws_secret_access_key",
        "aws_access_key_id",
        "accessKey",
        "api_key",
        "X-Api-Key",
        "private_key",
        "credentials",
        "spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net",
        "spark.hadoop.fs.s3a.access.key",
        "ssl.key.password",
        "fs.gs.auth.service.account.private.key",
        # "pass" as a word of its own
        "DB_PASS",
        "MYSQL_PASS",
        "smtp.pass",
        "pass",
        "dbPass",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "key",  # the name field of {"key": ..., "value": ...} (tags, properties)
        "value",
        "team",
        "primary_key",
        "customer_key",
        "key.serializer",
        "spark.master",
        "keyspace",
        "monkey",
        # "pass" inside another word
        "passenger_count",
        "PASSENGERS",
        "bypass",
        "compass",
        "tests_passed",
    ],
)
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("jdbc:oracle:thin:scott/tiger@//db:1521/svc", "jdbc:oracle:thin:scott/***@//db:1521/svc"),
        ("jdbc:oracle:thin:scott/tiger@db:1521:orcl", "jdbc:oracle:thin:scott/***@db:1521:orcl"),
        ("postgres://etl:pa/ss@db:5432/shop", "postgres://etl:***@db:5432/shop"),
        # An unencoded "@" in a password: masked to the host's "@", no tail left showing.
        ("postgres://etl:p@ss@db:5432/shop", "postgres://etl:***@db:5432/shop"),
        ("jdbc:oracle:thin:scott/ti@ger@//db:1521/svc", "jdbc:oracle:thin:scott/***@//db:1521/svc"),
        ("CREATE USER bob WITH PASSWORD 'hunter2'", "CREATE USER bob WITH PASSWORD '***'"),
        ("ALTER USER bob IDENTIFIED BY hunter2;", "ALTER USER bob IDENTIFIED BY ***;"),
        ("CREATE USER bob IDENTIFIED BY 'it''s me'", "CREATE USER bob IDENTIFIED BY '***'"),
        (
            "CREATE USER 'u'@'%' IDENTIFIED WITH mysql_native_password BY 'hunter2'",
            "CREATE USER 'u'@'%' IDENTIFIED WITH mysql_native_password BY '***'",
        ),
        (
            "COPY t FROM 's3://b/k' CREDENTIALS 'aws_access_key_id=AKIA1;aws_secret_access_key=x'",
            "COPY t FROM 's3://b/k' CREDENTIALS '***'",
        ),
        (
            "COPY INTO t FROM @s CREDENTIALS = (AWS_KEY_ID = 'AKIA1' AWS_SECRET_KEY = 'x')",
            "COPY INTO t FROM @s CREDENTIALS = (***)",
        ),
        (
            "COPY t FROM 's3://b' ACCESS_KEY_ID 'AKIA1' SECRET_ACCESS_KEY 'x' SESSION_TOKEN 'y'",
            "COPY t FROM 's3://b' ACCESS_KEY_ID '***' SECRET_ACCESS_KEY '***' SESSION_TOKEN '***'",
        ),
        (
            "SELECT * FROM read_csv('s3://b/x', aws_secret_access_key='x')",
            "SELECT * FROM read_csv('s3://b/x', aws_secret_access_key='***')",
        ),
        (
            "SELECT * FROM dblink('host=db user=etl password=hunter2', 'SELECT 1')",
            "SELECT * FROM dblink('host=db user=etl password=***', 'SELECT 1')",
        ),
        ("OPTIONS (host 'db', password 'hunter2')", "OPTIONS (host 'db', password '***')"),
        ("DB_PASS=hunter2 DB_USER=etl", "DB_PASS=*** DB_USER=etl"),
        ("export MYSQL_PASS='s3cr3t' && run", "export MYSQL_PASS='***' && run"),
        ('{"smtpPass": "hunter2"}', '{"smtpPass": "***"}'),
        (
            "spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net=hunter2",
            "spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net=***",
        ),
        (
            "https://acct.blob.core.windows.net/c/f?sv=2022&sig=abcDEF%3D&se=x",
            "https://acct.blob.core.windows.net/c/f?sv=2022&sig=***&se=x",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----",
        ),
    ],
)
def test_scrub_masks_secrets_in_connection_strings_and_sql(raw: str, clean: str) -> None:
    assert scrub(raw) == clean


@pytest.mark.parametrize(
    "harmless",
    [
        "INSERT INTO analytics.daily_orders SELECT region, sum(amount) FROM orders",
        "SELECT a.customer_key FROM a JOIN b ON a.customer_key = b.customer_key",
        "Basic reporting of the day's orders",
        "s3://bucket/raw/clicks@v1",
        "postgres://db.internal:5432",
        "team:orders@example.com",
        "3 checks passed=3, bypass=1, compass=north, passengers=12",
    ],
)
def test_scrub_leaves_ordinary_text_and_sql_alone(harmless: str) -> None:
    assert scrub(harmless) == harmless


def test_scrub_is_idempotent() -> None:
    text = "CREATE USER u PASSWORD 'x'; -- jdbc:oracle:thin:u/p@db, postgres://u:p@db?token=t"
    assert scrub(scrub(text)) == scrub(text)


def test_a_tag_named_key_is_kept_and_its_value_judged_by_the_name_it_carries() -> None:
    tags = {
        "tags": [
            {"key": "team", "value": "sales", "source": "DAG"},
            {"key": "spark.hadoop.fs.azure.account.key.acct", "value": "hunter2"},
            {"name": "DB_PASSWORD", "value": "hunter2"},
        ]
    }
    assert mask(tags) == {
        "tags": [
            {"key": "team", "value": "sales", "source": "DAG"},
            {"key": "spark.hadoop.fs.azure.account.key.acct", "value": "***"},
            {"name": "DB_PASSWORD", "value": "***"},
        ]
    }


def test_a_secret_named_field_is_masked_whatever_it_holds() -> None:
    data = {"password": {"from": "a", "to": "b"}, "tokens": ["x"], "api_key": 1234, "pwd": None}
    assert mask(data) == {"password": "***", "tokens": "***", "api_key": "***", "pwd": None}


def test_column_lineage_of_a_secret_looking_column_is_kept() -> None:
    inputs = [{"namespace": "postgres://db:5432", "name": "shop.users", "field": "password_hash"}]
    facet = {"columnLineage": {"fields": {"password_hash": {"inputFields": inputs}}}}
    assert mask(facet) == facet


@pytest.mark.parametrize(
    "event",
    [
        orders_task("COMPLETE", run=run_id(), dag_run=run_id()),
        spark_action("FAIL", run=run_id(), app_run=run_id(), error="OOM in stage 3"),
    ],
)
def test_a_usual_event_needs_no_masking(event: dict[str, Any]) -> None:
    # The cheap first look is what keeps masking off the usual event's path.
    assert not maybe_secret(json.dumps(event))


# Secrets the masking finds, in any letter case, anywhere in a JSON event.
_SECRETS = st.sampled_from(
    [
        ('{"props": {"%s": "hunter2"}}', "spark.hadoop.fs.s3a.secret.key"),
        ('{"props": {"%s": "hunter2"}}', "password"),
        ('{"tags": [{"key": "%s", "value": "hunter2"}]}', "fs.azure.account.key.acct"),
        ('{"sql": "%s \'hunter2\'"}', "CREATE USER u PASSWORD"),
        ('{"url": "%s"}', "postgres://u:hunter2@db"),
        ('{"url": "%s"}', "jdbc:oracle:thin:u/hunter2@db:1521:x"),
        ('{"url": "%s"}', "jdbc:mysql://db/x?user=u&password=hunter2"),
        ('{"auth": "%s hunter2"}', "bearer"),
        ('{"env": {"%s": "hunter2"}}', "DB_PASS"),
        ('{"cmd": "%s=hunter2 run"}', "DB_PASS"),
    ]
)


@given(_SECRETS, st.lists(st.booleans(), min_size=64, max_size=64))
def test_maybe_secret_never_misses_a_secret_in_any_letter_case(
    template: tuple[str, str], upper: list[bool]
) -> None:
    shape, secret = template
    cased = "".join(c.upper() if u else c for c, u in zip(secret, upper, strict=False))
    text = shape % cased
    assert maybe_secret(text)
    assert "hunter2" not in json.dumps(mask(json.loads(text))).lower()


@pytest.mark.parametrize(
    "text",
    [
        '{"props": {"pass\\u0077ord": "hunter2"}}',  # an escaped letter
        '{"props": {"fs.azure.account.\\u212aey": "hunter2"}}',  # the Kelvin sign lowers to k
        '{"url": "postgres:\\/\\/u:hunter2@db"}',  # escaped slashes
    ],
)
def test_maybe_secret_sees_through_json_escapes(text: str) -> None:
    assert maybe_secret(text)
    assert "hunter2" not in json.dumps(mask(json.loads(text)))


@pytest.mark.parametrize(
    "text",
    ["password=x " * 5000, "Basic dXNlcjpwYXNz " * 5000, "x://u:p@h " * 5000],
    ids=["names", "basic", "urls"],
)
def test_a_text_made_of_secrets_is_masked_whole(text: str) -> None:
    # Each secret is looked at once; past 4096 of a kind, the text is one (time is bounded).
    assert scrub(text) == "***"


def test_a_long_text_with_a_few_secrets_keeps_the_rest() -> None:
    text = "ab." * 100_000 + " token=hunter2 " + "a" * 100_000
    assert scrub(text) == "ab." * 100_000 + " token=*** " + "a" * 100_000
