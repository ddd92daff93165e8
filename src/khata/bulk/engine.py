"""The bulk engine: job row, batches of a file's rows checked and saved in a pipeline, reports.

A row handler (one per kind of file) checks a batch without the database and saves it inside
a batch transaction; the engine does the rest the same way for every kind: the bulk_job row,
the report rows and the job's counts written in each batch's own transaction (so the job and
its reports tell exactly what is saved, whatever happens to the process), the summary's
samples, progress, and closing the job as COMPLETED or FAILED.
"""

import asyncio
import gc
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    asynccontextmanager,
    contextmanager,
    nullcontext,
)
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.bulk import repository
from khata.bulk.files import CSV, StagedFile, Table, cell_text
from khata.bulk.reports import FAILURE, ITEMS, SUCCESS, as_objects, encode_rows
from khata.kit import metrics
from khata.kit.timeutil import utc_now
from khata.models import BulkJob
from khata.models.bulk_job import BulkJobKind, BulkJobStatus

INVOICE, CUSTOMER_CREATE, CUSTOMER_UPDATE, CREDIT_NOTE = (
    BulkJobKind.INVOICE.value,
    BulkJobKind.CUSTOMER_CREATE.value,
    BulkJobKind.CUSTOMER_UPDATE.value,
    BulkJobKind.CREDIT_NOTE.value,
)
RUNNING, COMPLETED, FAILED = (
    BulkJobStatus.RUNNING.value,
    BulkJobStatus.COMPLETED.value,
    BulkJobStatus.FAILED.value,
)
BATCH_SIZE = 5_000
FIRST_BATCH_SIZE = 1_000
# Batches checked or saving at once: enough to keep the database busy while the next batch is
# checked, few enough to keep memory flat.
_IN_FLIGHT = 2
YIELD_EVERY = 64  # rows between yields to the event loop while checking
# Rows of a batch's work done at once (preparing, accepting, encoding its report) between
# yields, so a batch whose turn came is not held up behind another's.
YIELD_SLICE = 500
SAMPLE_SIZE = 100  # successRequests / failureRequests carry the first 100 rows each
ALREADY_IMPORTED = "already imported"

# Waits until every earlier batch of the job has committed (see RowHandler.save).
InTurn = Callable[[], Awaitable[None]]
Progress = Callable[[int, int], None]  # (rows done, rows in total)
# Holds a job's liveness lock while the job runs (bulk.repository.job_lock on PostgreSQL).
JobLock = Callable[[str], AbstractAsyncContextManager[None]]

ROWS_DONE = metrics.counter(
    "khata_bulk_rows_total", "Rows of bulk files committed, by kind of file and outcome"
)
JOB_SECONDS = metrics.histogram(
    "khata_bulk_job_seconds",
    "Run time of bulk jobs, by kind of file and final status",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800),
)


class _Collector:
    """While any job runs in this process, the garbage collector's young generation is
    collected every `YOUNG` allocations instead of every 700 (Python's default): a batch
    allocates hundreds of thousands of short-lived containers, and at the default the
    collections, each walking the rows in flight, took a third of a job's CPU. Batch rows hold
    no reference cycles, and what is in flight stays bounded by the batches held."""

    YOUNG = 50_000

    def __init__(self) -> None:
        self.jobs = 0
        self.saved = gc.get_threshold()

    @contextmanager
    def for_job(self) -> Iterator[None]:
        if not self.jobs:
            self.saved = gc.get_threshold()
            gc.set_threshold(max(self.YOUNG, self.saved[0]), *self.saved[1:])
        self.jobs += 1
        try:
            yield
        finally:
            self.jobs -= 1
            if not self.jobs:
                gc.set_threshold(*self.saved)


_COLLECTOR = _Collector()


@dataclass(frozen=True)
class BatchScope:
    """Where each batch's transaction comes from."""

    open: Callable[[], AbstractAsyncContextManager[AsyncSession]]
    # Each batch in a transaction of its own (PostgreSQL, the CLI): the next batch's look-ups
    # may run while the batch before writes. Else one shared transaction: one batch at a time.
    own_transactions: bool


