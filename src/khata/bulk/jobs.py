"""Bulk jobs after the fact: a past job's summary, a seller's jobs, report files streamed from
the database, and closing jobs whose process died (at start-up and when a job is read)."""

import asyncio
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.bulk import repository
from khata.bulk.engine import SAMPLE_SIZE, JobSummary, report_names
from khata.bulk.files import CSV, sweep_uploads
from khata.bulk.reports import FAILURE, ITEMS, SUCCESS, XlsxReport, as_objects, decode_rows
from khata.db import unit_of_work
from khata.kit.timeutil import utc_now
from khata.models import BulkJob

# Chunks read per query while streaming a report (a chunk is one batch: up to 5,000 rows).
_CHUNKS_PER_READ = 4
_SPOOL_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Liveness:
    """When a RUNNING job counts as dead: its lock is free (PostgreSQL), or its heartbeat is
    older than `stale_seconds` (any database)."""

    stale_seconds: int

    def stale_before(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self.stale_seconds)


async def close_dead_jobs(
    session: AsyncSession,
    *,
    now: datetime,
    liveness: Liveness,
    seller_id: str | None = None,
    job_ids: list[str] | None = None,
) -> list[tuple[str, str]]:
    """Close as FAILED, with the counts of their committed batches, the RUNNING jobs that no
    process runs any more."""
    return await repository.close_dead_jobs(
        session,
        now=now,
        stale_before=liveness.stale_before(now),
        seller_id=seller_id,
        job_ids=job_ids,
    )


async def read_job(
    session: AsyncSession, *, seller_id: str, job_id: str, now: datetime, liveness: Liveness
) -> BulkJob | None:
    """A job as it truly stands: a RUNNING job whose process died is closed first."""
    job = await repository.get_job(session, seller_id=seller_id, job_id=job_id)
    if job is not None and job.status == "RUNNING":
        closed = await close_dead_jobs(
            session, now=now, liveness=liveness, seller_id=seller_id, job_ids=[job_id]
        )
        if closed:
            await session.refresh(job)
    return job


async def list_jobs(
    session: AsyncSession,
    *,
    seller_id: str,
    limit: int,
    offset: int,
    now: datetime,
    liveness: Liveness,
) -> tuple[list[BulkJob], int]:
    """A seller's jobs, newest first (dead RUNNING ones closed first)."""
    await close_dead_jobs(session, now=now, liveness=liveness, seller_id=seller_id)
    return await repository.list_jobs(session, seller_id=seller_id, limit=limit, offset=offset)


async def summary_of_job(session: AsyncSession, job: BulkJob) -> JobSummary:
    """A past job's summary, its samples read back from the first report chunks."""
    success_name, failure_name = report_names(job.file_name, job.file_format)
    return JobSummary(
        job_id=job.id,
        file_format=job.file_format,
        status=job.status,
        total_count=job.total_count,
        success_count=job.success_count,
        failure_count=job.failure_count,
        failure_count_second_file=job.failure_count_second_file,
        warn_count=job.warn_count,
        total_amount=job.total_amount,
        success_file_name=success_name,
        failure_file_name=failure_name,
        success_requests=await _sample(session, job, SUCCESS),
        failure_requests=await _sample(session, job, FAILURE),
    )


async def _sample(session: AsyncSession, job: BulkJob, report: str) -> list[dict[str, Any]]:
    rows: list[list[Any]] = []
    seq = 0
    while len(rows) <= SAMPLE_SIZE:
        chunks = await repository.report_chunks(
            session, seller_id=job.seller_id, job_id=job.id, report=report, from_seq=seq, limit=1
        )
        if not chunks:
            break
        seq, body = chunks[0]
        rows.extend(decode_rows(job.file_format, body))
        seq += 1
    if not rows:
        return []
    return as_objects(rows[0], rows[1 : SAMPLE_SIZE + 1])


async def has_report(session: AsyncSession, job: BulkJob, report: str) -> bool:
    """Is the report there (its header row is written with the job)?"""
    return bool(
        await repository.report_chunks(
            session, seller_id=job.seller_id, job_id=job.id, report=report, from_seq=0, limit=1
        )
    )


async def _chunks(
    factory: async_sessionmaker[AsyncSession], job: BulkJob, report: str
) -> AsyncIterator[str]:
    """A report's chunk bodies in order, a few per short read transaction."""
    seq = 0
    while True:
        async with factory() as session:
            chunks = await repository.report_chunks(
                session,
                seller_id=job.seller_id,
                job_id=job.id,
                report=report,
                from_seq=seq,
                limit=_CHUNKS_PER_READ,
            )
        for _seq, body in chunks:
            yield body
        if len(chunks) < _CHUNKS_PER_READ:
            return
        seq = chunks[-1][0] + 1


async def report_file(
    factory: async_sessionmaker[AsyncSession], job: BulkJob, report: str
) -> AsyncIterator[bytes]:
    """A report file's bytes, built from the database as they are sent: the same bytes from
    every server. CSV chunks are the file's own text; XLSX is laid out in an unnamed spooled
    temporary file (gone when closed, even if the process dies)."""
    if job.file_format == CSV:
        async for body in _chunks(factory, job, report):
            yield body.encode("utf-8")
        return
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        await _write_xlsx(factory, job, report, spool)
        spool.seek(0)
        while block := await asyncio.to_thread(spool.read, _SPOOL_BYTES):
            yield block


async def _write_xlsx(
    factory: async_sessionmaker[AsyncSession], job: BulkJob, report: str, target: IO[bytes]
) -> None:
    book = XlsxReport(target, job.created_at)
    sheets = (report, ITEMS) if report == FAILURE else (report,)
    for index, sheet in enumerate(sheets):
        first = True
        async for body in _chunks(factory, job, sheet):
            if first:
                book.sheet(sheet)
                first = False
            await asyncio.to_thread(book.write, body)
        if first and index == 0:  # a report always has its sheet, even with no rows at all
            book.sheet(sheet)
    await asyncio.to_thread(book.close)


async def export_reports(
    factory: async_sessionmaker[AsyncSession], *, seller_id: str, job_id: str, directory: Path
) -> Path | None:
    """Write a job's report files to `directory/<seller>/<job>/` (what `khata import` leaves
    beside the summary); answers that folder."""
    async with factory() as session:
        job = await repository.get_job(session, seller_id=seller_id, job_id=job_id)
    if job is None:
        return None
    folder = directory / seller_id / job_id
    folder.mkdir(parents=True, exist_ok=True)
    for report in (SUCCESS, FAILURE):
        with (folder / f"{report}.{job.file_format}").open("wb") as out:
            async for block in report_file(factory, job, report):
                out.write(block)
    return folder


async def recover_at_start(
    factory: async_sessionmaker[AsyncSession], *, liveness: Liveness, upload_dir: str | None
) -> tuple[int, int]:
    """What a starting `khata serve` / `khata worker` does for bulk jobs: close the jobs whose
    process died, delete the uploads no live process holds. Answers (jobs closed, files)."""
    async with unit_of_work(factory) as session:
        closed = await close_dead_jobs(session, now=utc_now(), liveness=liveness)
    return len(closed), sweep_uploads(upload_dir)
