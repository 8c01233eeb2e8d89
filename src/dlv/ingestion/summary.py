"""A periodic INFO line about the OpenLineage events this process received.

Accepted events are logged at DEBUG (one line each would drown everything else), so at the
default level an operator saw nothing of a producer that reports fine. Once per interval in
which anything happened, each server process (each ``--workers`` process counts its own) logs

    openlineage: 1,234 events in the last 60 s from 3 namespaces (airflow-prod, ...),
    0 refused, 0 mapping failures

and nothing when nothing arrived.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

log = logging.getLogger("dlv.ingestion")

# Namespaces named in the line, most events first; the rest are counted.
NAMED_NAMESPACES = 3
# Distinct namespaces remembered per interval: enough for any real platform, bounded for a
# client sending a new namespace per event.
MAX_NAMESPACES = 1_000
NAME_CHARS = 60  # a namespace may be 1,000+ characters long: the line stays readable


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 3] + "..."


@dataclass
class Window:
    """What one interval saw."""

    started: float = field(default_factory=time.monotonic)
    accepted: int = 0
    refused: int = 0
    mapping_failures: int = 0
    namespaces: Counter[str] = field(default_factory=Counter)
    more_namespaces: bool = False  # past MAX_NAMESPACES: at least that many

    def empty(self) -> bool:
        return not (self.accepted or self.refused or self.mapping_failures)

    def line(self, now: float) -> str:
        """The summary, e.g. ``openlineage: 12 events in the last 60 s from 1 namespace (x),
        0 refused, 0 mapping failures``."""
        count = len(self.namespaces)
        names = [_short(name) for name, _ in self.namespaces.most_common(NAMED_NAMESPACES)]
        if count > NAMED_NAMESPACES:
            names.append("...")
        namespaces = f"{count:,}{'+' if self.more_namespaces else ''} namespace"
        namespaces += "" if count == 1 else "s"
        if names:
            namespaces += f" ({', '.join(names)})"
        return (
            f"openlineage: {self.accepted:,} event{'' if self.accepted == 1 else 's'} "
            f"in the last {now - self.started:.0f} s from {namespaces}, "
            f"{self.refused:,} refused, {self.mapping_failures:,} mapping "
            f"failure{'' if self.mapping_failures == 1 else 's'}"
        )


class IngestSummary:
    """Counts events as they come (from the event loop and the drain's thread) and logs the
    summary of each interval."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = Window()

    def accepted(self, namespaces: Iterable[str]) -> None:
        """Events stored, one namespace (the job's, or the dataset's) each."""
        with self._lock:
            window = self._window
            seen = window.namespaces
            for namespace in namespaces:
                window.accepted += 1
                if namespace in seen or len(seen) < MAX_NAMESPACES:
                    seen[namespace] += 1
                else:
                    window.more_namespaces = True

    def refused(self, count: int = 1) -> None:
        """Events answered with an error: invalid (400), or not stored (503)."""
        with self._lock:
            self._window.refused += count

    def mapping_failed(self, count: int = 1) -> None:
        """Stored events the drain could not map into the catalog (recorded on the event)."""
        with self._lock:
            self._window.mapping_failures += count

    def take(self) -> Window:
        """The interval so far; a new one starts now."""
        with self._lock:
            window, self._window = self._window, Window()
        return window

    def log(self) -> None:
        """Log the interval so far at INFO, unless nothing happened; start a new one."""
        window = self.take()
        if not window.empty():
            log.info("%s", window.line(time.monotonic()))
