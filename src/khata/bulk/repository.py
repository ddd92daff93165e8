"""Every query of the bulk domain: batch look-ups and batch writes (COPY on PostgreSQL)."""

import json
from collections.abc import Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, String, func, insert, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from khata.models import BulkJob, Customer, Invoice, InvoiceLine, KeyContact

INVOICE_COLUMNS = tuple(column.name for column in Invoice.__table__.columns)
LINE_COLUMNS = tuple(column.name for column in InvoiceLine.__table__.columns)
_JSON_COLUMNS = frozenset({"meta_fields", "extra"})


def _one_of(session: AsyncSession, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """`column IN (...)`; on PostgreSQL `IN (SELECT unnest(array))`, one parameter instead of
    thousands. Not `= ANY(array)`: once asyncpg's prepared statement goes to a generic plan,
    that filter compares every row of the seller with every array element (seconds per batch
    on a large table); the unnest form plans as a semi-join (hash or index probes)."""
    unique = list(dict.fromkeys(values))
    if session.get_bind().dialect.name == "postgresql":
        return column.in_(select(func.unnest(literal(unique, ARRAY(String)))))  # type: ignore[no-any-return]
    return column.in_(unique)  # type: ignore[no-any-return]


async def customers_by_id(
    session: AsyncSession, *, seller_id: str, customer_ids: Sequence[str]
) -> dict[str, tuple[str, bool, str | None, str]]:
    """customerId -> (status, deleted, state, legal name) for the ids of one batch, in one
    query."""
    if not customer_ids:
        return {}
    result = await session.execute(
        select(
            Customer.id, Customer.status, Customer.deleted, Customer.state, Customer.legal_name
        ).where(Customer.seller_id == seller_id, _one_of(session, Customer.id, customer_ids))
    )
    return {row.id: (row.status, row.deleted, row.state, row.legal_name) for row in result}


async def customers_with_channel(
    session: AsyncSession, *, seller_id: str, customer_ids: Sequence[str]
) -> set[str]:
    """The customers (of the given ids) with a key contact that has an enabled channel."""
    if not customer_ids:
        return set()
    result = await session.execute(
        select(
            KeyContact.customer_id,
            KeyContact.email,
            KeyContact.mobile,
            KeyContact.mail_enabled,
            KeyContact.sms_enabled,
            KeyContact.whatsapp_enabled,
        ).where(
            KeyContact.seller_id == seller_id,
            _one_of(session, KeyContact.customer_id, customer_ids),
            KeyContact.deleted.is_(False),
        )
    )
    reachable: set[str] = set()
    for row in result:
        if (
            (row.mail_enabled and row.email)
            or (row.sms_enabled and row.mobile)
            or (row.whatsapp_enabled and row.mobile)
        ):
            reachable.add(row.customer_id)
    return reachable


async def key_contacts_of(
    session: AsyncSession, *, seller_id: str, customer_ids: Sequence[str]
) -> list[KeyContact]:
    if not customer_ids:
        return []
    result = await session.execute(
        select(KeyContact).where(
            KeyContact.seller_id == seller_id,
            _one_of(session, KeyContact.customer_id, customer_ids),
            KeyContact.deleted.is_(False),
        )
    )
    return list(result.scalars())


_STORED_FIELDS = (
    "id",
    "invoice_number",
    "customer_id",
    "invoice_date",
    "due_date",
    "base_amount",
    "cgst",
    "sgst",
    "igst",
    "tds",
    "gst_exclusive",
    "partial_payment_allowed",
    "description",
    "po_number",
    "external_id",
    "email_address",
    "mobile_number",
)
# One unique-index probe per number, whatever the table's size or statistics: LIMIT keeps the
# planner from flattening the lateral subquery into a hash join over every invoice of the
# seller (which grows the look-up with the table: seconds per batch at a million invoices).
# (seller_id, invoice_number) is unique, so LIMIT 1 drops nothing.
_PROBE_BY_NUMBER = text(
    f"SELECT {', '.join('i.' + name for name in _STORED_FIELDS)} "
    "FROM unnest(CAST(:numbers AS varchar[])) AS n(number) "
    f"CROSS JOIN LATERAL (SELECT {', '.join(_STORED_FIELDS)} FROM invoice "
    "WHERE seller_id = :seller_id AND invoice_number = n.number LIMIT 1) AS i"
)


async def invoices_by_number(
    session: AsyncSession, *, seller_id: str, numbers: Sequence[str]
) -> dict[str, Any]:
    """invoiceNumber -> the stored row's comparable fields, for the numbers of one batch."""
    if not numbers:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        probed = await session.execute(
            _PROBE_BY_NUMBER,
            {"seller_id": seller_id, "numbers": list(dict.fromkeys(numbers))},
        )
        return {row.invoice_number: row for row in probed}
    result = await session.execute(
        select(*(getattr(Invoice, name) for name in _STORED_FIELDS)).where(
            Invoice.seller_id == seller_id, _one_of(session, Invoice.invoice_number, numbers)
        )
    )
    return {row.invoice_number: row for row in result}


async def insert_rows(
    session: AsyncSession,
    *,
    table: Any,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
) -> None:
    """Batch insert: COPY on PostgreSQL, executemany on SQLite; inside the session's
    transaction either way."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        json_columns = [name for name in columns if name in _JSON_COLUMNS]
        for row in rows:  # the rows are the caller's throwaway dicts
            for name in json_columns:
                if row[name] is not None:
                    row[name] = json.dumps(row[name])
        getter = itemgetter(*columns)
        records = [getter(row) for row in rows]
        await driver.copy_records_to_table(table.name, records=records, columns=list(columns))
        return
    await session.execute(insert(table), list(rows))


async def insert_records(
    session: AsyncSession, *, table: Any, columns: Sequence[str], records: list[list[Any]]
) -> None:
    """Batch insert of rows given as value lists in `columns` order (no dict per row): COPY
    on PostgreSQL, executemany on SQLite; inside the session's transaction either way."""
    if not records:
        return
    if session.get_bind().dialect.name == "postgresql":
        json_indexes = [i for i, name in enumerate(columns) if name in _JSON_COLUMNS]
        for record in records:  # the records are the caller's throwaway lists
            for i in json_indexes:
                value = record[i]
                if value is not None:
                    record[i] = "[]" if value == [] else json.dumps(value)
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.copy_records_to_table(
            table.name, records=map(tuple, records), columns=list(columns)
        )
        return
    await session.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in records])


