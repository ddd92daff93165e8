"""The delivery worker: runs the scheduler it is given, claims due messages, sends them, records
outcomes.

Exactly-once within the limits of the outside world: a message is claimed (leased) inside a
transaction that bumps its attempts and pushes its next attempt past the lease, so no other
worker sees it as due while it is being sent; on PostgreSQL the claim uses
`FOR UPDATE SKIP LOCKED`, so any number of workers split the due rows between them. Sending
happens outside any transaction. Only a crash between "the server accepted it" and "we recorded
SENT" can repeat a message, after the lease runs out; every message carries its delivery id
(`X-Khata-Delivery-Id`) so a receiver can drop such a repeat.
"""

import asyncio
import base64
import contextlib
import logging
import multiprocessing
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.config import Settings
from khata.db import is_sqlite, unit_of_work
from khata.delivery import repository
from khata.delivery.channels import PDF, Attachment, Channels, Envelope, SendFailed
from khata.delivery.outbox import CANCELLED, DEAD, DISPATCH, EMAIL, REMINDER, SENT
from khata.delivery.render import InvoiceLine, render, rupees, wire_date
from khata.document import TaxInvoice, pdf_file_name, render_pdf
from khata.kit.timeutil import utc_now
from khata.models import Delivery

log = logging.getLogger("khata.worker")

# The lease (how long a claimed message stays invisible to other workers while it is being
# sent) and the backoff base are settings: KHATA_DELIVERY_LEASE_SECONDS (600, far longer than
# the 30 s SMTP and gateway timeouts, so a live worker never loses its lease) and
# KHATA_DELIVERY_BACKOFF_SECONDS (60).
BATCH_SIZE = 100
CONCURRENCY = 8
# `khata serve` sets this when it wants the app to run the worker in-process.
EMBEDDED_WORKER_ENV = "KHATA_EMBEDDED_WORKER"


class ReminderScheduler(Protocol):
    """Queues the reminders due at `now` and says how many (reminder.scheduler). Passed in by
    whoever starts the worker: the reminder package sits above delivery, whose outbox it fills."""

    async def __call__(self, session: AsyncSession, *, now: datetime) -> int: ...


InvoiceKey = tuple[str, str]  # (seller id, invoice id)


class DocumentLoader(Protocol):
    """Reads the tax invoice documents of invoices as they are now (a deleted or unknown one is
    absent): invoice.document.load_tax_invoices, passed in by whoever starts the worker, as the
    invoice package sits above delivery. The dispatch e-mails attach them as PDFs."""

    async def __call__(
        self, session: AsyncSession, keys: Sequence[InvoiceKey]
    ) -> dict[InvoiceKey, TaxInvoice]: ...


@dataclass
class PassResult:
    reminders_queued: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0  # will be retried
    dead: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Prepared:
    delivery: Delivery
    envelope: Envelope | None
    cancel_reason: str | None = None
    render_error: str | None = None  # retried like a refused send, then DEAD
    documents: list[tuple[InvoiceKey, TaxInvoice]] = field(default_factory=list)  # as PDFs
    document_error: str | None = None  # the documents could not be read: sent without them

    def invoice_keys(self) -> list[InvoiceKey]:
        ids = self.envelope.invoice_ids if self.envelope else []
        return [(self.delivery.seller_id, invoice_id) for invoice_id in ids]

    @property
    def attaches_pdf(self) -> bool:
        """Only a dispatch e-mail carries the tax invoice: a text message cannot, and a reminder
        (which may list many invoices) links to them instead."""
        envelope = self.envelope
        return envelope is not None and envelope.channel == EMAIL and envelope.kind == DISPATCH


def _variables(
    delivery: Delivery,
    invoices: list[repository.InvoiceFacts],
    *,
    seller_name: str,
    contact_name: str | None,
    settings: Settings,
) -> dict[str, Any]:
    lines = [
        InvoiceLine(
            invoice_number=invoice.invoice_number,
            amount_due=rupees(invoice.balance_paise),
            due_date=wire_date(invoice.due_date),
            payment_link=(
                f"{settings.links_base_url}/pay/{invoice.payment_link_key}"
                if invoice.payment_link_key
                else None
            ),
        )
        for invoice in invoices
    ]
    variables: dict[str, Any] = dict(delivery.context or {})
    variables.update(
        seller_name=seller_name,
        customer_name=invoices[0].customer_name if invoices else "",
        contact_name=contact_name,
        kind=delivery.kind,
        stage=delivery.stage,
        invoices=lines,
        total_due=rupees(sum(invoice.balance_paise for invoice in invoices)),
    )
    return variables


async def _add_documents(
    session: AsyncSession, prepared: list[_Prepared], attach: DocumentLoader | None
) -> None:
    """The invoice documents the batch's dispatch e-mails attach, read in the claim's
    transaction; inside a savepoint, so a failing read costs those PDFs, never the claim."""
    wanting = [item for item in prepared if item.attaches_pdf]
    if attach is None or not wanting:
        return
    keys = [key for item in wanting for key in item.invoice_keys()]
    try:
        async with session.begin_nested():
            documents = await attach(session, keys)
    except Exception as exc:
        log.exception("the invoice documents of a batch could not be read")
        for item in wanting:
            item.document_error = f"reading the invoice: {type(exc).__name__}: {exc}"
        return
    for item in wanting:
        item.documents = [(key, documents[key]) for key in item.invoice_keys() if key in documents]


