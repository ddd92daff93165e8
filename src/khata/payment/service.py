"""Payment rules: reporting a payment against invoices, and accepting or rejecting it.

Every path that moves money locks the invoice rows first (`SELECT ... FOR UPDATE`, in id
order), then reads what other pending payments already claim, so concurrent payments can
never allocate more than an invoice's balance.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import service as audit
from khata.auth.service import Caller
from khata.db import Reads
from khata.invoice import repository as invoice_repository
from khata.invoice.errors import InvoiceNotFound
from khata.invoice.settlement import settle
from khata.invoice.snapshot import record_change, snapshot
from khata.invoice.status import ReceivableStatus, status_wire
from khata.invoice.validation import amount_paise
from khata.invoice.webhook_events import record_invoice_events
from khata.kit.errors import FieldError, RuleViolation, ValidationFailed
from khata.kit.ids import new_object_id
from khata.kit.money import from_paise, wire_paise
from khata.kit.timeutil import enkash_timestamp, local_date
from khata.models import Invoice, Payment, PaymentAllocation
from khata.models.audit_entry import AuditAction
from khata.models.payment import PaymentStatus, PaymentType
from khata.payment import repository
from khata.payment.errors import (
    ConfirmationConflict,
    DuplicatePayment,
    InvoiceNotPayable,
    OverAllocation,
    PartialPaymentNotAllowed,
    PaymentNotFound,
)
from khata.payment.schemas import PaymentConfirmation, PaymentReport
from khata.webhook import events
from khata.webhook.events import Event, EventType

PAYABLE = frozenset(
    {
        ReceivableStatus.CREATED,
        ReceivableStatus.SENT_TO_BUYER,
        ReceivableStatus.PAYMENT_INITIATED,
        ReceivableStatus.PARTIALLY_PAID,
    }
)
ENTITY = "payment"


def _payment_snapshot(payment: Payment) -> dict[str, Any]:
    return {
        "paymentId": payment.payment_ref,
        "type": payment.type,
        "amount": wire_paise(payment.amount),
        "status": payment.status,
        "remarks": payment.remarks,
    }


async def report_payment(
    session: AsyncSession,
    *,
    caller: Caller,
    data: PaymentReport,
    now: datetime,
    reported_by_buyer: bool = False,
) -> Payment:
    """A payment awaiting the seller's confirmation; `reported_by_buyer` when it comes from the
    invoice's payment page rather than the seller's systems."""
    total, shares = _checked_shares(data)
    seller_id = caller.seller_id
    invoices = await invoice_repository.get_invoices(
        session, seller_id, [invoice_id for invoice_id, _ in shares], for_update=True
    )
    for invoice_id, _ in shares:
        if invoice_id not in invoices:
            raise InvoiceNotFound(invoice_id)
    if await repository.get_by_ref(session, seller_id, data.paymentId) is not None:
        raise DuplicatePayment(data.paymentId)
    pending = await repository.pending_amounts(session, seller_id, list(invoices))
    for invoice_id, paise in shares:
        _check_payable(invoices[invoice_id], paise, pending.get(invoice_id, 0))
    payment = _new_payment(caller, data, total, now)
    payment.reported_by_buyer = reported_by_buyer
    session.add(payment)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same paymentId reported concurrently
        raise DuplicatePayment(data.paymentId) from exc
    for invoice_id, paise in shares:
        session.add(
            PaymentAllocation(
                seller_id=seller_id,
                id=new_object_id(now.timestamp()),
                payment_id=payment.id,
                invoice_id=invoice_id,
                amount=paise,
            )
        )
        _initiate_payment(session, caller, invoices[invoice_id], now, data.paymentId)
    audit.record(
        session,
        caller=caller,
        seller_id=seller_id,
        entity_type=ENTITY,
        entity_id=payment.id,
        action=AuditAction.REPORTED,
        now=now,
        after={**_payment_snapshot(payment), "invoices": {i: wire_paise(p) for i, p in shares}},
    )
    await session.flush()
    await _record_events(session, caller, payment, [], EventType.PAYMENT_REPORTED, now)
    return payment


def _checked_shares(data: PaymentReport) -> tuple[int, list[tuple[str, int]]]:
    """The payment's total and its (invoice id, paise) shares, or every field error: amounts
    above zero, no invoice twice, shares adding up to the total."""
    errors: list[FieldError] = []
    total = amount_paise("amount", data.amount, errors, required=True)
    if total == 0:
        errors.append(FieldError("amount", "must be greater than 0", 0))
    shares: list[tuple[str, int]] = []
    seen: set[str] = set()
    for index, allocation in enumerate(data.invoices):
        field = f"invoices[{index}].amount"
        paise = amount_paise(field, allocation.amount, errors, required=True)
        if paise == 0:
            errors.append(FieldError(field, "must be greater than 0", 0))
        if allocation.invoiceId in seen:
            errors.append(
                FieldError(f"invoices[{index}].invoiceId", "is repeated", allocation.invoiceId)
            )
        seen.add(allocation.invoiceId)
        if paise is not None:
            shares.append((allocation.invoiceId, paise))
    if not errors and total != sum(paise for _, paise in shares):
        errors.append(
            FieldError("amount", "must equal the sum of the invoice amounts", data.amount)
        )
    if errors:
        raise ValidationFailed(errors)
    assert total is not None  # required: a missing amount is an error above
    return total, shares


def _check_payable(invoice: Invoice, paise: int, pending_paise: int) -> None:
    """A share fits its invoice: a payable status, within what other pending payments leave
    open, and the whole of it unless the invoice allows partial payment."""
    if invoice.receivable_status not in PAYABLE:
        raise InvoiceNotPayable(invoice.id, invoice.receivable_status)
    still_open = invoice.balance_amount - pending_paise
    if paise > still_open:
        raise OverAllocation(invoice.id, str(from_paise(max(still_open, 0))))
    if paise < still_open and not invoice.partial_payment_allowed:
        raise PartialPaymentNotAllowed(invoice.id, str(from_paise(still_open)))


def _new_payment(caller: Caller, data: PaymentReport, total: int, now: datetime) -> Payment:
    return Payment(
        seller_id=caller.seller_id,
        id=new_object_id(now.timestamp()),
        payment_ref=data.paymentId,
        type=data.type,
        mode=data.mode,
        utr=data.utr,
        amount=total,
        paid_on=data.paidOn,
        status=PaymentStatus.PENDING_CONFIRMATION.value,
        remarks=None,
        confirmed_at=None,
        created_by_id=caller.principal.id,
        created_by_name=caller.principal.name,
        created_at=now,
        updated_at=now,
    )


def _initiate_payment(
    session: AsyncSession, caller: Caller, invoice: Invoice, now: datetime, payment_ref: str
) -> None:
    """PAYMENT_INITIATED while a reported payment awaits confirmation, audited."""
    before = snapshot(invoice)
    if invoice.receivable_status != ReceivableStatus.PAYMENT_INITIATED:
        # Remembered so a rejection can put the invoice back where it was.
        invoice.status_before_payment = invoice.receivable_status
        invoice.receivable_status = ReceivableStatus.PAYMENT_INITIATED.value
    record_change(
        session,
        invoice,
        caller=caller,
        action=AuditAction.PAYMENT_REPORTED,
        now=now,
        before=before,
        paymentId=payment_ref,
    )


async def confirm_payment(
    session: AsyncSession, *, caller: Caller, data: PaymentConfirmation, now: datetime
) -> Payment:
    """ACCEPT applies the allocations; REJECT (off-platform only) returns the invoices to the
    state they came from. The same answer again is a no-op; a contradicting one is refused."""
    seller_id = caller.seller_id
    payment = await repository.get_by_ref(session, seller_id, data.paymentId, for_update=True)
    if payment is None:
        raise PaymentNotFound(data.paymentId)
    allocations = await repository.allocations_of(session, seller_id, payment.id)
    allocated = {allocation.invoice_id for allocation in allocations}
    wanted = _checked_answer(payment, data, allocated)
    if payment.status == wanted:
        return payment  # a repeat: nothing to do, same answer
    invoices = await invoice_repository.get_invoices(session, seller_id, allocated, for_update=True)
    others = await repository.pending_amounts(
        session, seller_id, allocated, except_payment_id=payment.id
    )
    for allocation in allocations:
        if allocation.invoice_id not in invoices:
            raise InvoiceNotFound(allocation.invoice_id)
    _answer_invoices(session, caller, payment, allocations, invoices, others, wanted, now)
    _answer_payment(session, caller, payment, wanted, data.remarks, now)
    await session.flush()
    told = EventType.PAYMENT_ACCEPTED if wanted == PaymentStatus.ACCEPTED else None
    settled = [
        (EventType.INVOICE_PAID if i.balance_amount == 0 else EventType.INVOICE_PARTIALLY_PAID, i)
        for i in (invoices[a.invoice_id] for a in allocations)
    ]
    await _record_events(
        session,
        caller,
        payment,
        settled if told else [],
        told or EventType.PAYMENT_REJECTED,
        now,
    )
    return payment


def _checked_answer(
    payment: Payment, data: PaymentConfirmation, allocated: set[str]
) -> PaymentStatus:
    """The status the answer asks for, once it is known not to contradict the payment."""
    if data.invoiceIds is not None and set(data.invoiceIds) != allocated:
        raise ConfirmationConflict(
            f"invoiceIds do not match the invoices of payment {data.paymentId}"
        )
    if data.type is not None and data.type != payment.type:
        raise ConfirmationConflict(f"Payment {data.paymentId} is {payment.type}, not {data.type}")
    wanted = PaymentStatus.ACCEPTED if data.response == "ACCEPT" else PaymentStatus.REJECTED
    if payment.status == wanted:
        return wanted
    if payment.status != PaymentStatus.PENDING_CONFIRMATION:
        raise ConfirmationConflict(f"Payment {data.paymentId} is already {payment.status}")
    if wanted == PaymentStatus.REJECTED and payment.type != PaymentType.OFFPLATFORM:
        raise RuleViolation("Only OFFPLATFORM payments can be rejected")
    return wanted


def _answer_invoices(
    session: AsyncSession,
    caller: Caller,
    payment: Payment,
    allocations: Sequence[PaymentAllocation],
    invoices: Mapping[str, Invoice],
    others: Mapping[str, int],
    wanted: PaymentStatus,
    now: datetime,
) -> None:
    """Apply (ACCEPT) or undo (REJECT) each allocation on its invoice, with its history entry."""
    # The seller's business day of the acceptance: from it on the money counts in reports.
    today = local_date(now, caller.seller.time_zone)
    for allocation in allocations:
        invoice = invoices[allocation.invoice_id]
        before = snapshot(invoice)
        still_pending = others.get(invoice.id, 0) > 0
        if wanted == PaymentStatus.ACCEPTED:
            _apply_allocation(invoice, allocation.amount, still_pending=still_pending)
            _date_acceptance(invoice, allocation, today)
        elif not still_pending:
            invoice.receivable_status = (
                invoice.status_before_payment or ReceivableStatus.SENT_TO_BUYER.value
            )
            invoice.status_before_payment = None
        action = (
            AuditAction.PAYMENT_ACCEPTED
            if wanted == PaymentStatus.ACCEPTED
            else AuditAction.PAYMENT_REJECTED
        )
        record_change(
            session,
            invoice,
            caller=caller,
            action=action,
            now=now,
            before=before,
            paymentId=payment.payment_ref,
        )


async def _record_events(
    session: AsyncSession,
    caller: Caller,
    payment: Payment,
    invoice_changes: list[tuple[EventType, Invoice]],
    event_type: EventType,
    now: datetime,
) -> None:
    """The payment's event, and its invoices' (paid, partially paid), when some endpoint
    wants them; in the payment's transaction."""
    to = await events.subscribers(session, caller.seller_id)
    if to.want(event_type):
        data = await payment_payload(session, payment, time_zone=caller.seller.time_zone)
        await events.record(session, to=to, events=[Event(event_type, data)], now=now)
    await record_invoice_events(
        session, seller=caller.seller, changes=invoice_changes, now=now, to=to
    )