def no_lock(_job_id: str) -> AbstractAsyncContextManager[None]:
    return nullcontext()


# The tasks running a job in this process, so a server shutting down can wait for them to
# close their jobs (a cancelled job still writes FAILED and deletes its upload).
_RUNNING: set["asyncio.Task[Any]"] = set()


async def settle_running_jobs(seconds: float) -> None:
    """Wait (at most `seconds`) for this process's jobs to finish or close themselves."""
    running = [task for task in _RUNNING if not task.done()]
    if running:
        await asyncio.wait(running, timeout=seconds)


@dataclass
class JobSummary:
    job_id: str
    file_format: str
    status: str = RUNNING
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


@dataclass(frozen=True)
class ExtraSheet:
    """Rows a handler reports after the last batch (the bad rows of an XLSX items sheet)."""

    headers: list[str]
    rows: list[list[Any]]


class RowHandler(Protocol):
    """One kind of bulk file: its columns, its checks and its batch writes."""

    kind: str
    # May batch N+1 be checked, and looked up against stored data, while batch N saves? Not
    # when its checks read what batch N writes.
    overlaps: bool
    success_columns: tuple[str, ...]

    def success_cells(self, outcome: Outcome) -> list[Any]: ...

    async def check(self, batch: list[list[Any]]) -> Checked: ...

    async def resolve(self, session: AsyncSession, checked: Checked) -> int:
        """In the batch's transaction, settle each row's outcome against stored data (error,
        warnings, the id it saves or matched); answers the amount the batch saves (paise). With
        `overlaps` it may run before the batch before commits, so it must not write."""
        ...

    async def save(self, session: AsyncSession, checked: Checked, in_turn: InTurn) -> None:
        """Write what `resolve` accepted: what needs every earlier batch committed (numbers
        taken in file order) after `await in_turn()`, the rest before it, meanwhile."""
        ...

    def finish(self) -> ExtraSheet | None:
        """After the last batch: failures of its own (e.g. an items sheet's), if any."""
        ...


@dataclass(frozen=True)
class Job:
    """One run of a bulk file: where it comes from, who runs it, how its batches commit."""

    staged: StagedFile
    seller_id: str
    created_by_id: str | None
    now: datetime
    batch_scope: BatchScope
    job_id: str
    batch_size: int = BATCH_SIZE
    progress: Progress | None = None
    lock: JobLock = no_lock


class JobClosedElsewhere(RuntimeError):
    """Another process closed this job as FAILED (it looked dead): its batch is rolled back."""


async def close_job(
    job: Job, summary: JobSummary, *, status: str, extra: ExtraSheet | None = None
) -> None:
    """Record a job's final status (and an items sheet's failures) in one transaction."""
    try:
        async with job.batch_scope.open() as session:
            if extra is not None and job.staged.file_format != CSV and extra.rows:
                await repository.add_chunks(
                    session,
                    [
                        _chunk(job, ITEMS, 0, [extra.headers]),
                        _chunk(job, ITEMS, 1, extra.rows),
                    ],
                )
            closed = await repository.finish_job(
                session,
                seller_id=job.seller_id,
                job_id=job.job_id,
                status=status,
                finished_at=utc_now(),
                failure_count_second_file=len(extra.rows) if extra is not None else 0,
            )
            if not closed and status == COMPLETED:
                raise JobClosedElsewhere(f"bulk job {job.job_id} was closed by another process")
            if status == COMPLETED:
                summary.status = COMPLETED
                summary.failure_count_second_file = len(extra.rows) if extra is not None else 0
                # Imported here: bulk.events builds the job's answer with bulk.wire, which
                # imports this module.
                from khata.bulk.events import record_job_completed

                await record_job_completed(session, job, summary)
    except Exception:
        # Marking a FAILED job is best effort: it must not hide the error that failed it (and
        # a job left RUNNING is closed by the next start or read once its lock is free).
        if status == COMPLETED:
            raise


