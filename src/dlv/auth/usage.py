"""When each API token was last used, recorded without a database write per request.

Every authenticated request notes its token here (a dict update); a loop in each server
process writes what it noted once a minute, one UPDATE per token used. A token is noted at
most once a minute per process, so an event stream costs nothing more than before, and a
GET (served from a read-only session) still records its use. ``last_used_at`` is therefore
exact to within about two minutes, which is what it is for: telling a token in use from a
forgotten one before revoking it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from dlv.auth import repository
from dlv.auth.principal import Principal
from dlv.db import every, utcnow

log = logging.getLogger("dlv.auth")

RESOLUTION = timedelta(minutes=1)
FLUSH_SECONDS = 60.0


class TokenUsage:
    """One per server process: the tokens used since the last write, and when each was last
    noted (so that a token is noted once per ``resolution``)."""

    def __init__(self, resolution: timedelta = RESOLUTION) -> None:
        self._resolution = resolution
        self._lock = threading.Lock()
        self._pending: dict[uuid.UUID, datetime] = {}
        self._noted: dict[uuid.UUID, datetime] = {}

    def seen(self, principal: Principal, now: datetime | None = None) -> None:
        """Note a request authenticated by ``principal`` (only API tokens are recorded)."""
        if principal.kind != "token":
            return
        now = now or utcnow()
        with self._lock:
            noted = self._noted.get(principal.id)
            if noted is not None and now - noted < self._resolution:
                return
            self._noted[principal.id] = now
            self._pending[principal.id] = now

    def waiting(self) -> dict[uuid.UUID, datetime]:
        """What the next flush writes: token id -> its latest noted use."""
        with self._lock:
            return dict(self._pending)

    def flush(self, factory: sessionmaker[Session]) -> int:
        """Write what was noted since the last flush, in one transaction; how many tokens."""
        with self._lock:
            pending, self._pending = self._pending, {}
            # Forget what is past the resolution: the map stays as small as the tokens in use.
            horizon = utcnow() - self._resolution
            self._noted = {k: v for k, v in self._noted.items() if v >= horizon}
        if not pending:
            return 0
        try:
            with factory.begin() as session:
                repository.mark_tokens_used(session, pending)
        except Exception:
            with self._lock:  # tried again at the next flush, unless a newer use replaced it
                for token_id, at in pending.items():
                    self._pending.setdefault(token_id, at)
            raise
        return len(pending)

    @contextlib.asynccontextmanager
    async def recording(
        self, factory: sessionmaker[Session], interval: float = FLUSH_SECONDS
    ) -> AsyncIterator[None]:
        """Flush every ``interval`` seconds while the server runs, and once more as it stops."""
        try:
            async with every(interval, partial(self._flush_logged, factory), "dlv-token-usage"):
                yield
        finally:
            self._flush_logged(factory)

    def _flush_logged(self, factory: sessionmaker[Session]) -> None:
        try:
            self.flush(factory)
        except Exception:  # the database may be back next time; the uses are kept till then
            log.exception("recording API token use failed")
