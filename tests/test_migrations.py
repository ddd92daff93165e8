"""The Alembic migrations go up and down on SQLite and PostgreSQL, and match the models."""

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Date, bindparam, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from khata import migrate
from khata.config import Settings
from khata.db import create_engine
from khata.demo import seed_demo
from khata.models import Base, WriteOff
from khata.report import views
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


async def _foreign_keys(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            keys = await connection.run_sync(lambda c: inspect(c).get_foreign_keys(table))
        return {key["referred_table"] for key in keys}
    finally:
        await engine.dispose()


async def _delete_customers(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM customer"))
    finally:
        await engine.dispose()


async def test_kept_rows_go_down_and_up_with_data_in_the_tables(
    scratch_database_url: str, tmp_path: Path
) -> None:
    """0018 rebuilds tables on SQLite (drops foreign keys) while payments point at invoices:
    down and up again keep every row, put the keys back, and the guards come and go."""
    url = scratch_database_url
    await asyncio.to_thread(migrate.upgrade, url)
    await seed_demo(Settings(database_url=url, report_dir=str(tmp_path)))
    assert "customer" not in await _foreign_keys(url, "invoice")
    with pytest.raises(DBAPIError, match="rows of customer are kept"):
        await _delete_customers(url)

    await asyncio.to_thread(migrate.downgrade, url, "0014")
    assert {"customer", "sales_order"} <= await _foreign_keys(url, "invoice")
    assert "invoice" in await _foreign_keys(url, "invoice_line")
    assert "seller" in await _foreign_keys(url, "audit_entry")
    with pytest.raises(DBAPIError, match=r"(?i)foreign key"):  # the key refuses it again
        await _delete_customers(url)

    await asyncio.to_thread(migrate.upgrade, url)
    assert await _foreign_keys(url, "invoice") == set()
    with pytest.raises(DBAPIError, match="rows of customer are kept"):
        await _delete_customers(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            counts = [
                await connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("invoice", "invoice_line", "payment_allocation", "audit_entry")
            ]
    finally:
        await engine.dispose()
    assert counts[0] == 3 and all(counts)


async def _write_off_one(url: str) -> tuple[str, str, date]:
    """At 0018: a part of one demo invoice written off the old way (invoice columns only)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            seller_id, invoice_id, dated = (
                await connection.execute(
                    text("SELECT seller_id, id, invoice_date FROM invoice ORDER BY id LIMIT 1")
                )
            ).one()
            day = (dated if isinstance(dated, date) else date.fromisoformat(dated)) + timedelta(1)
            await connection.execute(
                text(
                    "UPDATE invoice SET total_written_off = 100, written_off_on = :day, "
                    "written_off_reason = 'Gone', balance_amount = balance_amount - 100 "
                    "WHERE seller_id = :seller AND id = :id"
                ).bindparams(bindparam("day", type_=Date)),
                {"day": day, "seller": seller_id, "id": invoice_id},
            )
        return seller_id, invoice_id, day
    finally:
        await engine.dispose()


async def test_write_offs_become_rows_and_the_ledger_still_adds_up(
    scratch_database_url: str, tmp_path: Path
) -> None:
    """0019 makes one write_off row of each invoice written off before it, and DSO's figures
    (the receivable_day ledger on PostgreSQL) equal the direct sum after 0019 up and down."""
    url = scratch_database_url
    await asyncio.to_thread(migrate.upgrade, url)
    await seed_demo(Settings(database_url=url, report_dir=str(tmp_path)))
    await asyncio.to_thread(migrate.downgrade, url, "0018")
    seller_id, invoice_id, day = await _write_off_one(url)
    spans = [
        (day - timedelta(400), day - timedelta(1)),
        (day, day),
        (day + timedelta(1), day + timedelta(400)),
    ]
    # At 0018 the reports of this code cannot run (no write_off): the figures are read at head,
    # after 0019 first and after 0019 down (0017's functions back) and up again.
    for down in (False, True):
        if down:
            await asyncio.to_thread(migrate.downgrade, url, "0018")
        await asyncio.to_thread(migrate.upgrade, url)
        engine = create_engine(url)
        try:
            async with AsyncSession(engine) as session, session.begin():
                read = await views.dso_figures(session, seller_id=seller_id, spans=spans)
                ends = [end for _, end in spans]
                direct = await views.receivables_on(session, seller_id=seller_id, ends=ends)
                rows = (
                    await session.execute(
                        select(
                            WriteOff.invoice_id,
                            WriteOff.amount,
                            WriteOff.written_off_on,
                            WriteOff.reason,
                        )
                    )
                ).all()
        finally:
            await engine.dispose()
        assert read[0] == direct
        assert [tuple(row) for row in rows] == [(invoice_id, 100, day, "Gone")]
