"""Every domain's tables, imported in one place so Alembic and tests see the whole schema."""

from dlv.audit.models import AuditRecord
from dlv.auth.models import ApiToken, LoginThrottle, User
from dlv.db import Base

metadata = Base.metadata

__all__ = ["ApiToken", "AuditRecord", "LoginThrottle", "User", "metadata"]
