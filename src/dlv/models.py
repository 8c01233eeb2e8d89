"""Every domain's tables in one metadata, so Alembic, backups and tests see the whole schema.

Each domain folder with a ``models.py`` is imported here; a new domain needs no edit.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import dlv
from dlv.db import Base

for _module in sorted(m.name for m in pkgutil.iter_modules(dlv.__path__) if m.ispkg):
    if importlib.util.find_spec(f"dlv.{_module}.models") is not None:
        importlib.import_module(f"dlv.{_module}.models")

metadata = Base.metadata
