"""Settings, read from the environment (prefix ``DLV_``) and an optional ``.env`` file."""

from __future__ import annotations

import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dlv.files import create_private, private_dir
from dlv.health.network import DEFAULT_KEYWORD, NetworkPolicy

log = logging.getLogger("dlv.config")

SECRET_KEY_FILE = "secret_key"
DATABASE_FILE = "dlv.db"  # in DLV_HOME, when DLV_DATABASE_URL is not set
MIN_SECRET_KEY_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 16


class Settings(BaseSettings):
    """Every setting DLV reads; the README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(env_prefix="DLV_", env_file=".env", extra="ignore")

    home: Path = Path(".dlv")
    database_url: str | None = None
    secret_key: SecretStr | None = None
    bootstrap_admin_password: SecretStr | None = None
    access_token_minutes: int = Field(default=60, ge=1, le=60 * 24 * 30)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    keepalive_requests: int = Field(default=25, ge=0)
    import_max_bytes: int = Field(default=2 * 1024 * 1024 * 1024, ge=1024)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=300, ge=1)
    login_user_max_failures: int = Field(default=50, ge=1)
    log_format: Literal["human", "json"] = "human"
    log_level: str = "INFO"
    runs_retention_days: int = Field(default=30, ge=1)
    runs_prune_interval_seconds: int = Field(default=3600, ge=1)
    ingest_mapping: Literal["inline", "background"] = "inline"
    ingest_summary_seconds: float = Field(default=60, ge=0)
    # Store OpenLineage events as sent, secrets included (the catalog and answers stay masked).
    ingest_store_raw_secrets: bool = False
    metrics: Literal["off", "open", "token"] = "off"
    metrics_token: SecretStr | None = None
    # Where a connection test may go (dlv.health.network): comma-separated CIDRs and hosts.
    check_allow: str = ""
    check_deny: str = DEFAULT_KEYWORD
    # The monitoring loop (dlv.monitor): scheduled connection checks of every system node.
    # celery: the scheduler enqueues due work on Redis and `dlv worker` processes run it.
    monitor: Literal["embedded", "celery", "off"] = "embedded"
    monitor_concurrency: int = Field(default=64, ge=1, le=256)
    monitor_check_timeout_seconds: float = Field(default=60, gt=0)
    # A scheduled collection (after an ok check, on nodes with collect_on_schedule).
    monitor_collect_timeout_seconds: float = Field(default=300, gt=0)
    # Celery mode: the broker, the queue's name (its keys' prefix too), and how many tasks may
    # be enqueued and unfinished at once (a slow or stopped fleet of workers piles up nothing).
    redis_url: str | None = None
    monitor_queue: str = Field(default="dlv-monitor", pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    monitor_max_outstanding: int = Field(default=1000, ge=1, le=100_000)
    monitor_lease_seconds: float = Field(default=15, ge=0.5)
    monitor_jitter: float = Field(default=0.1, ge=0, le=0.5)
    # 30 in production; tests lower it to watch a node change within seconds.
    monitor_min_interval_seconds: int = Field(default=30, ge=1)
    # The SLA evaluator (dlv.sla): a round every few seconds, in the one process holding its lease.
    sla: Literal["embedded", "off"] = "embedded"
    sla_interval_seconds: float = Field(default=5, ge=0.1, le=300)
    # The real-time stream (dlv.events): how long events are kept for clients that resume,
    # how often each process polls for new ones, and how it treats clients.
    events_retention_hours: float = Field(default=24, ge=1)
    stream_poll_seconds: float = Field(default=0.2, gt=0, le=10)
    stream_auth_timeout_seconds: float = Field(default=5, gt=0, le=60)
    stream_queue_size: int = Field(default=2000, ge=10)
    # A missing id older than this is a rolled-back transaction, not one still committing.
    stream_gap_grace_seconds: float = Field(default=5, ge=0)
    stream_auth_recheck_seconds: float = Field(default=60, gt=0)
    # Where people open DLV's web UI (e.g. https://dlv.example.com): alerts link to it.
    public_url: str | None = None
    # Alert delivery (dlv.alerts): a worker per server process sends what rules queued.
    alerts: Literal["embedded", "off"] = "embedded"
    alerts_poll_seconds: float = Field(default=2, gt=0)
    alerts_send_timeout_seconds: float = Field(default=10, gt=0, le=120)
    alerts_max_attempts: int = Field(default=8, ge=1, le=50)
    alerts_backoff_seconds: float = Field(default=30, gt=0)
    alerts_backoff_max_seconds: float = Field(default=3600, gt=0)
    alerts_concurrency: int = Field(default=8, ge=1, le=64)
    # The built web UI (dlv.ui); unset: ui/dist of the source checkout DLV runs from.
    ui_dir: Path | None = None

    @model_validator(mode="after")
    def _check_lists_parse(self) -> Settings:
        NetworkPolicy.parse(self.check_allow, self.check_deny)  # ValueError names the entry
        return self

    @model_validator(mode="after")
    def _celery_needs_redis_and_postgres(self) -> Settings:
        if self.monitor != "celery":
            return self
        if not self.redis_url:
            msg = "DLV_MONITOR=celery needs DLV_REDIS_URL (e.g. redis://127.0.0.1:6379/0)"
            raise ValueError(msg)
        if not (self.database_url or "sqlite").startswith("postgresql"):
            # Workers run on other hosts and many at once: a SQLite file is neither shared
            # across hosts nor made for many writing processes.
            msg = (
                "DLV_MONITOR=celery needs PostgreSQL (DLV_DATABASE_URL=postgresql+psycopg://...): "
                "worker processes cannot share a SQLite database; use DLV_MONITOR=embedded"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _metrics_token_required(self) -> Settings:
        token = self.metrics_token.get_secret_value() if self.metrics_token else ""
        if self.metrics == "token" and len(token) < MIN_METRICS_TOKEN_LENGTH:
            msg = (
                f"DLV_METRICS=token needs DLV_METRICS_TOKEN "
                f"({MIN_METRICS_TOKEN_LENGTH}+ characters)"
            )
            raise ValueError(msg)
        return self

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file inside ``home``."""
        if self.database_url:
            return self.database_url
        private_dir(self.home)
        return f"sqlite:///{(self.home / DATABASE_FILE).resolve()}"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated on first use and kept in ``home`` (mode 0600)."""
        # An empty DLV_SECRET_KEY (as left by .env.example) means "not set".
        if self.secret_key is not None and self.secret_key.get_secret_value():
            value = self.secret_key.get_secret_value()
            if len(value) < MIN_SECRET_KEY_LENGTH:
                msg = f"DLV_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters"
                raise ValueError(msg)
            return value
        path = self.home / SECRET_KEY_FILE
        if path.exists():
            return path.read_text().strip()
        private_dir(self.home)
        value = secrets.token_urlsafe(48)
        # O_EXCL: two processes starting at once must not both write different keys.
        try:
            fd = create_private(path)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(value)
        log.warning(
            "DLV_SECRET_KEY is not set: generated one and stored it in %s (mode 0600). "
            "Back it up: encrypted connection secrets cannot be read without it.",
            path,
        )
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