def request_scope(session: AsyncSession) -> BatchScope:
    """Every batch in the request's own transaction (SQLite: one writer, one transaction)."""
    return BatchScope(open=lambda: nullcontext(session), own_transactions=False)


def committing_scope(factory: async_sessionmaker[AsyncSession]) -> BatchScope:
    """Each batch in its own committed transaction (PostgreSQL, the CLI)."""

    @asynccontextmanager
    async def scope() -> AsyncIterator[AsyncSession]:
        async with factory() as session, session.begin():
            yield session

    return BatchScope(open=scope, own_transactions=True)


def report_names(file_name: str, file_format: str) -> tuple[str, str]:
    stem = Path(file_name).stem or "bulk"
    return f"{stem}_success.{file_format}", f"{stem}_failure.{file_format}"


def display_headers(headers: list[str], known: tuple[str, ...]) -> list[str]:
    """Known columns under their canonical names; extra columns as the file spelled them."""
    by_lower = {name.lower(): name for name in known}
    return [by_lower.get(h.strip().lower(), h.strip()) for h in headers]


def pad(cells: list[Any], width: int) -> list[Any]:
    return cells + [None] * (width - len(cells)) if len(cells) < width else cells


def text_at(cells: list[Any], index: int) -> str:
    return cell_text(cells[index]) if index < len(cells) else ""


def _batches(rows: Iterator[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    """The rows in batches of `size`, the first one smaller: the batches after it wait for
    its commit (see _Pipeline), so a small one gets the pipeline going sooner."""
    batch: list[list[Any]] = []
    limit = min(size, FIRST_BATCH_SIZE)
    for row in rows:
        batch.append(row)
        if len(batch) >= limit:
            yield batch
            batch, limit = [], size
    if batch:
        yield batch


def _chunk(job: Job, report: str, seq: int, rows: list[list[Any]]) -> dict[str, Any]:
    return _chunk_row(job, report, seq, len(rows), encode_rows(job.staged.file_format, rows))


def _chunk_row(job: Job, report: str, seq: int, row_count: int, body: str) -> dict[str, Any]:
    return {
        "seller_id": job.seller_id,
        "job_id": job.job_id,
        "report": report,
        "seq": seq,
        "row_count": row_count,
        "body": body,
    }


async def _batch_chunk(job: Job, report: str, seq: int, rows: list[list[Any]]) -> dict[str, Any]:
    """A saved batch's report chunk, its rows encoded a slice at a time (a chunk's text is its
    lines'), yielding between slices so the batch before, waiting to write, is not held up."""
    parts: list[str] = []
    for start in range(0, len(rows), YIELD_SLICE):
        await asyncio.sleep(0)
        parts.append(encode_rows(job.staged.file_format, rows[start : start + YIELD_SLICE]))
    return _chunk_row(job, report, seq, len(rows), "".join(parts))


class _EarlierBatchFailed(Exception):
    """A batch's save is abandoned because the batch before it failed (that error is raised)."""


@dataclass
class _BatchReport:
    """One saved batch's report rows and counts, as its transaction writes them."""

    success_rows: list[list[Any]]
    failure_rows: list[list[Any]]
    warn_count: int
    amount: int

    def counts(self) -> dict[str, int]:
        return {
            "total_count": len(self.success_rows) + len(self.failure_rows),
            "success_count": len(self.success_rows),
            "failure_count": len(self.failure_rows),
            "warn_count": self.warn_count,
            "total_amount": self.amount,
        }


class _Reports:
    """Turns a saved batch's outcomes into report rows, and counts committed batches into the
    summary (with its samples), in file order."""

    def __init__(
        self, job: Job, handler: RowHandler, headers: list[str], summary: JobSummary
    ) -> None:
        self.job, self.handler, self.summary, self.headers = job, handler, summary, headers
        self.success_headers = [*headers, *handler.success_columns]
        self.failure_headers = [*headers, "error"]

    def header_chunks(self) -> list[dict[str, Any]]:
        return [
            _chunk(self.job, SUCCESS, 0, [self.success_headers]),
            _chunk(self.job, FAILURE, 0, [self.failure_headers]),
        ]

    def of_batch(self, outcomes: list[Outcome], amount: int) -> _BatchReport:
        width = len(self.headers)
        success: list[list[Any]] = []
        failure: list[list[Any]] = []
        warned = 0
        for outcome in outcomes:
            cells = pad(outcome.cells, width)[:width]
            if outcome.errors:
                failure.append([*cells, "; ".join(outcome.errors)])
                continue
            warned += bool(outcome.warnings)
            success.append([*cells, *self.handler.success_cells(outcome)])
        return _BatchReport(success, failure, warned, amount)

    def committed(self, batch: _BatchReport) -> None:
        summary = self.summary
        for name, value in batch.counts().items():
            setattr(summary, name, getattr(summary, name) + value)
        for sample, headers, rows in (
            (summary.success_requests, self.success_headers, batch.success_rows),
            (summary.failure_requests, self.failure_headers, batch.failure_rows),
        ):
            if len(sample) < SAMPLE_SIZE:
                sample.extend(as_objects(headers, rows[: SAMPLE_SIZE - len(sample)]))
        kind = self.handler.kind
        ROWS_DONE.inc(len(batch.success_rows), kind=kind, outcome="saved")
        ROWS_DONE.inc(len(batch.failure_rows), kind=kind, outcome="failed")


async def _open_job(job: Job, kind: str, reports: _Reports) -> None:
    async with job.batch_scope.open() as session:
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
                created_by_id=job.created_by_id,
                created_at=job.now,
                heartbeat_at=utc_now(),
            )
        )
        await session.flush()
        await repository.add_chunks(session, reports.header_chunks())


