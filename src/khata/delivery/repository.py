"""Every query of the delivery domain: claiming due messages, renewing and releasing claims,
recording outcomes, listings."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from khata.kit.sql import one_of
from khata.models import (
    Customer,
    Delivery,
    DeliveryInvoice,
    Invoice,
    KeyContact,
    ReminderRule,
    Seller,
    WebhookDelivery,
)
from khata.models.customer import CustomerStatus
from khata.models.delivery import DeliveryChannel, DeliveryStatus
from khata.models.invoice import FINAL_STATUSES, BuyerResponse, ReceivableStatus


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[str]:
    """Insert the delivery rows whose dedupe key is new; answers the ids really inserted.

    ON CONFLICT DO NOTHING instead of read-then-insert: two workers' schedulers queueing the
    same reminder at once must not fail each other's transaction; RETURNING names the rows
    that are really new, so only they get invoice links."""
    return list((await session.execute(_insert_new(session), rows)).scalars())


def _insert_new(session: AsyncSession) -> ReturningInsert[str]:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return (
            postgresql_insert(Delivery)
            .on_conflict_do_nothing(index_elements=["seller_id", "dedupe_key"])
            .returning(Delivery.id)
        )
    return (
        sqlite_insert(Delivery)
        .on_conflict_do_nothing(index_elements=["seller_id", "dedupe_key"])
        .returning(Delivery.id)
    )


async def insert_invoice_links(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(DeliveryInvoice), rows)


# A claim: (seller id, delivery id, claim token).
Claim = tuple[str, str, str]
# The outboxes the worker claims from, by the same rules: messages and webhook deliveries. Both
# have seller_id, id, status (PENDING while due), attempts, next_attempt_at and claim_token.
Outbox = TypeVar("Outbox", Delivery, WebhookDelivery)
PENDING = DeliveryStatus.PENDING.value


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    worker_id: str,
    table: type[Outbox],
) -> list[Outbox]:
    """Take up to `limit` PENDING rows of `table` due at `now` and lease them to `worker_id` in
    the caller's transaction: attempts + 1, the next attempt pushed to `lease_until` (so no
    other worker sees them as due), and a claim token "<worker id>#<attempt>" that the outcome
    must match.

    On PostgreSQL the rows are locked with SKIP LOCKED: concurrent workers each get different
    rows instead of waiting. On SQLite the transaction already holds the write lock.
    """
    query = (
        select(table)
        .where(table.status == PENDING, table.next_attempt_at <= now)
        .order_by(table.next_attempt_at)
        .limit(limit)
        # SQLite renders no FOR UPDATE: its BEGIN IMMEDIATE transaction holds the write lock.
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.execute(query)).scalars())
    if not rows:
        return []
    # The unit of work batches these into one executemany UPDATE.
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = lease_until
        row.claim_token = f"{worker_id}#{row.attempts}"
    await session.flush()
    return rows


def _held(table: type[Outbox], claims: Sequence[Claim]) -> ColumnElement[bool]:
    """SQL: the row is still PENDING under one of these claims (found by primary key)."""
    return and_(
        tuple_(table.seller_id, table.id, table.claim_token).in_(list(claims)),
        table.status == PENDING,
    )


async def renew_claims(
    session: AsyncSession,
    claims: Sequence[Claim],
    *,
    lease_until: datetime,
    table: type[Outbox],
) -> set[tuple[str, str]]:
    """Push the lease of the claims still held to `lease_until`; answers the (seller id,
    delivery id) of those, so the caller learns which it has lost (one statement)."""
    if not claims:
        return set()
    query = (
        update(table)
        .where(_held(table, claims))
        .values(next_attempt_at=lease_until)
        .returning(table.seller_id, table.id)
        .execution_options(synchronize_session=False)
    )
    return {(seller_id, delivery_id) for seller_id, delivery_id in await session.execute(query)}


async def record_outcome(
    session: AsyncSession, claim: Claim, values: dict[str, Any], *, table: type[Outbox]
) -> bool:
    """Write one message's outcome, only if its claim is still the row's current one; answers
    whether it was written (False: the lease ran out and another worker took the row)."""
    query = (
        update(table)
        .where(_held(table, [claim]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(query)
    return bool(getattr(result, "rowcount", 0) == 1)


async def release_claims(
    session: AsyncSession, claims: Sequence[Claim], *, now: datetime, table: type[Outbox]
) -> int:
    """Give back claims whose message was never sent: due again at `now` for any worker, and
    the attempt that did not happen is not counted. Answers how many were still held."""
    if not claims:
        return 0
    query = (
        update(table)
        .where(_held(table, claims))
        .values(next_attempt_at=now, attempts=table.attempts - 1, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(query)
    return int(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class InvoiceFacts:
    """What a message says about one invoice, and whether its reason to be sent still holds."""

    seller_id: str
    invoice_id: str
    invoice_number: str
    customer_id: str
    customer_name: str
    balance_paise: int
    due_date: date
    payment_link_key: str | None
    receivable_status: str
    gone: str | None  # why nothing may be sent about it at all (deleted, cancelled, ...)
    not_due: str | None  # why it is no longer worth reminding of (None: still due)


async def invoice_facts(
    session: AsyncSession, deliveries: Sequence[Delivery]
) -> dict[tuple[str, str], list[InvoiceFacts]]:
    """The invoices each delivery speaks of, keyed by (seller_id, delivery_id): one query."""
    keys = [(d.seller_id, d.id) for d in deliveries]
    if not keys:
        return {}
    query = (
        select(DeliveryInvoice.seller_id, DeliveryInvoice.delivery_id, Invoice, Customer)
        .join(
            Invoice,
            and_(
                Invoice.seller_id == DeliveryInvoice.seller_id,
                Invoice.id == DeliveryInvoice.invoice_id,
            ),
        )
        .join(
            Customer,
            and_(Customer.seller_id == Invoice.seller_id, Customer.id == Invoice.customer_id),
        )
        .where(tuple_(DeliveryInvoice.seller_id, DeliveryInvoice.delivery_id).in_(keys))
        .order_by(Invoice.due_date, Invoice.invoice_number)
    )
    facts: dict[tuple[str, str], list[InvoiceFacts]] = {}
    for seller_id, delivery_id, invoice, customer in await session.execute(query):
        facts.setdefault((seller_id, delivery_id), []).append(
            InvoiceFacts(
                seller_id=seller_id,
                invoice_id=invoice.id,
                invoice_number=invoice.invoice_number,
                customer_id=customer.id,
                customer_name=customer.legal_name,
                balance_paise=invoice.balance_amount,
                due_date=invoice.due_date,
                payment_link_key=invoice.payment_link_key,
                receivable_status=invoice.receivable_status,
                gone=gone_reason(invoice, customer),
                not_due=not_due_reason(invoice, customer),
            )
        )
    return facts


def gone_reason(invoice: Invoice, customer: Customer) -> str | None:
    """Why no message at all may go out about the invoice any more, or None."""
    if invoice.deleted:
        return "deleted"
    if invoice.receivable_status == ReceivableStatus.CANCELLED:
        return "cancelled"
    if customer.deleted:
        return "customer deleted"
    if customer.status != CustomerStatus.ACTIVE:
        return "customer inactive"
    return None


def not_due_reason(invoice: Invoice, customer: Customer) -> str | None:
    """Why the invoice is no longer worth reminding of, or None while it is."""
    gone = gone_reason(invoice, customer)
    if gone is not None:
        return gone
    if invoice.balance_amount <= 0 and invoice.total_written_off > 0:
        return "written off"
    if invoice.receivable_status == ReceivableStatus.PAID or invoice.balance_amount <= 0:
        return "paid"
    if invoice.receivable_status in FINAL_STATUSES:
        return invoice.receivable_status.lower()
    if not invoice.dispatched:
        return "not dispatched"
    if invoice.buyer_response == BuyerResponse.DISPUTED:
        return "disputed by the buyer"
    return None


def is_still_due(invoice: Invoice, customer: Customer) -> bool:
    return not_due_reason(invoice, customer) is None


async def deleted_rules(session: AsyncSession, rule_keys: Sequence[tuple[str, str]]) -> set[str]:
    """Ids of the given reminder rules that were deleted since their message was queued."""
    if not rule_keys:
        return set()
    query = select(ReminderRule.id).where(
        tuple_(ReminderRule.seller_id, ReminderRule.id).in_(list(rule_keys)),
        ReminderRule.deleted.is_(True),
    )
    return set((await session.execute(query)).scalars())


async def sellers_by_id(session: AsyncSession, seller_ids: Sequence[str]) -> dict[str, Seller]:
    if not seller_ids:
        return {}
    query = select(Seller).where(Seller.id.in_(list(set(seller_ids))))
    return {seller.id: seller for seller in (await session.execute(query)).scalars()}


async def contacts_by_key(
    session: AsyncSession, contact_keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], KeyContact]:
    """The key contacts of the given (seller id, contact id), as they are now: one query."""
    if not contact_keys:
        return {}
    query = select(KeyContact).where(
        tuple_(KeyContact.seller_id, KeyContact.id).in_(list(set(contact_keys)))
    )
    return {(c.seller_id, c.id): c for c in (await session.execute(query)).scalars()}


async def invoice_exists(session: AsyncSession, *, seller_id: str, invoice_id: str) -> bool:
    return await session.get(Invoice, (seller_id, invoice_id)) is not None


async def deliveries_of_invoice(
    session: AsyncSession, *, seller_id: str, invoice_id: str
) -> list[Delivery]:
    """Every message that speaks of the invoice (grouped reminders included), oldest first."""
    query = (
        select(Delivery)
        .join(
            DeliveryInvoice,
            and_(
                DeliveryInvoice.seller_id == Delivery.seller_id,
                DeliveryInvoice.delivery_id == Delivery.id,
            ),
        )
        .where(DeliveryInvoice.seller_id == seller_id, DeliveryInvoice.invoice_id == invoice_id)
        .order_by(Delivery.created_at, Delivery.id)
    )
    return list((await session.execute(query)).scalars())


async def sent_emails(
    session: AsyncSession, *, seller_id: str, invoice_ids: Sequence[str]
) -> dict[str, list[tuple[str, datetime]]]:
    """(recipient, sent_at) of every SENT email per invoice, oldest first: one query."""
    if not invoice_ids:
        return {}
    query = (
        select(DeliveryInvoice.invoice_id, Delivery.recipient, Delivery.sent_at)
        .join(
            Delivery,
            and_(
                Delivery.seller_id == DeliveryInvoice.seller_id,
                Delivery.id == DeliveryInvoice.delivery_id,
            ),
        )
        .where(
            DeliveryInvoice.seller_id == seller_id,
            DeliveryInvoice.invoice_id.in_(list(invoice_ids)),
            Delivery.channel == DeliveryChannel.EMAIL,
            Delivery.status == DeliveryStatus.SENT,
        )
        .order_by(Delivery.sent_at, Delivery.id)
    )
    sent: dict[str, list[tuple[str, datetime]]] = {}
    for invoice_id, recipient, sent_at in await session.execute(query):
        if sent_at is not None:
            sent.setdefault(invoice_id, []).append((recipient, sent_at))
    return sent


async def mails_sent(
    session: AsyncSession, seller_id: str, invoice_ids: Sequence[str]
) -> dict[str, list[tuple[str, datetime]]]:
    """Each invoice's e-mails the worker has sent: (recipient, sent_at), oldest first."""
    found: dict[str, list[tuple[str, datetime]]] = {invoice_id: [] for invoice_id in invoice_ids}
    if not invoice_ids:
        return found
    result = await session.execute(
        select(DeliveryInvoice.invoice_id, Delivery.recipient, Delivery.sent_at)
        .join(
            Delivery,
            (Delivery.seller_id == DeliveryInvoice.seller_id)
            & (Delivery.id == DeliveryInvoice.delivery_id),
        )
        .where(
            DeliveryInvoice.seller_id == seller_id,
            one_of(session, DeliveryInvoice.invoice_id, invoice_ids),
            Delivery.channel == DeliveryChannel.EMAIL,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.sent_at.is_not(None),
        )
        .order_by(Delivery.sent_at, Delivery.id)
    )
    for invoice_id, recipient, sent_at in result:
        if sent_at is not None:
            found[invoice_id].append((recipient, sent_at))
    return found


@dataclass(frozen=True)
class QueueFigures:
    """The delivery queue as /metrics shows it (read only)."""

    by_status: dict[str, int]
    due: int  # PENDING and due by now: what the workers have yet to send
    oldest_pending_at: datetime | None  # creation of the oldest PENDING message


async def queue_figures(session: AsyncSession, *, now: datetime) -> QueueFigures:

    by_status = await session.execute(
        select(Delivery.status, func.count()).group_by(Delivery.status)
    )
    pending = Delivery.status == DeliveryStatus.PENDING.value
    due = await session.scalar(
        select(func.count()).select_from(Delivery).where(pending, Delivery.next_attempt_at <= now)
    )
    oldest = await session.scalar(select(func.min(Delivery.created_at)).where(pending))
    return QueueFigures(
        by_status={status: int(count) for status, count in by_status.all()},
        due=int(due or 0),
        oldest_pending_at=oldest,
    )
