"""Named leases: which process leads a loop that must run in one process at a time (the
monitoring loop's scheduler, the SLA evaluator). One ``monitor_leases`` row per name; the holder
renews it before it expires, and a process that finds it expired takes it over.

The caller's session, no commits: the row stays locked until the caller commits, so what the
leader does in that transaction is done by one process."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dlv.db import insert_first
from dlv.monitor import repository
from dlv.monitor.models import MonitorLease

log = logging.getLogger("dlv.monitor")


def holder_name() -> str:
    """This process's name in a lease: readable, and unique even across restarts."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(3)}"


def hold(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease ``name``; False while another live process holds it."""
    lease = repository.lock_lease(session, name)
    if lease is None:
        fresh = MonitorLease(name=name, holder=holder, since=now, expires_at=now + ttl)
        return insert_first(session, fresh)
    if lease.holder != holder:
        if lease.expires_at > now:
            return False
        log.info("%s takes the %s lease from %s", holder, name, lease.holder)
        lease.holder, lease.since = holder, now
    lease.expires_at = now + ttl
    session.flush()
    return True


def release(session: Session, name: str, holder: str, now: datetime) -> None:
    """Let another process lead at once (a clean shutdown)."""
    lease = repository.lock_lease(session, name)
    if lease is not None and lease.holder == holder:
        lease.expires_at = now
        session.flush()
