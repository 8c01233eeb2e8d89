"""tokens follow their owner, usernames canonical

API tokens now act for the user who made them and are deleted with that user: the foreign
key goes from ON DELETE SET NULL to CASCADE (and gets an index, for that cascade and for
finding a user's tokens when the user is deleted).

Before, deleting a user left their tokens working with no owner recorded, looking like the
operator tokens ``dlv tokens create`` makes. The audit trail still says who made each one
(``token.create``): a token traced to a deleted user is deleted now (its revocation was
due), one traced to a user who still exists is bound to them (a token made with a token is
traced through its parent), and one made by the CLI or with no record stays an operator
token.

Usernames are stored canonical (NFKC, case-folded). Existing names are folded where that
makes no two alike; names that differ from another only in case (``ADMIN`` and ``admin``)
are left as they are, so this cannot fail on them: each still logs in by its exact spelling,
and no new look-alike can be created. They are logged, for an admin to merge or rename.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

FK = "fk_api_tokens_created_by_id_users"
INDEX = "ix_api_tokens_created_by_id"
SYSTEM_ID = uuid.UUID(int=0)  # the CLI's actor in the audit trail
MAX_CHAIN = 100  # tokens made with tokens: a longer chain is a loop in bad data

users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("username", sa.String()))
tokens = sa.table("api_tokens", sa.column("id", sa.Uuid()), sa.column("created_by_id", sa.Uuid()))
audit = sa.table(
    "audit_records",
    sa.column("action", sa.String()),
    sa.column("target_id", sa.String()),
    sa.column("actor_kind", sa.String()),
    sa.column("actor_id", sa.Uuid()),
)


def _canonical(name: str) -> str:
    # A copy of dlv.auth.policy.canonical_username as of this revision (migrations must not
    # import application code, which changes after they are written).
    return unicodedata.normalize("NFKC", name).casefold()


def _fold_usernames(conn: sa.Connection) -> None:
    groups: dict[str, list[tuple[uuid.UUID, str]]] = defaultdict(list)
    for user_id, name in conn.execute(sa.select(users.c.id, users.c.username)):
        groups[_canonical(name)].append((user_id, name))
    for canonical, members in groups.items():
        if len(members) > 1:
            log.warning(
                "usernames %s differ only in case: left as they are (each logs in by its "
                "exact spelling); merge or delete all but one",
                ", ".join(repr(name) for _, name in members),
            )
            continue
        user_id, name = members[0]
        if name != canonical:
            conn.execute(users.update().where(users.c.id == user_id).values(username=canonical))


def _bind_orphan_tokens(conn: sa.Connection) -> None:
    rows = conn.execute(sa.select(tokens.c.id, tokens.c.created_by_id))
    owner_of: dict[uuid.UUID, uuid.UUID | None] = {row.id: row.created_by_id for row in rows}
    existing_users = set(conn.execute(sa.select(users.c.id)).scalars())
    made_by: dict[str, tuple[str, uuid.UUID | None]] = {}
    creations = sa.select(audit.c.target_id, audit.c.actor_kind, audit.c.actor_id).where(
        audit.c.action == "token.create"
    )
    for target_id, kind, actor_id in conn.execute(creations):
        made_by[str(target_id)] = (kind, actor_id)

    def maker(token_id: uuid.UUID) -> uuid.UUID | None:
        """The user a token was made for, following tokens made with tokens; None: the CLI."""
        for _ in range(MAX_CHAIN):
            if owner_of.get(token_id) is not None:
                return owner_of[token_id]
            kind, actor_id = made_by.get(str(token_id), ("user", None))
            if kind != "token" or actor_id is None:
                return None if actor_id in (None, SYSTEM_ID) else actor_id
            token_id = actor_id
        return None

    revoked = bound = 0
    for token_id, created_by_id in owner_of.items():
        if created_by_id is not None:
            continue
        owner = maker(token_id)
        if owner is None:
            continue
        if owner in existing_users:
            update = tokens.update().where(tokens.c.id == token_id)
            conn.execute(update.values(created_by_id=owner))
            bound += 1
        else:
            conn.execute(tokens.delete().where(tokens.c.id == token_id))
            revoked += 1
    if revoked or bound:
        log.warning(
            "API tokens without an owner: %d deleted (made by a user since deleted), "
            "%d bound to the user who made them",
            revoked,
            bound,
        )


def upgrade() -> None:
    conn = op.get_bind()
    _bind_orphan_tokens(conn)
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.create_foreign_key(FK, "users", ["created_by_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index(INDEX, ["created_by_id"], unique=False)
    _fold_usernames(conn)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.create_foreign_key(FK, "users", ["created_by_id"], ["id"], ondelete="SET NULL")
