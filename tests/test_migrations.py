"""The Alembic migrations go up and down on SQLite and PostgreSQL, and match the models."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from khata import migrate
from khata.db import create_engine
from khata.models import Base
from tests.support import Database

TENANT_FREE_TABLES = {"seller", "alembic_version"}


async def _table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(scratch_database_url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, scratch_database_url)
    tables = await _table_names(scratch_database_url)
    assert set(Base.metadata.tables) <= tables
    await asyncio.to_thread(migrate.downgrade, scratch_database_url, "base")
    assert await _table_names(scratch_database_url) <= {"alembic_version"}
    await asyncio.to_thread(migrate.upgrade, scratch_database_url)
    assert set(Base.metadata.tables) <= await _table_names(scratch_database_url)


async def test_migrations_match_the_models(database: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with database.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


def test_every_tenant_table_leads_its_keys_with_seller_id() -> None:
    for table in Base.metadata.tables.values():
        if table.name in TENANT_FREE_TABLES:
            continue
        assert table.primary_key.columns.keys()[0] == "seller_id", table.name
        for constraint in table.constraints:
            columns = getattr(constraint, "columns", None)
            if constraint.__class__.__name__ == "UniqueConstraint" and columns is not None:
                assert columns.keys()[0] == "seller_id", (table.name, constraint.name)