async def run_job(job: Job, handler: RowHandler, table: Table, headers: list[str]) -> JobSummary:
    """Run a file whose whole-file checks passed: job row, batches, reports, summary, close."""
    summary = JobSummary(job_id=job.job_id, file_format=job.staged.file_format)
    summary.success_file_name, summary.failure_file_name = report_names(
        job.staged.file_name, job.staged.file_format
    )
    reports = _Reports(job, handler, headers, summary)
    started = time.monotonic()
    task = asyncio.current_task()
    if task is not None:
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
    # The lock is held before the job row is visible, so no other process takes it for dead.
    async with job.lock(job.job_id):
        await _open_job(job, handler.kind, reports)
        try:
            with _COLLECTOR.for_job():
                await _Pipeline(job, handler, reports, table.row_count).run(table.rows)
            extra = handler.finish()
        except BaseException:
            await close_job(job, summary, status=FAILED)
            JOB_SECONDS.observe(time.monotonic() - started, kind=handler.kind, status=FAILED)
            raise
        await close_job(job, summary, status=COMPLETED, extra=extra)
    JOB_SECONDS.observe(time.monotonic() - started, kind=handler.kind, status=COMPLETED)
    return summary


@dataclass
class _Batch:
    """One batch on its way to the database: the task saving it, and whether its look-ups are
    done (it then holds its transaction)."""

    task: "asyncio.Task[_BatchReport]"
    resolved: asyncio.Event


