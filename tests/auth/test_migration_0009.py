"""Migration 0009 on a database written by the versions before it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from dlv import migrate
from dlv.audit.models import AuditRecord
from dlv.auth.models import ApiToken, User
from dlv.db import make_engine, make_sessionmaker
from tests.conftest import BACKEND, PG_ADMIN_URL, _pg_admin_engine

BEFORE = "0008"


@pytest.fixture
def old_url(tmp_path: Path) -> Iterator[str]:
    """A new database migrated up to the revision before 0009."""
    if BACKEND == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        migrate.upgrade(url, BEFORE)
        yield url
        return
    name = f"dlv_m9_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url, BEFORE)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def write(url: str, *rows: User | ApiToken | AuditRecord) -> None:
    # The columns a row sets, not the model's: later versions' columns are not there yet.
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        for row in rows:
            values = {c.key: getattr(row, c.key) for c in row.__table__.columns}
            session.execute(
                insert(type(row)).values({k: v for k, v in values.items() if v is not None})
            )
    engine.dispose()


def read(url: str) -> tuple[dict[str, uuid.UUID | None], set[str]]:
    """(token name -> owner id, usernames) after the upgrade."""
    engine = make_engine(url)
    with Session(engine) as session:
        tokens = {t.name: t.created_by_id for t in session.scalars(select(ApiToken))}
        names = set(session.scalars(select(User.username)))
    engine.dispose()
    return tokens, names


def user(name: str) -> User:
    return User(id=uuid.uuid4(), username=name, password_hash="x", role="admin", token_version=0)


def token(name: str, owner: uuid.UUID | None = None) -> ApiToken:
    return ApiToken(
        id=uuid.uuid4(),
        name=name,
        scope="admin",
        token_hash=uuid.uuid4().hex * 2,
        prefix="dlv_x",
        created_by_id=owner,
    )


def made(target: ApiToken, kind: str, actor_id: uuid.UUID) -> AuditRecord:
    return AuditRecord(
        actor_kind=kind,
        actor_id=actor_id,
        actor="someone",
        action="token.create",
        target_type="token",
        target_id=str(target.id),
        changes={},
    )


def test_upgrade_folds_usernames_and_leaves_case_only_duplicates(old_url: str) -> None:
    write(old_url, user("Bob"), user("ADMIN"), user("admin"), user("Ops"), user("OPS"))
    migrate.upgrade(old_url)
    assert read(old_url)[1] == {"bob", "ADMIN", "admin", "Ops", "OPS"}


def test_upgrade_deletes_tokens_whose_maker_was_deleted(old_url: str) -> None:
    gone = uuid.uuid4()  # the user, deleted before the upgrade: SET NULL left the token
    orphan = token("orphan")
    write(old_url, orphan, made(orphan, "user", gone))
    migrate.upgrade(old_url)
    assert read(old_url)[0] == {}


def test_upgrade_binds_a_token_made_with_a_token_to_that_tokens_owner(old_url: str) -> None:
    owner = user("owner")
    parent = token("parent", owner.id)
    child = token("child")  # made with the parent: versions before 0009 recorded no owner
    grandchild = token("grandchild")
    write(
        old_url,
        owner,
        parent,
        child,
        grandchild,
        made(parent, "user", owner.id),
        made(child, "token", parent.id),
        made(grandchild, "token", child.id),
    )
    migrate.upgrade(old_url)
    assert read(old_url)[0] == {"parent": owner.id, "child": owner.id, "grandchild": owner.id}


def test_upgrade_keeps_operator_tokens_unbound(old_url: str) -> None:
    cli, unknown = token("cli"), token("no-record")
    write(old_url, cli, unknown, made(cli, "user", uuid.UUID(int=0)))
    migrate.upgrade(old_url)
    assert read(old_url)[0] == {"cli": None, "no-record": None}


def test_after_the_upgrade_deleting_a_user_deletes_their_tokens(old_url: str) -> None:
    owner = user("owner")
    write(old_url, owner, token("theirs", owner.id))
    migrate.upgrade(old_url)
    engine = make_engine(old_url)
    with engine.begin() as conn:
        conn.execute(delete(User))
    engine.dispose()
    assert read(old_url)[0] == {}
