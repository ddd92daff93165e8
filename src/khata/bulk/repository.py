"""Every query of the bulk domain: the batch probe of existing invoice numbers and the job rows
(the invoice rows a file writes go through invoice/repository)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from khata.kit.sql import one_of
from khata.models import BulkJob, Invoice

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
            Invoice.seller_id == seller_id, one_of(session, Invoice.invoice_number, numbers)
        )
    )
    return {row.invoice_number: row for row in result}


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