def _apply_allocation(invoice: Invoice, paise: int, *, still_pending: bool) -> None:
    """Money received: the balance drops and the invoice is paid or partially paid, or stays
    PAYMENT_INITIATED (settling later) while another payment of it is still pending."""
    if paise > invoice.balance_amount:
        raise ConfirmationConflict(
            f"Payment exceeds the balance of invoice {invoice.id}; reject it instead"
        )
    invoice.total_received += paise
    invoice.balance_amount -= paise
    settle(invoice, still_pending=still_pending, partly=ReceivableStatus.PARTIALLY_PAID)


def _date_acceptance(invoice: Invoice, allocation: PaymentAllocation, today: date) -> None:
    """The report dates an accepted allocation leaves: when it counted, when the invoice was first
    paid, and when it was settled (its balance reached zero)."""
    allocation.accepted_on = today
    invoice.first_paid_on = invoice.first_paid_on or today
    if invoice.balance_amount == 0:
        invoice.settled_on = today


def _answer_payment(
    session: AsyncSession,
    caller: Caller,
    payment: Payment,
    answer: PaymentStatus,
    remarks: str | None,
    now: datetime,
) -> None:
    """The payment takes the seller's answer, audited."""
    before = _payment_snapshot(payment)
    payment.status = answer.value
    payment.remarks = remarks
    payment.confirmed_at = now
    payment.updated_at = now
    audit.record(
        session,
        caller=caller,
        seller_id=caller.seller_id,
        entity_type=ENTITY,
        entity_id=payment.id,
        action=answer.value,
        now=now,
        before=before,
        after=_payment_snapshot(payment),
    )


