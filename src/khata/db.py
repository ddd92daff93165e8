"""Database engine, session factory, the unit-of-work helper, and what the GETs clients make most
read with: the read-only engine, fair turns at its pool, and `first_row`."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import QueuePool, event, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# What a read runs on: a request's session, or the connection of a request that only reads.
Reads = AsyncSession | AsyncConnection


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 60}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # A fixed pool: an overflow connection is opened for one request and closed after it, so
    # under load (64 requests in flight) every request beyond the pool paid a PostgreSQL
    # connection setup. Requests beyond 20 wait for a pooled connection instead.
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 0)
    # No pre-ping (a round trip per checkout, on every request): a connection PostgreSQL
    # dropped fails one request, and that failure invalidates the whole pool, so the next
    # requests reconnect. Connections older than half an hour are replaced before use.
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_recycle", 1800)
    # Statements keep PostgreSQL's default plan caching: asyncpg prepares each one, and a read
    # by key reuses its plan instead of planning again on every request (planning cost more
    # than running the GET of an invoice). Searches plan for their values: plan_for_values.
    return create_async_engine(url, **kwargs)


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine of requests that only read. On PostgreSQL its connections are in autocommit:
    no BEGIN and COMMIT round trips around a GET's one or two statements, each of which reads
    what was committed when it started. SQLite keeps its transactions (BEGIN IMMEDIATE: a read
    waits for a writer instead of failing)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def pool_turns(engine: AsyncEngine) -> asyncio.Semaphore:
    """Turns at the engine's pool, first come first served, as many as it holds connections.
    The pool itself lets a newcomer take a connection just handed back before the request
    that has waited longest: under load a few requests then waited many times as long as the
    rest (p99 300 ms at 64 connections, against 76 ms with a pool none waited for)."""
    pool = engine.sync_engine.pool
    return asyncio.Semaphore(pool.size() if isinstance(pool, QueuePool) else 1)


def dialect_of(reads: Reads) -> str:
    bind = reads if isinstance(reads, AsyncConnection) else reads.get_bind()
    return bind.dialect.name


@dataclass(frozen=True)
class _DriverStatement:
    """A statement compiled once for asyncpg: its SQL, the names of its $n parameters, the
    values of its literals, and how SQLAlchemy would read its columns."""

    sql: str
    parameter_names: tuple[str, ...]
    literals: dict[str, Any]
    keys: dict[str, int]
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]


class FetchedRow:
    """A row fetched by `first_row` on PostgreSQL, read as a SQLAlchemy Row is: by position or
    by column name as an attribute."""

    __slots__ = ("_keys", "_values")

    def __init__(self, values: list[Any], keys: dict[str, int]) -> None:
        self._values = values
        self._keys = keys

    def __getitem__(self, index: int) -> Any:
        return self._values[index]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[self._keys[name]]
        except KeyError:
            raise AttributeError(name) from None


def _for_driver(statement: Any, dialect: Any) -> _DriverStatement:
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    if any(bind.type._cached_bind_processor(dialect) for bind in compiled.binds.values()):
        raise TypeError("first_row runs only statements whose parameters go to asyncpg as given")
    converters = []
    keys: dict[str, int] = {}
    for index, (key, _name, _objects, type_) in enumerate(compiled._result_columns):
        keys.setdefault(key, index)
        converter = type_._cached_result_processor(dialect, None)
        if converter is not None:
            converters.append((index, converter))
    literals = {
        name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
    }
    return _DriverStatement(compiled.string, names, literals, keys, tuple(converters))


_DRIVER_STATEMENTS: dict[Any, _DriverStatement] = {}


async def first_row(reads: Reads, statement: Any, parameters: dict[str, Any]) -> Any:
    """The statement's first row, or None. On PostgreSQL over a read connection it goes to
    asyncpg directly, compiled once (the statements of the GETs clients make most: SQLAlchemy's
    execution of each cost such a GET a tenth of its time); the row reads as a Row does, its
    values converted as SQLAlchemy converts them, and SQLAlchemy's before_cursor_execute
    listeners still hear of it. Elsewhere, SQLAlchemy executes it. Statements must be built
    once (module level): each is compiled once, and kept."""
    if not isinstance(reads, AsyncConnection) or reads.dialect.name != "postgresql":
        return (await reads.execute(statement, parameters)).first()
    found = _DRIVER_STATEMENTS.get(statement)
    if found is None:
        found = _DRIVER_STATEMENTS[statement] = _for_driver(statement, reads.dialect)
    values = {**found.literals, **parameters}
    arguments = [values[name] for name in found.parameter_names]
    sync_connection, raw = reads.sync_connection, await reads.get_raw_connection()
    assert sync_connection is not None and raw.driver_connection is not None  # a live connection
    if sync_connection.dispatch.before_cursor_execute:
        sync_connection.dispatch.before_cursor_execute(
            sync_connection, None, found.sql, tuple(arguments), None, False
        )
    try:
        record = await raw.driver_connection.fetchrow(found.sql, *arguments)
    except Exception:
        # SQLAlchemy runs it again, and answers or raises as it would have: on a connection
        # PostgreSQL dropped, its error invalidates the pool (see create_engine).
        return (await reads.execute(statement, parameters)).first()
    if record is None:
        return None
    row = list(record)
    for index, convert in found.converters:
        row[index] = convert(row[index])
    return FetchedRow(row, found.keys)


def _configure_sqlite(engine: AsyncEngine) -> None:
    # SQLite upgrades a read transaction to a write one lazily, and two such upgrades deadlock
    # with "database is locked" at once. BEGIN IMMEDIATE takes the write lock up front, so
    # concurrent requests wait (busy_timeout) instead of failing.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def unit_of_work(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    async with factory() as session, session.begin():
        yield session


async def plan_for_values(session: AsyncSession) -> None:
    """PostgreSQL plans the rest of this transaction's statements for their values (SET LOCAL).
    After five runs of a prepared statement it may keep a generic plan made for the average
    value: a search for a rare customer name or a one-week range then walks a plan made for a
    common one (seconds at a million invoices, not ms)."""
    if dialect_of(session) == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def serialize(session: AsyncSession, name: str) -> None:
    """Hold a lock named `name`, across processes, until the session's transaction ends
    (PostgreSQL advisory lock; on SQLite BEGIN IMMEDIATE already makes writers take turns)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
