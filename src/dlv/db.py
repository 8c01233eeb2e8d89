"""Engine, per-request session (one transaction per request), the declarative Base, and
statements per dialect."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    TypeDecorator,
    any_,
    bindparam,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from dlv.files import precreate_sqlite

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Aware UTC now: every timestamp DLV stores and returns is UTC."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A fresh public id."""
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, always returns aware datetimes (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return sqlite_utc_text
        return super().bind_processor(dialect)


# SQLAlchemy's storage format for SQLite DATETIME: sortable text, always with microseconds.
_SQLITE_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def sqlite_utc_text(value: datetime | None) -> str | None:
    """What ``process_bind_param`` and SQLite's DATETIME bind processor make of ``value``,
    in one step: binding times was 3.4% of a SQLite batch run's samples (run rows, the
    inbox's), and the two calls (a dict built for the format each time) half of it."""
    if value is None:
        return None
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return _SQLITE_DATETIME % (
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
    # Server settings: WAL lets readers run beside the writer; the busy timeout makes a
    # second writer wait instead of failing; SQLite leaves foreign keys off unless asked.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


READ_ONLY = "dlv_read_only"


def _sqlite_begin(conn: Any) -> None:
    # A writing transaction takes the write lock at BEGIN: two writers that both read first
    # would otherwise deadlock on the read->write upgrade, which SQLite answers with an
    # immediate "database is locked" instead of waiting. Reads stay deferred so they never
    # queue behind a long import.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


CONNECT_TIMEOUT = 10


def make_engine(url: str) -> Engine:
    """An engine configured for a server: SQLite gets WAL, FKs and a busy timeout. Statement
    parameters never appear in an error's text (they may hold token or password hashes, and
    errors are logged)."""
    if url.startswith("sqlite"):
        precreate_sqlite(url)  # 0600, not SQLite's 0644: it holds password and token hashes
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_conn: Any, _: Any) -> None:
            # pysqlite's own transaction handling is broken for savepoints and DDL;
            # SQLAlchemy's documented recipe is to disable it and emit BEGIN ourselves.
            dbapi_conn.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # A host that drops packets would hold every request for the TCP timeout (~2 minutes)
    # before the 503: give up on connecting after CONNECT_TIMEOUT seconds.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        hide_parameters=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT},
    )


def read_only(engine: Engine) -> Engine:
    """The same pool, marked so SQLite begins a deferred (reader) transaction."""
    return engine.execution_options(**{READ_ONLY: True})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses read them)."""
    return sessionmaker(engine, expire_on_commit=False)


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """``asyncio.to_thread``, except that a cancelled caller still waits for the thread.

    A background loop's thread holds a database connection, and cancelling the loop is how a
    server stops, right before it disposes of its engine. With ``asyncio.to_thread`` the thread
    ran on and put its connection back into the disposed pool, where it stayed open until the
    garbage collector found it (a ResourceWarning in whatever test ran then)."""
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])  # its own error, if any, is not the caller's concern now
        raise


@contextlib.asynccontextmanager
async def every(seconds: float, fn: Callable[[], object], name: str) -> AsyncIterator[None]:
    """Run ``fn`` in a thread every ``seconds`` while the block runs (a server's lifetime).

    ``fn`` handles its own failures. The loop stops when the block ends, after the run in
    progress (``in_thread``), before the engine is disposed of.
    """

    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds)
            await in_thread(fn)

    task = asyncio.create_task(loop(), name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    state = request.app.state
    bind = state.read_engine if request.method in ("GET", "HEAD") else state.engine
    with factory(bind=bind) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


DIALECTS = ("postgresql", "sqlite")


def insert_first(session: Session, row: Base) -> bool:
    """Insert a singleton row (a lease, a cursor); False when another process inserted the
    same key first. Only the savepoint is rolled back: the caller's transaction goes on."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def dialect(session: Session) -> str:
    """The session's database: ``postgresql`` or ``sqlite``."""
    return session.get_bind().dialect.name


def member_of(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """``column IN (:name)``, the list given when the statement runs.

    PostgreSQL gets one array parameter (``= ANY``): the statement's text is the same for
    every length, so psycopg converts it once and prepares it. An expanded IN list was a new
    statement of hundreds of placeholders every time: a sixth of mapping a batch of events."""
    among: ColumnElement[bool]
    if dialect == "postgresql":
        among = column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    else:
        among = column.in_(bindparam(name, expanding=True))
    return among


IN_LIST_CHUNK = 400  # values per IN list: well under SQLite's bound-parameter limit


def chunks(items: Sequence[T], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size``: one IN list each."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def with_list(
    column: Any, name: str, build: Callable[[ColumnElement[bool]], Any], *, lock: bool = False
) -> dict[str, Any]:
    """A statement per dialect, built around ``member_of(column, name)``; ``lock``: FOR
    UPDATE on PostgreSQL (SQLite locks the whole database anyway)."""
    statements = {dialect: build(member_of(column, name, dialect)) for dialect in DIALECTS}
    if lock:
        statements["postgresql"] = statements["postgresql"].with_for_update()
    return statements