async def _claim_and_prepare(
    session: AsyncSession,
    *,
    now: datetime,
    settings: Settings,
    batch_size: int,
    attach: DocumentLoader | None = None,
) -> list[_Prepared]:
    """Claim a batch and render each message from what the database says right now."""
    lease = timedelta(seconds=settings.delivery_lease_seconds)
    claimed = await repository.claim_due(
        session, now=now, lease_until=now + lease, limit=batch_size
    )
    if not claimed:
        return []
    facts = await repository.invoice_facts(session, claimed)
    sellers = await repository.sellers_by_id(session, [d.seller_id for d in claimed])
    names = await repository.contact_names(
        session, [(d.seller_id, d.key_contact_id) for d in claimed if d.key_contact_id]
    )
    gone_rules = await repository.deleted_rules(
        session, [(d.seller_id, d.reminder_rule_id) for d in claimed if d.reminder_rule_id]
    )
    prepared: list[_Prepared] = []
    for delivery in claimed:
        invoices = facts.get((delivery.seller_id, delivery.id), [])
        if delivery.kind == REMINDER:
            # The send-time check: a reminder queued before a payment (or a cancellation,
            # deactivation, deletion) must not go out, and a grouped one lists only what is due.
            if delivery.reminder_rule_id in gone_rules:
                prepared.append(_Prepared(delivery, None, "reminder rule was deleted"))
                continue
            invoices = [invoice for invoice in invoices if invoice.still_due]
            if not invoices:
                prepared.append(
                    _Prepared(delivery, None, "invoices no longer due (paid, closed or removed)")
                )
                continue
        seller = sellers.get(delivery.seller_id)
        prepared.append(
            _prepare(
                delivery,
                invoices,
                seller_name=seller.legal_name if seller else "",
                contact_name=names.get((delivery.seller_id, delivery.key_contact_id or "")),
                settings=settings,
            )
        )
    await _add_documents(session, prepared, attach)
    return prepared


def _prepare(
    delivery: Delivery,
    invoices: list[repository.InvoiceFacts],
    *,
    seller_name: str,
    contact_name: str | None,
    settings: Settings,
) -> _Prepared:
    """The envelope of one claimed message: its stored text, or its template rendered now."""
    if delivery.body:
        subject, text, html = delivery.subject, delivery.body, delivery.html_body
    else:
        try:
            variables = _variables(
                delivery,
                invoices,
                seller_name=seller_name,
                contact_name=contact_name,
                settings=settings,
            )
            rendered = render(
                channel=delivery.channel,
                kind=delivery.kind,
                stage=delivery.stage,
                variables=variables,
            )
        except Exception as exc:
            # Raising here would roll back the whole claim, and the same broken message
            # would head every later batch: one bad template would stop all sending.
            log.exception("delivery %s could not be rendered", delivery.id)
            error = f"template {type(exc).__name__}: {exc}"[:2000]
            return _Prepared(delivery, None, render_error=error)
        subject, text, html = rendered.subject, rendered.text, rendered.html
    envelope = Envelope(
        delivery_id=delivery.id,
        seller_id=delivery.seller_id,
        channel=delivery.channel,
        kind=delivery.kind,
        stage=delivery.stage,
        recipient=delivery.recipient,
        subject=subject,
        text=text,
        html=html,
        invoice_ids=[invoice.invoice_id for invoice in invoices] or list(delivery.invoice_ids),
        invoice_numbers=[invoice.invoice_number for invoice in invoices],
        attachments=_stored_attachments(delivery),
    )
    return _Prepared(delivery, envelope)


def _stored_attachments(delivery: Delivery) -> tuple[Attachment, ...]:
    """A file queued with the message itself (a statement's PDF, made when it was asked for)."""
    stored = (delivery.context or {}).get("attachment")
    if not isinstance(stored, dict):
        return ()
    content = base64.b64decode(stored["base64"])
    return (Attachment(stored["fileName"], content, stored["mediaType"]),)


