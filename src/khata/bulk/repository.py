"""Every query of the bulk domain: the batch probe of existing invoice numbers, the job rows,
their report chunks and the liveness lock of a running job (the invoice rows a file writes go
through invoice/repository)."""

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from khata.kit.sql import one_of
from khata.models import BulkJob, BulkReportChunk, Invoice
from khata.models.bulk_job import BulkJobStatus

logger = logging.getLogger("khata.bulk")

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


async def list_jobs(
    session: AsyncSession, *, seller_id: str, limit: int, offset: int
) -> tuple[list[BulkJob], int]:
    """A seller's jobs, newest first, and how many there are."""
    total = await session.scalar(
        select(func.count()).select_from(BulkJob).where(BulkJob.seller_id == seller_id)
    )
    jobs = await session.scalars(
        select(BulkJob)
        .where(BulkJob.seller_id == seller_id)
        .order_by(BulkJob.created_at.desc(), BulkJob.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(jobs), int(total or 0)


async def commit_lazily(session: AsyncSession) -> None:
    """This batch transaction's commit does not wait for its WAL to reach disk (PostgreSQL).

    Safe for a job's batches: a database crash can lose only the last batches, each whole,
    with its report rows and its counts in the job row, so the job still tells exactly what is
    saved; and the job's closing commit waits for disk as usual, which flushes every batch
    written before it, so a job answered as COMPLETED is durable."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL synchronous_commit = off"))


async def add_chunks(session: AsyncSession, chunks: list[dict[str, Any]]) -> None:
    if chunks:
        await session.execute(insert(BulkReportChunk), chunks)


async def record_batch(
    session: AsyncSession,
    *,
    seller_id: str,
    job_id: str,
    counts: dict[str, int],
    heartbeat_at: datetime,
) -> bool:
    """Add one committed batch's counts to its job and beat its heart; False when the job is
    no longer RUNNING (closed as FAILED by another process: the batch must not commit)."""
    values: dict[str, Any] = {name: getattr(BulkJob, name) + n for name, n in counts.items()}
    result = await session.execute(
        update(BulkJob)
        .where(
            BulkJob.seller_id == seller_id,
            BulkJob.id == job_id,
            BulkJob.status == BulkJobStatus.RUNNING.value,
        )
        .values(**values, heartbeat_at=heartbeat_at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def finish_job(
    session: AsyncSession,
    *,
    seller_id: str,
    job_id: str,
    status: str,
    finished_at: datetime,
    failure_count_second_file: int = 0,
) -> bool:
    """Close a RUNNING job (its counts were added batch by batch); False when it was not
    RUNNING any more (closed by another process)."""
    result = await session.execute(
        update(BulkJob)
        .where(
            BulkJob.seller_id == seller_id,
            BulkJob.id == job_id,
            BulkJob.status == BulkJobStatus.RUNNING.value,
        )
        .values(
            status=status,
            finished_at=finished_at,
            heartbeat_at=finished_at,
            failure_count_second_file=failure_count_second_file,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def report_chunks(
    session: AsyncSession, *, seller_id: str, job_id: str, report: str, from_seq: int, limit: int
) -> list[tuple[int, str]]:
    """(seq, body) of a report's chunks from `from_seq` on, in order."""
    rows = await session.execute(
        select(BulkReportChunk.seq, BulkReportChunk.body)
        .where(
            BulkReportChunk.seller_id == seller_id,
            BulkReportChunk.job_id == job_id,
            BulkReportChunk.report == report,
            BulkReportChunk.seq >= from_seq,
        )
        .order_by(BulkReportChunk.seq)
        .limit(limit)
    )
    return [(seq, body) for seq, body in rows]


# --- Liveness: a RUNNING job's process holds a PostgreSQL advisory lock named after the job
# (on a connection of its own) from before the job row is committed until it is closed. The
# server drops a dead process's locks with its connections, so "the lock is free" means "no
# process runs this job": exact, at once, whatever the clocks say. The heartbeat covers what
# the lock cannot: SQLite, and a host that vanished without closing its connections.
_JOB_LOCK = text("SELECT pg_advisory_lock(:space, hashtext(:job_id))")
_JOB_UNLOCK = text("SELECT pg_advisory_unlock(:space, hashtext(:job_id))")
_JOB_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:space, hashtext(:job_id))")
_LOCK_SPACE = 0x6B4A  # the first key of every bulk job lock ("kJ")


@asynccontextmanager
async def job_lock(engine: AsyncEngine, job_id: str) -> AsyncIterator[None]:
    """Hold the job's liveness lock while the block runs (PostgreSQL; nothing on SQLite)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    params = {"space": _LOCK_SPACE, "job_id": job_id}
    async with engine.connect() as connection:
        await connection.execute(_JOB_LOCK, params)
        await connection.commit()
        try:
            yield
        finally:
            try:
                await connection.execute(_JOB_UNLOCK, params)
                await connection.commit()
            except Exception:  # a session lock must never go back to the pool
                logger.warning("could not release the lock of bulk job %s", job_id)
                await connection.invalidate()


async def close_dead_jobs(
    session: AsyncSession,
    *,
    now: datetime,
    stale_before: datetime,
    seller_id: str | None = None,
    job_ids: Sequence[str] | None = None,
) -> list[tuple[str, str]]:
    """Close as FAILED the RUNNING jobs no process runs any more (lock free, or heartbeat
    older than `stale_before`), keeping the counts of their committed batches. Answers the
    (seller_id, job_id) closed."""
    query = select(BulkJob.seller_id, BulkJob.id, BulkJob.heartbeat_at).where(
        BulkJob.status == BulkJobStatus.RUNNING.value
    )
    if seller_id is not None:
        query = query.where(BulkJob.seller_id == seller_id)
    if job_ids is not None:
        query = query.where(BulkJob.id.in_(list(job_ids)))
    closed: list[tuple[str, str]] = []
    postgresql = session.get_bind().dialect.name == "postgresql"
    for job_seller, job_id, heartbeat_at in (await session.execute(query)).all():
        stale = heartbeat_at is None or heartbeat_at < stale_before
        orphaned = postgresql and bool(
            await session.scalar(_JOB_TRY_LOCK, {"space": _LOCK_SPACE, "job_id": job_id})
        )
        if not (stale or orphaned):
            continue
        condition = [
            BulkJob.seller_id == job_seller,
            BulkJob.id == job_id,
            BulkJob.status == BulkJobStatus.RUNNING.value,
        ]
        if not orphaned:  # re-checked under the row lock: a batch may have just beaten it
            condition.append(BulkJob.heartbeat_at < stale_before)
        result = await session.execute(
            update(BulkJob)
            .where(*condition)
            .values(status=BulkJobStatus.FAILED.value, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0):
            closed.append((job_seller, job_id))
    return closed
