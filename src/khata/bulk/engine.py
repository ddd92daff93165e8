"""The bulk engine: job row, batches of a file's rows checked and saved in a pipeline, reports.

A row handler (one per kind of file) checks a batch without the database and saves it inside
a batch transaction; the engine does the rest the same way for every kind: the bulk_job row,
the success and failure reports in file order, the counts and samples of the summary, progress,
and closing the job as COMPLETED or FAILED.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.bulk import repository
from khata.bulk.files import StagedFile, Table, cell_text
from khata.bulk.reports import ReportWriter
from khata.models import BulkJob
from khata.models.bulk_job import BulkJobKind, BulkJobStatus

INVOICE, CUSTOMER_CREATE, CUSTOMER_UPDATE = (
    BulkJobKind.INVOICE.value,
    BulkJobKind.CUSTOMER_CREATE.value,
    BulkJobKind.CUSTOMER_UPDATE.value,
)
RUNNING, COMPLETED, FAILED = (
    BulkJobStatus.RUNNING.value,
    BulkJobStatus.COMPLETED.value,
    BulkJobStatus.FAILED.value,
)
BATCH_SIZE = 5_000
# Batches checked or saving at once: enough to keep the database busy while the next batch is
# checked, few enough to keep memory flat.
_IN_FLIGHT = 2
YIELD_EVERY = 64  # rows between yields to the event loop while checking or reporting
SAMPLE_SIZE = 100  # successRequests / failureRequests carry the first 100 rows each
ALREADY_IMPORTED = "already imported"

BatchScope = Callable[[], AbstractAsyncContextManager[AsyncSession]]
Progress = Callable[[int, int], None]  # (rows done, rows in total)


@dataclass
class JobSummary:
    job_id: str
    file_format: str
    total_count: int = 0
    success_count: int = 0
    failure_count: int = 0
    failure_count_second_file: int = 0
    warn_count: int = 0
    total_amount: int = 0  # paise
    success_file_name: str = ""
    failure_file_name: str = ""
    success_requests: list[dict[str, Any]] = field(default_factory=list)
    failure_requests: list[dict[str, Any]] = field(default_factory=list)

    def job_counts(self) -> dict[str, int]:
        """The counts kept on the bulk_job row, so a past job answers the same summary."""
        return {
            "total_count": self.total_count,
            "success_count": self.success_count,
            "failure_count": self.failure_count,
            "failure_count_second_file": self.failure_count_second_file,
            "warn_count": self.warn_count,
            "total_amount": self.total_amount,
        }


@dataclass(slots=True)
class Outcome:
    """What became of one row of the file: the id it saved or matched, or why it failed."""

    cells: list[Any]
    saved_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Checked:
    """One batch after the rows' own checks: every row's outcome and what the save needs."""

    outcomes: list[Outcome]
    pending: Any = None


class RowHandler(Protocol):
    """One kind of bulk file: its columns, its checks and its batch writes."""

    kind: str
    # May batch N+1 be checked while batch N saves? Not when checks read what saves wrote.
    overlaps: bool
    success_columns: tuple[str, ...]

    def success_cells(self, outcome: Outcome) -> list[Any]: ...

    async def check(self, batch: list[list[Any]]) -> Checked: ...

    async def save(self, session: AsyncSession, checked: Checked) -> int:
        """Write one checked batch; answers the amount saved (paise)."""
        ...

    def finish(self, failure: ReportWriter, summary: JobSummary) -> None:
        """After the last batch (e.g. an items sheet's own failures)."""
        ...


@dataclass(frozen=True)
class Job:
    """One run of a bulk file: where it comes from, who runs it, where its reports go."""

    staged: StagedFile
    seller_id: str
    created_by_id: str | None
    now: datetime
    report_dir: str
    batch_scope: BatchScope
    job_id: str
    batch_size: int = BATCH_SIZE
    progress: Progress | None = None


async def close_job(job: Job, summary: JobSummary, *, status: str) -> None:
    """Record a job's final status and counts."""
    try:
        async with job.batch_scope() as session:
            await repository.finish_job(
                session,
                seller_id=job.seller_id,
                job_id=job.job_id,
                status=status,
                counts=summary.job_counts(),
                finished_at=job.now,
            )
            if status == COMPLETED:
                # Imported here: bulk.events builds the job's answer with bulk.wire, which
                # imports this module.
                from khata.bulk.events import record_job_completed

                await record_job_completed(session, job, summary)
    except Exception:
        # Marking a FAILED job is best effort: it must not hide the error that failed it.
        if status == COMPLETED:
            raise


def request_scope(session: AsyncSession) -> BatchScope:
    """Every batch in the request's own transaction (SQLite: one writer, one transaction)."""
    return lambda: nullcontext(session)


def committing_scope(factory: async_sessionmaker[AsyncSession]) -> BatchScope:
    """Each batch in its own committed transaction (PostgreSQL, the CLI)."""

    @asynccontextmanager
    async def scope() -> AsyncIterator[AsyncSession]:
        async with factory() as session, session.begin():
            yield session

    return scope


def report_names(file_name: str, file_format: str) -> tuple[str, str]:
    stem = Path(file_name).stem or "bulk"
    return f"{stem}_success.{file_format}", f"{stem}_failure.{file_format}"


def report_paths(
    report_dir: str, seller_id: str, job_id: str, file_format: str
) -> tuple[Path, Path]:
    base = Path(report_dir) / seller_id / job_id
    return base / f"success.{file_format}", base / f"failure.{file_format}"


def display_headers(headers: list[str], known: tuple[str, ...]) -> list[str]:
    """Known columns under their canonical names; extra columns as the file spelled them."""
    by_lower = {name.lower(): name for name in known}
    return [by_lower.get(h.strip().lower(), h.strip()) for h in headers]


def pad(cells: list[Any], width: int) -> list[Any]:
    return cells + [None] * (width - len(cells)) if len(cells) < width else cells


def text_at(cells: list[Any], index: int) -> str:
    return cell_text(cells[index]) if index < len(cells) else ""


def as_object(headers: list[str], cells: list[Any]) -> dict[str, Any]:
    return {name: cell_text(value) for name, value in zip(headers, cells, strict=False)}


def _batches(rows: Iterator[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _EarlierBatchFailed(Exception):
    """A batch's save is abandoned because the batch before it failed (that error is raised)."""


class _Reporter:
    """Writes outcomes to the report files and counts them in the summary, in file order."""

    def __init__(
        self, job: Job, handler: RowHandler, headers: list[str], summary: JobSummary
    ) -> None:
        file_format = job.staged.file_format
        success_path, failure_path = report_paths(
            job.report_dir, job.seller_id, job.job_id, file_format
        )
        self.summary, self.handler, self.headers = summary, handler, headers
        self.success_headers = [*headers, *handler.success_columns]
        self.success = ReportWriter(success_path, file_format, self.success_headers)
        self.failure = ReportWriter(failure_path, file_format, [*headers, "error"])

    def batch(self, outcomes: list[Outcome]) -> None:
        summary, headers, width = self.summary, self.headers, len(self.headers)
        for outcome in outcomes:
            cells = pad(outcome.cells, width)[:width]
            summary.total_count += 1
            if outcome.errors:
                summary.failure_count += 1
                error = "; ".join(outcome.errors)
                self.failure.write([*cells, error])
                if len(summary.failure_requests) < SAMPLE_SIZE:
                    summary.failure_requests.append({**as_object(headers, cells), "error": error})
                continue
            summary.success_count += 1
            if outcome.warnings:
                summary.warn_count += 1
            row = [*cells, *self.handler.success_cells(outcome)]
            self.success.write(row)
            if len(summary.success_requests) < SAMPLE_SIZE:
                summary.success_requests.append(as_object(self.success_headers, row))

    def close(self) -> None:
        self.success.close()
        self.failure.close()


async def _open_job(job: Job, kind: str) -> None:
    success_path, failure_path = report_paths(
        job.report_dir, job.seller_id, job.job_id, job.staged.file_format
    )
    async with job.batch_scope() as session:
        session.add(
            BulkJob(
                seller_id=job.seller_id,
                id=job.job_id,
                kind=kind,
                file_name=job.staged.file_name[:300],
                file_format=job.staged.file_format,
                status=RUNNING,
                total_count=0,
                success_count=0,
                failure_count=0,
                failure_count_second_file=0,
                warn_count=0,
                total_amount=0,
                success_file_path=str(success_path),
                failure_file_path=str(failure_path),
                created_by_id=job.created_by_id,
                created_at=job.now,
            )
        )
        await session.flush()


async def run_job(job: Job, handler: RowHandler, table: Table, headers: list[str]) -> JobSummary:
    """Run a file whose whole-file checks passed: job row, batches, reports, summary, close."""
    summary = JobSummary(job_id=job.job_id, file_format=job.staged.file_format)
    summary.success_file_name, summary.failure_file_name = report_names(
        job.staged.file_name, job.staged.file_format
    )
    await _open_job(job, handler.kind)
    report = _Reporter(job, handler, headers, summary)
    try:
        await _Pipeline(job, handler, report, table.row_count).run(table.rows)
        handler.finish(report.failure, summary)
    except BaseException:
        report.close()
        await close_job(job, summary, status=FAILED)
        raise
    report.close()
    await close_job(job, summary, status=COMPLETED)
    return summary


@dataclass
class _Saved:
    task: "asyncio.Task[int]"
    checked: Checked


class _Pipeline:
    """Check batch N+1 while batch N's look-ups, writes and commit run in the database.

    The rows are checked here, cooperatively (handlers yield every few dozen rows so the saving
    task's round trips go on); each batch is saved by its own task that first waits for the
    previous one, so batches commit in file order, each in its own transaction. Reports are
    written in file order once a batch is committed. At most `_IN_FLIGHT` batches are held.
    """

    def __init__(self, job: Job, handler: RowHandler, report: _Reporter, row_count: int) -> None:
        self.job, self.handler, self.report, self.row_count = job, handler, report, row_count
        self.in_flight: deque[_Saved] = deque()
        self.limit = _IN_FLIGHT if handler.overlaps else 0

    async def run(self, rows: Iterator[list[Any]]) -> None:
        in_flight = self.in_flight
        previous: asyncio.Task[int] | None = None
        try:
            for batch in _batches(rows, self.job.batch_size):
                checked = await self.handler.check(batch)
                previous = asyncio.create_task(self._save_in_turn(previous, checked))
                in_flight.append(_Saved(previous, checked))
                while in_flight and (in_flight[0].task.done() or len(in_flight) > self.limit):
                    await self._report(in_flight.popleft())
            while in_flight:
                await self._report(in_flight.popleft())
        except BaseException:
            for saved in in_flight:
                saved.task.cancel()
            if in_flight:
                await asyncio.wait([saved.task for saved in in_flight])
            # Batches that committed before the failure still get their report rows.
            for saved in in_flight:
                if saved.task.cancelled() or saved.task.exception() is not None:
                    break
                self.report.batch(saved.checked.outcomes)
                self.report.summary.total_amount += saved.task.result()
            raise

    async def _report(self, saved: _Saved) -> None:
        await asyncio.wait([saved.task])
        saved_amount = saved.task.result()
        outcomes = saved.checked.outcomes
        for start in range(0, len(outcomes), YIELD_EVERY):
            self.report.batch(outcomes[start : start + YIELD_EVERY])
            await asyncio.sleep(0)
        summary = self.report.summary
        summary.total_amount += saved_amount
        if self.job.progress is not None:
            self.job.progress(summary.total_count, self.row_count)

    async def _save_in_turn(self, previous: "asyncio.Task[int] | None", checked: Checked) -> int:
        if previous is not None:
            # asyncio.wait, not `await previous`: cancelling this task must not cancel that one.
            await asyncio.wait([previous])
            if previous.cancelled() or previous.exception() is not None:
                raise _EarlierBatchFailed
        async with self.job.batch_scope() as session:
            return await self.handler.save(session, checked)
