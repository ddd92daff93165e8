"""Alembic environment: runs migrations over the async engine of KHATA_DATABASE_URL."""

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from khata.config import get_settings
from khata.db import create_engine
from khata.models import Base

config = context.config
target_metadata = Base.metadata

# Only while writing a new migration: restrict autogenerate to some tables.
_only_tables = {t for t in os.environ.get("KHATA_AUTOGEN_TABLES", "").split(",") if t}


def _include_object(obj: object, name: str | None, type_: str, *_: object) -> bool:
    if _only_tables and type_ == "table":
        return name in _only_tables
    return True


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=_include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Processes started together on an empty database migrate one after the other: the
            # next one waits here, then finds the schema at head and has nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('khata-migrate'))"))
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            _check_foreign_keys(connection)


def _check_foreign_keys(connection: Connection) -> None:
    """SQLite rebuilds a table to alter it, and dropping a table that other rows point at
    fails while foreign keys are enforced: they are off during migrations (SQLite's own
    procedure for altering a table), and checked here, before the commit, instead."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows without their parent: {broken[:5]}")


async def _run_async() -> None:
    engine = create_engine(_database_url())
    async with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Outside any transaction (inside one, SQLite ignores it); the connection is
            # disposed of with the engine below, so no other work runs with it off.
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    existing = config.attributes.get("connection")
    if existing is not None:
        _run(existing)
    else:
        asyncio.run(_run_async())
