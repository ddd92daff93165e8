"""The delivery worker: runs the scheduler it is given, claims due messages, sends them, records
each outcome the moment it is known.

Exactly once within the limits of the outside world: a message is claimed inside a transaction
that bumps its attempts, pushes its next attempt past a lease taken from the clock at that
moment, and writes a claim token (claims.py); on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so
any number of workers split the due rows between them. A heartbeat renews the leases while the
sends run, however long; each outcome is written in a transaction of its own as soon as its send
returns, and only while the claim is still this worker's. So a message goes out twice only when
its worker died (or stalled past its lease) while that very send was in flight; every message
carries its delivery id (`Message-ID`, `X-Khata-Delivery-Id`, the gateways' `deliveryId`) so a
receiver can drop such a repeat.
"""

import asyncio
import contextlib
import logging
import multiprocessing
import os
import time
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.config import Settings
from khata.db import is_sqlite, unit_of_work
from khata.delivery.channels import PDF, Attachment, Channels, Envelope, SendFailed
from khata.delivery.claims import Claims, Clock, new_worker_id
from khata.delivery.outbox import CANCELLED, DEAD, SENT
from khata.delivery.prepare import DocumentLoader, InvoiceKey, Prepared, prepare_claimed
from khata.document import TaxInvoice, pdf_file_name, render_pdf
from khata.kit.timeutil import utc_now
from khata.models import Delivery, WebhookDelivery

log = logging.getLogger("khata.worker")

# The lease (how long a claimed message stays invisible to other workers unless renewed) and the
# backoff base are settings: KHATA_DELIVERY_LEASE_SECONDS (600; the heartbeat renews it every
# third of it, so it only bounds how soon a dead worker's claims are taken over) and
# KHATA_DELIVERY_BACKOFF_SECONDS (60).
BATCH_SIZE = 100
CONCURRENCY = 8
# `khata serve` sets this when it wants the app to run the worker in-process.
EMBEDDED_WORKER_ENV = "KHATA_EMBEDDED_WORKER"
# How long a stopping worker waits for its sends in flight (SMTP and gateways time out at 30 s).
STOP_GRACE_SECONDS = 40.0

__all__ = [
    "DocumentLoader",
    "PassResult",
    "ReminderScheduler",
    "WebhookSender",
    "advancing_from",
    "run_forever",
    "run_pass",
    "run_webhook_pass",
]


class ReminderScheduler(Protocol):
    """Queues the reminders due at `now` and says how many (reminder.scheduler). Passed in by
    whoever starts the worker: the reminder package sits above delivery, whose outbox it fills."""

    async def __call__(self, session: AsyncSession, *, now: datetime) -> int: ...


class WebhookSender(Protocol):
    """Sends the due webhook deliveries, claimed through the `claims` given (webhook.sender).
    Passed in like the scheduler: the webhook package sits above delivery, whose claims it uses."""

    async def __call__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        claims: Claims[WebhookDelivery],
        result: "PassResult",
        stop: asyncio.Event | None,
        batch_size: int,
    ) -> None: ...


@dataclass
class PassResult:
    reminders_queued: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0  # will be retried
    dead: int = 0
    cancelled: int = 0
    released: int = 0  # claimed but left unsent by a stop: given back
    lost: int = 0  # claims another worker took over: outcome not recorded by this one
    errors: list[str] = field(default_factory=list)
    webhooks: "PassResult | None" = None  # the same counts for webhook deliveries