class _Pipeline:
    """Check batch N+1 while batch N's look-ups, writes and commit run in the database.

    The rows are checked here, cooperatively (handlers yield every few dozen rows so the saving
    tasks' round trips go on); each batch is saved by its own task, in its own transaction
    together with its report rows and the job's counts, and batches commit in file order.
    When the handler allows it and each batch has its own transaction, batch N+1 does its
    look-ups, its report rows and the writes that need nothing earlier batches write while
    batch N is still saving, and waits for N's commit only for the rest (`in_turn`): the
    database goes from one batch's numbered writes to the next's without waiting for Python.
    A batch opens its transaction once the batch before has done its look-ups (so the older
    batch always holds a connection before the younger asks for one); with at most
    `_IN_FLIGHT` batches held and one more being opened, a job holds three connections at most
    (one writing, one waiting its turn, one looking up): holding it to two would keep each
    batch from looking up until the one before had its turn.
    """

    def __init__(self, job: Job, handler: RowHandler, reports: _Reports, row_count: int) -> None:
        self.job, self.handler, self.reports, self.row_count = job, handler, reports, row_count
        self.in_flight: deque[_Batch] = deque()
        self.limit = _IN_FLIGHT if handler.overlaps else 0
        self.early_look_ups = handler.overlaps and job.batch_scope.own_transactions

    async def run(self, rows: Iterator[list[Any]]) -> None:
        in_flight = self.in_flight
        previous: _Batch | None = None
        try:
            for seq, batch in enumerate(_batches(rows, self.job.batch_size), start=1):
                checked = await self.handler.check(batch)
                resolved = asyncio.Event()
                task = asyncio.create_task(self._save_in_turn(previous, checked, seq, resolved))
                previous = _Batch(task, resolved)
                in_flight.append(previous)
                while in_flight and (in_flight[0].task.done() or len(in_flight) > self.limit):
                    await self._committed(in_flight.popleft())
            while in_flight:
                await self._committed(in_flight.popleft())
        except BaseException:
            for saved in in_flight:
                saved.task.cancel()
            if in_flight:
                await asyncio.wait([saved.task for saved in in_flight])
            raise

    async def _committed(self, saved: _Batch) -> None:
        await asyncio.wait([saved.task])
        self.reports.committed(saved.task.result())
        if self.job.progress is not None:
            self.job.progress(self.reports.summary.total_count, self.row_count)

    async def _save_in_turn(
        self, previous: _Batch | None, checked: Checked, seq: int, resolved: asyncio.Event
    ) -> _BatchReport:
        try:
            # The second batch waits for the first to commit: on a table that was empty, the
            # first batch's rows (and the statistics its handler took) plan the look-ups.
            early = self.early_look_ups and seq > 2
            if previous is not None:
                await _after(previous, resolved_only=early)
            job = self.job
            async with job.batch_scope.open() as session:
                amount = await self.handler.resolve(session, checked)
                resolved.set()
                batch = self.reports.of_batch(checked.outcomes, amount)
                await repository.add_chunks(
                    session,
                    [
                        await _batch_chunk(job, report, seq, rows)
                        for report, rows in (
                            (SUCCESS, batch.success_rows),
                            (FAILURE, batch.failure_rows),
                        )
                        if rows
                    ],
                )
                await repository.commit_lazily(session)
                in_turn = partial(_after, previous) if previous is not None and early else _now
                await self.handler.save(session, checked, in_turn)
                await in_turn()  # also when the handler had nothing to write in turn
                if not await repository.record_batch(
                    session,
                    seller_id=job.seller_id,
                    job_id=job.job_id,
                    counts=batch.counts(),
                    heartbeat_at=utc_now(),
                ):
                    raise JobClosedElsewhere(f"bulk job {job.job_id} was closed by another process")
            return batch
        finally:
            resolved.set()  # a batch that failed early lets the next one learn of it


async def _now() -> None:
    """Nothing to wait for: the batch before committed (or there is none)."""


async def _after(previous: _Batch, *, resolved_only: bool = False) -> None:
    """Wait until the batch before committed (or, `resolved_only`, finished its look-ups);
    raises _EarlierBatchFailed when it failed."""
    if resolved_only:
        await previous.resolved.wait()
    else:
        # asyncio.wait, not `await task`: cancelling this task must not cancel that one.
        await asyncio.wait([previous.task])
    task = previous.task
    if task.done() and (task.cancelled() or task.exception() is not None):
        raise _EarlierBatchFailed