class _Sender:
    """Sends prepared messages (at most CONCURRENCY at once) and says what to record of each."""

    def __init__(
        self, channels: Channels, settings: Settings, result: PassResult, *, now: datetime
    ) -> None:
        self.channels = channels
        self.settings = settings
        self.result = result
        self.now = now
        self.started = time.monotonic()
        self.gate = asyncio.Semaphore(CONCURRENCY)
        # Each invoice's PDF rendered once per batch, however many contacts it goes to.
        self.pdfs: dict[InvoiceKey, asyncio.Future[Attachment]] = {}

    def current(self) -> datetime:
        """`now` plus the time the pass has been running (see run_pass)."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)

    async def send(self, item: _Prepared) -> dict[str, Any]:
        delivery = item.delivery
        change: dict[str, Any] = {"seller_id": delivery.seller_id, "id": delivery.id}
        if item.render_error is not None:
            return self._failed(change, delivery, item.render_error)
        if item.envelope is None:
            self.result.cancelled += 1
            return change | {"status": CANCELLED, "last_error": item.cancel_reason}
        async with self.gate:
            envelope, note = await self._with_pdfs(item.envelope, item)
            try:
                await self.channels.send(envelope)
            except SendFailed as exc:
                return self._failed(change, delivery, str(exc)[:2000])
            except Exception as exc:  # a bug in one message must not stop the others
                log.exception("delivery %s failed unexpectedly", delivery.id)
                return self._failed(change, delivery, f"{type(exc).__name__}: {exc}"[:2000])
        self.result.sent += 1
        return change | {
            "status": SENT,
            "sent_at": self.current(),
            "last_error": note,
            "subject": item.envelope.subject,
            "body": item.envelope.text,
            "html_body": item.envelope.html,
        }

    async def _with_pdfs(self, envelope: Envelope, item: _Prepared) -> tuple[Envelope, str | None]:
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
        return replace(envelope, attachments=attachments), None

    def _pdf(self, key: InvoiceKey, doc: TaxInvoice) -> asyncio.Future[Attachment]:
        if key not in self.pdfs:
            loop = asyncio.get_running_loop()
            renderer = _renderer(self.settings.pdf_render_processes)
            self.pdfs[key] = loop.run_in_executor(renderer, _pdf_attachment, doc)
        return self.pdfs[key]

    def _failed(self, change: dict[str, Any], delivery: Delivery, error: str) -> dict[str, Any]:
        """A refused send: tried again after an exponential backoff, or DEAD after the last."""
        self.result.errors.append(f"{delivery.id}: {error}")
        change["last_error"] = error
        if delivery.attempts >= self.settings.delivery_max_attempts:
            self.result.dead += 1
            change["status"] = DEAD
        else:
            self.result.failed += 1
            backoff = timedelta(seconds=self.settings.delivery_backoff_seconds)
            change["next_attempt_at"] = self.current() + backoff * (2**delivery.attempts)
        return change


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


async def _record(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    # Subject and bodies differ by presence between rows; group so each UPDATE executemany
    # shares one column set.
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        by_columns.setdefault(tuple(sorted(change)), []).append(change)
    for group in by_columns.values():
        await repository.record_outcomes(session, group)


async def run_pass(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    *,
    schedule: ReminderScheduler | None,
    attach: DocumentLoader | None = None,
    batch_size: int = BATCH_SIZE,
) -> PassResult:
    """One pass at `now`: queue due reminders (when given a scheduler), then send every message
    due at `now`, dispatch e-mails with their invoices' PDFs (when given a document loader).

    Messages that fail are given a next attempt after `now`, so a pass always ends. Times
    written (sentAt, next attempt) are `now` plus the time the pass has been running, so a
    pass at a fixed `now` (tests, `--now`) stays reproducible and a live one stays accurate.
    """
    result = PassResult()
    if schedule is not None:
        async with unit_of_work(session_factory) as session:
            result.reminders_queued = await schedule(session, now=now)
    async with httpx.AsyncClient(timeout=30.0) as http:
        sender = _Sender(Channels(settings, http), settings, result, now=now)
        while True:
            async with unit_of_work(session_factory) as session:
                batch = await _claim_and_prepare(
                    session, now=now, settings=settings, batch_size=batch_size, attach=attach
                )
            if not batch:
                break
            result.claimed += len(batch)
            changes = await asyncio.gather(*(sender.send(item) for item in batch))
            sender.pdfs.clear()
            async with unit_of_work(session_factory) as session:
                await _record(session, list(changes))
    return result


async def run_forever(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    schedule: ReminderScheduler | None,
    attach: DocumentLoader | None = None,
    interval: float = 30.0,
    clock: Callable[[], datetime] = utc_now,
    batch_size: int = BATCH_SIZE,
) -> None:
    """Passes every `interval` seconds until cancelled; a failing pass is logged, not fatal."""
    while True:
        try:
            result = await run_pass(
                session_factory,
                settings,
                clock(),
                schedule=schedule,
                attach=attach,
                batch_size=batch_size,
            )
            if result.claimed or result.reminders_queued:
                log.info(
                    "worker pass: %d reminders queued, %d sent, %d retrying, %d dead, %d cancelled",
                    result.reminders_queued,
                    result.sent,
                    result.failed,
                    result.dead,
                    result.cancelled,
                )
        except Exception:
            log.exception("worker pass failed; trying again in %s s", interval)
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def embedded_worker(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    schedule: ReminderScheduler,
    attach: DocumentLoader,
) -> AsyncIterator[None]:
    """Runs the worker beside the web app when `khata serve` asked for it (SQLite default)."""
    if os.environ.get(EMBEDDED_WORKER_ENV) != "1" or not is_sqlite(settings.database_url):
        yield
        return
    task = asyncio.create_task(
        run_forever(session_factory, settings, schedule=schedule, attach=attach),
        name="khata-worker",
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
