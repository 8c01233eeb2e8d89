"""Multi-process metrics directory (``PROMETHEUS_MULTIPROC_DIR``), without prometheus_client.

Kept apart from ``dlv.ops.metrics`` on purpose: importing that module creates the metric files
in the directory, so ``dlv serve`` must be able to empty the directory without importing it.
"""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The shared directory of multi-process mode, when it is on."""
    return os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower()) or None


def prepare_multiprocess_dir() -> None:
    """Create or empty the multi-process directory; call once before the workers start."""
    directory = multiprocess_dir()
    if directory is None:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    # Files of a previous run would add their totals to this one's.
    for stale in path.glob("*.db"):
        stale.unlink()