async def insert_invoice_records(session: AsyncSession, records: list[list[Any]]) -> None:
    await insert_records(session, table=Invoice.__table__, columns=INVOICE_COLUMNS, records=records)


async def insert_line_records(session: AsyncSession, records: list[list[Any]]) -> None:
    await insert_records(
        session, table=InvoiceLine.__table__, columns=LINE_COLUMNS, records=records
    )


async def insert_invoices(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await insert_rows(session, table=Invoice.__table__, columns=INVOICE_COLUMNS, rows=rows)


async def insert_lines(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await insert_rows(session, table=InvoiceLine.__table__, columns=LINE_COLUMNS, rows=rows)


async def get_job(session: AsyncSession, *, seller_id: str, job_id: str) -> BulkJob | None:
    return await session.get(BulkJob, (seller_id, job_id))


async def finish_job(
    session: AsyncSession,
    *,
    seller_id: str,
    job_id: str,
    status: str,
    counts: dict[str, int],
    finished_at: datetime,
) -> None:
    """Write a job's final status and counts (the summary every bulk endpoint answers)."""
    job = await get_job(session, seller_id=seller_id, job_id=job_id)
    if job is None:
        return
    job.status = status
    for name, value in counts.items():
        setattr(job, name, value)
    job.finished_at = finished_at
    await session.flush()
