"""Database engine, session factory, the per-request session and the unit-of-work helper."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


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
    # asyncpg prepares every statement, and after five runs PostgreSQL may keep a generic plan
    # that ignores the values: a search for a rare customer name or a one-week range then
    # walks plans made for the average value (seconds at a million invoices, not ms).
    kwargs.setdefault("connect_args", {"server_settings": {"plan_cache_mode": "force_custom_plan"}})
    return create_async_engine(url, **kwargs)


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


async def serialize(session: AsyncSession, name: str) -> None:
    """Hold a lock named `name`, across processes, until the session's transaction ends
    (PostgreSQL advisory lock; on SQLite BEGIN IMMEDIATE already makes writers take turns)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