async def payment_payload(
    session: AsyncSession, payment: Payment, *, time_zone: str
) -> dict[str, Any]:
    """The answer of a payment just reported or confirmed (its invoices read again)."""
    rows = await repository.allocation_views(session, payment.seller_id, payment.id)
    return payment_wire(payment, rows, time_zone=time_zone)


async def get_payment_payload(
    reads: Reads, *, seller_id: str, time_zone: str, payment_id: str
) -> dict[str, Any]:
    """GET of one payment by its paymentId (or id): one statement, or PaymentNotFound."""
    found = await repository.payment_with_allocations(reads, seller_id, payment_id)
    if found is None:
        raise PaymentNotFound(payment_id)
    payment, rows = found
    return payment_wire(payment, rows, time_zone=time_zone)


def payment_wire(
    payment: Payment, rows: list[repository.AllocationView], *, time_zone: str
) -> dict[str, Any]:
    """A payment as the AR dialect answers it."""
    return {
        "paymentId": payment.payment_ref,
        "id": payment.id,
        "type": payment.type,
        "mode": payment.mode,
        "utr": payment.utr,
        "amount": wire_paise(payment.amount),
        "paidOn": None if payment.paid_on is None else payment.paid_on.isoformat(),
        "status": payment.status,
        "remarks": payment.remarks,
        "reportedByBuyer": payment.reported_by_buyer,
        "confirmedOn": (
            None
            if payment.confirmed_at is None
            else enkash_timestamp(payment.confirmed_at, time_zone)
        ),
        "createdBy": payment.created_by_id,
        "createdByName": payment.created_by_name,
        "createdOn": enkash_timestamp(payment.created_at, time_zone),
        "invoices": [
            {
                "invoiceId": row.invoice_id,
                "invoiceNumber": row.invoice_number,
                "amount": wire_paise(row.amount),
                "receivableStatus": status_wire(row.receivable_status),
                "totalReceived": wire_paise(row.total_received),
                "balanceAmount": wire_paise(row.balance_amount),
            }
            for row in rows
        ],
    }


@dataclass(frozen=True)
class AwaitingPayment:
    """A payment waiting for the seller's answer, with the invoices it pays."""

    payment: Payment
    shares: list[tuple[PaymentAllocation, Invoice]]


async def awaiting_confirmation(
    session: AsyncSession, *, caller: Caller, limit: int, offset: int
) -> tuple[list[AwaitingPayment], int]:
    """The seller's PENDING_CONFIRMATION payments, oldest first (two statements a page)."""
    payments, total = await repository.pending_payments(
        session, caller.seller_id, limit=limit, offset=offset
    )
    shares = await repository.allocations_of_payments(
        session, caller.seller_id, [payment.id for payment in payments]
    )
    return [AwaitingPayment(p, shares.get(p.id, [])) for p in payments], total


async def payments_of_invoice(
    session: AsyncSession, *, caller: Caller, invoice_id: str
) -> list[tuple[Payment, int]]:
    """The payments with a share of one of the caller's invoices, and each share (paise)."""
    return await repository.payments_of_invoice(session, caller.seller_id, invoice_id)
