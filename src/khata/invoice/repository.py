"""Every query of the invoice and invoice-line tables, whichever dialect asks (search and the
AR payload's reads have their own read-side modules)."""

from collections.abc import Collection, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import exists, func, inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from khata.kit.sql import insert_records, one_of, table_columns
from khata.models import Invoice, InvoiceLine
from khata.models.invoice import FINAL_STATUSES

Row = dict[str, Any]
_INVOICE_COLUMNS = [attr.key for attr in inspect(Invoice).column_attrs]
_INVOICE_LINE_COLUMNS = [attr.key for attr in inspect(InvoiceLine).column_attrs]
_INVOICE_RECORD = itemgetter(*table_columns(Invoice.__table__))
_LINE_RECORD = itemgetter(*table_columns(InvoiceLine.__table__))


async def get_invoice(
    session: AsyncSession, seller_id: str, invoice_id: str, *, for_update: bool = False
) -> Invoice | None:
    """A live (not deleted) invoice of the seller; with `for_update` its row stays locked."""
    statement = select(Invoice).where(
        Invoice.seller_id == seller_id, Invoice.id == invoice_id, Invoice.deleted.is_(False)
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def get_invoices(
    session: AsyncSession,
    seller_id: str,
    invoice_ids: Collection[str],
    *,
    for_update: bool = False,
) -> dict[str, Invoice]:
    """Live invoices by id. Locks are taken in id order, so two writers never deadlock."""
    if not invoice_ids:
        return {}
    statement = (
        select(Invoice)
        .where(
            Invoice.seller_id == seller_id,
            Invoice.id.in_(list(invoice_ids)),
            Invoice.deleted.is_(False),
        )
        .order_by(Invoice.id)
    )
    if for_update:
        statement = statement.with_for_update()
    result = await session.execute(statement)
    return {invoice.id: invoice for invoice in result.scalars()}


async def invoice_number_taken(
    session: AsyncSession, seller_id: str, invoice_number: str, *, except_id: str | None = None
) -> bool:
    """Deleted invoices keep their number: the unique key covers every row."""
    condition = (Invoice.seller_id == seller_id) & (Invoice.invoice_number == invoice_number)
    if except_id is not None:
        condition = condition & (Invoice.id != except_id)
    return bool((await session.execute(select(exists().where(condition)))).scalar())


async def change_status_if_current(
    session: AsyncSession,
    *,
    seller_id: str,
    invoice_id: str,
    current_status: str,
    current_version: int,
    values: dict[str, object],
) -> bool:
    """Compare-and-set: the UPDATE matches only the version and status the caller saw, so of
    two concurrent changes made from the same version exactly one wins."""
    result = await session.execute(
        update(Invoice)
        .where(
            Invoice.seller_id == seller_id,
            Invoice.id == invoice_id,
            Invoice.deleted.is_(False),
            Invoice.version == current_version,
            Invoice.receivable_status == current_status,
        )
        .values(version=Invoice.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def ids_in_order(ids: Sequence[str]) -> list[str]:
    """Request ids without repeats, first occurrence first."""
    return list(dict.fromkeys(ids))


def as_row(invoice: Invoice) -> Row:
    return {key: getattr(invoice, key) for key in _INVOICE_COLUMNS}


def line_as_row(line: InvoiceLine) -> Row:
    return {key: getattr(line, key) for key in _INVOICE_LINE_COLUMNS}


async def taken_invoice_numbers(
    session: AsyncSession, seller_id: str, numbers: Sequence[str]
) -> list[str]:
    result = await session.execute(
        select(Invoice.invoice_number).where(
            Invoice.seller_id == seller_id, one_of(session, Invoice.invoice_number, numbers)
        )
    )
    return list(result.scalars())


async def live_ids_by_number(
    session: AsyncSession, seller_id: str, numbers: Sequence[str]
) -> dict[str, str]:
    """Invoice number -> id of the seller's live invoices among `numbers`."""
    if not numbers:
        return {}
    result = await session.execute(
        select(Invoice.invoice_number, Invoice.id).where(
            Invoice.seller_id == seller_id,
            one_of(session, Invoice.invoice_number, numbers),
            Invoice.deleted.is_(False),
        )
    )
    return {number: invoice_id for number, invoice_id in result.all()}


async def insert_invoice_records(
    session: AsyncSession, records: Sequence[Sequence[Any]], *, json_text: bool = False
) -> None:
    """Invoice rows in column order (invoice/rows.as_record): one COPY (executemany on SQLite);
    `json_text`: their JSON columns hold JSON text (InvoiceRowMaker(json_text=True))."""
    await insert_records(session, Invoice.__table__, records, json_text=json_text)


async def insert_line_records(session: AsyncSession, records: Sequence[Sequence[Any]]) -> None:
    await insert_records(session, InvoiceLine.__table__, records)


async def insert_invoices(
    session: AsyncSession, invoices: Sequence[Row], lines: Sequence[Row]
) -> None:
    """Invoices and their lines given as column -> value: two statements, however many."""
    await insert_invoice_records(session, [_INVOICE_RECORD(row) for row in invoices])
    await insert_line_records(session, [_LINE_RECORD(row) for row in lines])


async def know_invoice_count(session: AsyncSession, *, at_least: int) -> None:
    """ANALYZE the invoice table when its statistics know of fewer than `at_least` rows.

    A deployment's first import fills a table PostgreSQL has no statistics for: it then plans
    the next batch's number probe as if the table were empty, where every index that starts
    with seller_id costs the same, and may walk the whole seller through the status index for
    each number (seconds per batch instead of milliseconds). One ANALYZE of the rows just
    written (its own transaction's rows count) fixes the estimates; a table whose statistics
    already know it is left alone."""
    if session.get_bind().dialect.name != "postgresql":
        return
    known = await session.scalar(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST('invoice' AS regclass)")
    )
    if known is not None and known < at_least:
        await session.execute(text("ANALYZE invoice"))


_TALLY_KEYS = "customer_id, receivable_status, via, dispatched, buyer_response, open"


async def fold_invoice_tally(session: AsyncSession, seller_id: str) -> None:
    """Replace a seller's tally rows by one per key with their sum (PostgreSQL). Exact under
    concurrency: only the rows this statement deleted are summed; rows other transactions add
    meanwhile stay as they are, and a second fold waits on the first's row locks and then
    finds those rows gone."""
    await session.execute(
        text(
            f"WITH gone AS (DELETE FROM invoice_tally WHERE seller_id = :seller_id "
            f"RETURNING {_TALLY_KEYS}, live) "
            f"INSERT INTO invoice_tally (seller_id, {_TALLY_KEYS}, live) "
            f"SELECT :seller_id, {_TALLY_KEYS}, sum(live) FROM gone "
            f"GROUP BY {_TALLY_KEYS} HAVING sum(live) <> 0"
        ),
        {"seller_id": seller_id},
    )


async def fold_receivable_days(session: AsyncSession, seller_id: str) -> None:
    """Replace a seller's receivable_day rows by one per day with their sums (PostgreSQL);
    exact under concurrency for the same reasons as fold_invoice_tally."""
    await session.execute(
        text(
            "WITH gone AS (DELETE FROM receivable_day WHERE seller_id = :seller_id "
            "RETURNING day, owed, sales) "
            "INSERT INTO receivable_day (seller_id, day, owed, sales) "
            "SELECT :seller_id, day, sum(owed), sum(sales) FROM gone "
            "GROUP BY day HAVING sum(owed) <> 0 OR sum(sales) <> 0"
        ),
        {"seller_id": seller_id},
    )


async def lines_of_invoices(
    session: AsyncSession, seller_id: str, invoice_ids: Sequence[str]
) -> dict[str, list[InvoiceLine]]:
    found: dict[str, list[InvoiceLine]] = {invoice_id: [] for invoice_id in invoice_ids}
    if not invoice_ids:
        return found
    result = await session.execute(
        select(InvoiceLine)
        .where(
            InvoiceLine.seller_id == seller_id,
            one_of(session, InvoiceLine.invoice_id, invoice_ids),
        )
        .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
    )
    for line in result.scalars():
        found[line.invoice_id].append(line)
    return found


async def list_invoices(
    session: AsyncSession,
    *,
    seller_id: str,
    order_id: str | None,
    customer_id: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Invoice], int]:
    conditions = [Invoice.seller_id == seller_id, Invoice.deleted.is_(False)]
    if order_id is not None:
        conditions.append(Invoice.order_id == order_id)
    if customer_id is not None:
        conditions.append(Invoice.customer_id == customer_id)
    total = await session.scalar(select(func.count()).select_from(Invoice).where(*conditions))
    result = await session.execute(
        select(Invoice)
        .where(*conditions)
        .order_by(Invoice.created_at.desc(), Invoice.entity_id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(result.scalars()), int(total or 0)


async def get_by_payment_link_key(
    session: AsyncSession, key: str, *, for_update: bool = False
) -> Invoice | None:
    """The invoice a payment link opens, deleted or not (its page says so); the link names no
    seller, so the key alone finds it. Keys are unique per seller (192 random bits); should two
    sellers ever hold the same one, neither link opens anything rather than the wrong invoice."""
    statement = select(Invoice).where(Invoice.payment_link_key == key).limit(2)
    if for_update:
        statement = statement.with_for_update()
    found = list((await session.execute(statement)).scalars())
    return found[0] if len(found) == 1 else None


async def open_linked_invoices(
    session: AsyncSession, *, seller_id: str, customer_id: str, except_id: str
) -> list[Invoice]:
    """The customer's other invoices with this seller that are presented (they have a payment
    link), live, not final and not settled, oldest due first."""
    result = await session.execute(
        select(Invoice)
        .where(
            Invoice.seller_id == seller_id,
            Invoice.customer_id == customer_id,
            Invoice.id != except_id,
            Invoice.deleted.is_(False),
            Invoice.payment_link_key.is_not(None),
            Invoice.balance_amount > 0,
            Invoice.receivable_status.not_in(sorted(FINAL_STATUSES)),
        )
        .order_by(Invoice.due_date, Invoice.id)
    )
    return list(result.scalars())
