"""Every domain's tables, imported in one place so Alembic and tests see the whole schema."""

from dlv.audit.models import AuditRecord
from dlv.auth.models import ApiToken, LoginThrottle, User
from dlv.db import Base
from dlv.lineage.models import Edge, LineageChange
from dlv.nodes.models import Annotation, Node, NodeTag

metadata = Base.metadata

__all__ = [
    "Annotation",
    "ApiToken",
    "AuditRecord",
    "Edge",
    "LineageChange",
    "LoginThrottle",
    "Node",
    "NodeTag",
    "User",
    "metadata",
]