def advancing_from(now: datetime) -> Clock:
    """A clock that starts at `now` and moves on with the time that really passes: a pass at a
    fixed moment (tests, `--now`) stays reproducible, and its leases and send times stay
    true to how long it has been running."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


class _Sender:
    """Sends prepared messages (at most CONCURRENCY at once) and records each outcome the moment
    it is known, in a transaction of its own, through the claims."""

    def __init__(
        self,
        channels: Channels,
        settings: Settings,
        result: PassResult,
        *,
        claims: Claims[Delivery],
        stop: asyncio.Event | None,
    ) -> None:
        self.channels = channels
        self.settings = settings
        self.result = result
        self.claims = claims
        self.stop = stop
        self.gate = asyncio.Semaphore(CONCURRENCY)
        # Each invoice's PDF rendered once per batch, however many contacts it goes to.
        self.pdfs: dict[InvoiceKey, asyncio.Future[Attachment]] = {}

    async def send(self, item: Prepared) -> None:
        if item.render_error is not None:
            await self._record(item, self._failed(item.delivery, item.render_error))
            return
        if item.envelope is None:
            self.result.cancelled += 1
            await self._record(item, {"status": CANCELLED, "last_error": item.cancel_reason})
            return
        async with self.gate:
            if self.stop is not None and self.stop.is_set():
                return  # never started: its claim is released at the end of the pass
            if not self.claims.holds(item.key):
                self.result.lost += 1  # taken over while it waited: not ours to send
                return
            values = await self._send(item, item.envelope)
        await self._record(item, values)

    async def _send(self, item: Prepared, envelope: Envelope) -> dict[str, Any]:
        delivery = item.delivery
        envelope, note = await self._with_pdfs(envelope, item)
        try:
            await self.channels.send(envelope)
        except SendFailed as exc:
            return self._failed(delivery, str(exc)[:2000])
        except Exception as exc:  # a bug in one message must not stop the others
            log.exception("delivery %s failed unexpectedly", delivery.id)
            return self._failed(delivery, f"{type(exc).__name__}: {exc}"[:2000])
        self.result.sent += 1
        return {
            "status": SENT,
            "sent_at": self.claims.clock(),
            "last_error": note,
            "subject": envelope.subject,
            "body": envelope.text,
            "html_body": envelope.html,
        }

    async def _record(self, item: Prepared, values: dict[str, Any]) -> None:
        try:
            if not await self.claims.record(item.key, values):
                self.result.lost += 1
        except Exception:  # the database is away: the claim runs out and the row is retried
            log.exception("delivery %s: the outcome could not be recorded", item.delivery.id)
            self.result.errors.append(f"{item.delivery.id}: outcome not recorded")

    async def _with_pdfs(self, envelope: Envelope, item: Prepared) -> tuple[Envelope, str | None]:
        """The envelope with its invoices' PDFs, rendered now; and what to note when they
        could not be made. Such a message goes without them rather than not at all: its link
        shows the invoice, and retrying would not mend a document that cannot be rendered."""
        if item.document_error is not None:
            return envelope, f"sent without the invoice PDF ({item.document_error})"[:2000]
        if not item.documents:
            return envelope, None
        try:
            attachments = tuple([await self._pdf(key, doc) for key, doc in item.documents])
        except Exception as exc:
            log.exception("delivery %s: the invoice PDF could not be rendered", item.delivery.id)
            return envelope, f"sent without the invoice PDF ({type(exc).__name__}: {exc})"[:2000]
        return replace(envelope, attachments=envelope.attachments + attachments), None

    def _pdf(self, key: InvoiceKey, doc: TaxInvoice) -> asyncio.Future[Attachment]:
        if key not in self.pdfs:
            loop = asyncio.get_running_loop()
            renderer = _renderer(self.settings.pdf_render_processes)
            self.pdfs[key] = loop.run_in_executor(renderer, _pdf_attachment, doc)
        return self.pdfs[key]

    def _failed(self, delivery: Delivery, error: str) -> dict[str, Any]:
        """A refused send: tried again after an exponential backoff, or DEAD after the last."""
        self.result.errors.append(f"{delivery.id}: {error}")
        if delivery.attempts >= self.settings.delivery_max_attempts:
            self.result.dead += 1
            return {"status": DEAD, "last_error": error}
        self.result.failed += 1
        backoff = timedelta(seconds=self.settings.delivery_backoff_seconds)
        return {
            "last_error": error,
            "next_attempt_at": self.claims.clock() + backoff * (2**delivery.attempts),
        }


@cache
def _renderer(processes: int) -> Executor:
    """Where PDFs are rendered: `processes` spawned processes beside the worker (started on
    first use and kept), so rendering runs on another core instead of taking turns with sending
    on the interpreter lock; with 0, one thread of the worker."""
    if processes <= 0:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="khata-pdf")
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=processes, mp_context=context)


def _pdf_attachment(doc: TaxInvoice) -> Attachment:
    return Attachment(pdf_file_name(doc.invoice_number), render_pdf(doc), PDF)


async def run_pass(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
    *,
    schedule: ReminderScheduler | None,
    attach: DocumentLoader | None = None,
    batch_size: int = BATCH_SIZE,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
    worker_id: str | None = None,
    webhooks: WebhookSender | None = None,
) -> PassResult:
    """One pass: queue the reminders due at `now` (when given a scheduler), then send every
    message due, dispatch e-mails with their invoices' PDFs (when given a document loader).

    Every lease, send time and next attempt is read from `clock` when it happens (by default
    `now`, moving on as the pass runs). Messages that fail get a next attempt after the
    backoff, so a pass ends. When `stop` is set, no more messages are started: those in flight
    finish and are recorded, and the claims of the others are given back.
    """
    clock = clock or advancing_from(now or utc_now())
    result = PassResult()
    if schedule is not None:
        async with unit_of_work(session_factory) as session:
            result.reminders_queued = await schedule(session, now=now or clock())
    worker_id = worker_id or new_worker_id()
    claims = Claims(session_factory, settings, clock=clock, worker_id=worker_id, table=Delivery)
    async with httpx.AsyncClient(timeout=30.0) as http, claims.heartbeat():
        sender = _Sender(Channels(settings, http), settings, result, claims=claims, stop=stop)
        while stop is None or not stop.is_set():
            async with unit_of_work(session_factory) as session:
                rows = await claims.claim(session, limit=batch_size)
                batch = await prepare_claimed(session, rows, settings=settings, attach=attach)
            claims.hold(rows)
            if not batch:
                break
            result.claimed += len(batch)
            await asyncio.gather(*(sender.send(item) for item in batch))
            sender.pdfs.clear()
        result.released = await claims.release()
    if webhooks is not None:
        result.webhooks = await run_webhook_pass(
            webhooks, session_factory, settings, clock=clock, worker_id=worker_id, stop=stop
        )
    return result


async def run_webhook_pass(
    webhooks: WebhookSender,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    clock: Clock,
    worker_id: str,
    stop: asyncio.Event | None = None,
) -> PassResult:
    """The webhook deliveries due, under the same claim rules as the messages: claimed under a
    lease renewed by a heartbeat, each outcome recorded only by the claim's holder, the claims
    of deliveries not started given back at the end."""
    result = PassResult()
    claims = Claims(
        session_factory, settings, clock=clock, worker_id=worker_id, table=WebhookDelivery
    )
    async with claims.heartbeat():
        try:
            await webhooks(
                session_factory,
                settings,
                claims=claims,
                result=result,
                stop=stop,
                batch_size=BATCH_SIZE,
            )
        finally:
            result.released = await claims.release()
    return result


async def run_forever(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    schedule: ReminderScheduler | None,
    attach: DocumentLoader | None = None,
    interval: float = 30.0,
    clock: Clock = utc_now,
    batch_size: int = BATCH_SIZE,
    stop: asyncio.Event | None = None,
    webhooks: WebhookSender | None = None,
) -> None:
    """Passes every `interval` seconds until `stop` is set (or the task is cancelled); a failing
    pass is logged, not fatal. One worker id for the run, so its claims say which process."""
    stop = stop or asyncio.Event()
    worker_id = new_worker_id()
    log.info("worker %s started", worker_id)
    while not stop.is_set():
        try:
            result = await run_pass(
                session_factory,
                settings,
                clock(),
                schedule=schedule,
                attach=attach,
                batch_size=batch_size,
                clock=clock,
                stop=stop,
                worker_id=worker_id,
                webhooks=webhooks,
            )
            if result.claimed or result.reminders_queued:
                log.info(
                    "worker pass: %d reminders queued, %d sent, %d retrying, %d dead, "
                    "%d cancelled, %d released, %d lost",
                    result.reminders_queued,
                    result.sent,
                    result.failed,
                    result.dead,
                    result.cancelled,
                    result.released,
                    result.lost,
                )
            hooks = result.webhooks
            if hooks is not None and hooks.claimed:
                log.info(
                    "worker pass: webhooks %d delivered, %d retrying, %d dead, %d cancelled, "
                    "%d lost",
                    hooks.sent,
                    hooks.failed,
                    hooks.dead,
                    hooks.cancelled,
                    hooks.lost,
                )
        except Exception:
            log.exception("worker pass failed; trying again in %s s", interval)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    log.info("worker %s stopped", worker_id)


@contextlib.asynccontextmanager
async def embedded_worker(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    schedule: ReminderScheduler,
    attach: DocumentLoader,
    webhooks: WebhookSender | None = None,
) -> AsyncIterator[None]:
    """Runs the worker beside the web app when `khata serve` asked for it (SQLite default); on
    shutdown its sends in flight finish and its other claims are given back."""
    if os.environ.get(EMBEDDED_WORKER_ENV) != "1" or not is_sqlite(settings.database_url):
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_forever(
            session_factory,
            settings,
            schedule=schedule,
            attach=attach,
            stop=stop,
            webhooks=webhooks,
        ),
        name="khata-worker",
    )
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=STOP_GRACE_SECONDS)
        except TimeoutError:
            log.warning("the embedded worker did not stop in %s s", STOP_GRACE_SECONDS)
