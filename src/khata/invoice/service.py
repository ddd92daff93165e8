"""AR invoice rules: create, update, dispatch for collection, delete, and status changes."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import service as audit
from khata.auth.service import Caller
from khata.config import Settings
from khata.customer import repository as customer_repository
from khata.db import Reads
from khata.delivery import outbox
from khata.invoice import ar_views, repository
from khata.invoice.ar_schemas import InvoiceCreate, InvoiceUpdate, StatusChange
from khata.invoice.buyer_response import CLEARED, DISPUTE_ENDED, end_dispute, is_disputed
from khata.invoice.dispatch import DispatchedInvoice, dispatch_messages
from khata.invoice.errors import (
    AmountsLocked,
    CustomerNotActive,
    CustomerNotFound,
    DuplicateInvoiceNumber,
    InvoiceFinal,
    InvoiceNotDeletable,
    InvoiceNotFound,
    StaleInvoice,
    TransitionNotAllowed,
)
from khata.invoice.numbering import allocate_entity_ids
from khata.invoice.order_invoicing import release_order_quantities
from khata.invoice.rows import Author, InvoiceRowMaker
from khata.invoice.snapshot import audit_change, record_change, snapshot, touch
from khata.invoice.status import (
    FINAL_STATUSES,
    REQUESTABLE_TRANSITIONS,
    ReceivableStatus,
    deletion_refusal,
)
from khata.invoice.validation import InvoiceAmounts, amount_paise, check_amounts, check_dates
from khata.invoice.webhook_events import record_invoice_events
from khata.kit.errors import FieldError, RuleViolation, ValidationFailed
from khata.kit.ids import new_object_id, new_secret
from khata.kit.timeutil import local_date
from khata.models import Invoice
from khata.models.audit_entry import AuditAction
from khata.models.customer import Customer, CustomerStatus
from khata.models.invoice import InvoiceVia
from khata.webhook.events import EventType

ENTITY = "invoice"
AMOUNT_FIELDS = ("baseAmount", "cgst", "sgst", "igst", "tds")
DISPATCHABLE = frozenset({ReceivableStatus.CREATED, ReceivableStatus.SENT_TO_BUYER})


async def load_invoice(session: AsyncSession, caller: Caller, invoice_id: str) -> Invoice:
    invoice = await repository.get_invoice(session, caller.seller_id, invoice_id)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    return invoice


async def invoice_payload(
    reads: Reads,
    *,
    seller_id: str,
    time_zone: str,
    invoice_id: str,
    now: datetime,
    public_base_url: str,
) -> dict[str, Any]:
    """GET of one invoice: its AR payload in one statement, or InvoiceNotFound."""
    payload = await ar_views.live_invoice_payload(
        reads,
        seller_id=seller_id,
        invoice_id=invoice_id,
        time_zone=time_zone,
        now=now,
        public_base_url=public_base_url,
    )
    if payload is None:
        raise InvoiceNotFound(invoice_id)
    return payload


def _new_invoice(
    caller: Caller,
    data: InvoiceCreate,
    values: InvoiceAmounts,
    *,
    entity_id: int,
    invoice_number: str,
    now: datetime,
) -> Invoice:
    """The row of an invoice created through the AR API (checked, numbered)."""
    maker = InvoiceRowMaker(
        seller_id=caller.seller_id,
        invoice_prefix=caller.seller.invoice_prefix,
        author=Author(caller.principal.id, caller.principal.name, caller.principal.type),
        now=now,
        via=InvoiceVia.API.value,
    )
    invoice = Invoice(
        **maker.values(
            id=new_object_id(now.timestamp()),
            entity_id=entity_id,
            invoice_number=invoice_number,
            external_id=data.externalId,
            customer_id=data.customerId,
            invoice_date=data.invoiceDate,
            due_date=data.dueDate,
            description=data.description,
            po_number=data.poNumber,
            base_amount=values.base,
            cgst=values.cgst,
            sgst=values.sgst,
            igst=values.igst,
            tds=values.tds,
            gst_exclusive=values.gst_exclusive,
            partial_payment_allowed=data.partialPaymentAllowed,
            email_address=data.emailAddress,
            mobile_number=data.mobileNumber,
        )
    )
    return invoice


async def create_invoice(
    session: AsyncSession, *, caller: Caller, data: InvoiceCreate, now: datetime, settings: Settings
) -> Invoice:
    values = _checked_amounts(data)
    seller_id = caller.seller_id
    await _check_customer_active(session, seller_id, data.customerId)
    # The entityId first: on PostgreSQL it locks the seller row, so the number check below
    # sees every invoice committed by a concurrent create of this seller.
    (entity_id,) = await allocate_entity_ids(session, seller_id=seller_id, count=1)
    invoice_number = data.invoiceNumber.strip()
    if await repository.invoice_number_taken(session, seller_id, invoice_number):
        raise DuplicateInvoiceNumber(invoice_number)
    invoice = _new_invoice(
        caller, data, values, entity_id=entity_id, invoice_number=invoice_number, now=now
    )
    session.add(invoice)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create took the number after our check
        raise DuplicateInvoiceNumber(invoice_number) from exc
    audit.record(
        session,
        caller=caller,
        seller_id=seller_id,
        entity_type=ENTITY,
        entity_id=invoice.id,
        action=AuditAction.CREATED,
        now=now,
        after=snapshot(invoice),
    )
    created = [(EventType.INVOICE_CREATED, invoice)]
    await record_invoice_events(session, seller=caller.seller, changes=created, now=now)
    if data.dispatchNow:
        (result,) = await dispatch_invoices(
            session,
            caller=caller,
            invoice_ids=[invoice.id],
            partial_payment_allowed=None,
            now=now,
            settings=settings,
        )
        if not result.ok:
            raise RuleViolation(result.message)
    return invoice


def _checked_amounts(data: InvoiceCreate) -> InvoiceAmounts:
    """The amounts of a new invoice in paise, or every field error of its amounts and dates."""
    errors: list[FieldError] = []
    paise = {
        field: amount_paise(field, getattr(data, field), errors, required=field == "baseAmount")
        for field in AMOUNT_FIELDS
    }
    check_dates(data.invoiceDate, data.dueDate, errors)
    if errors:
        raise ValidationFailed(errors)
    values = InvoiceAmounts(
        base=paise["baseAmount"] or 0,
        cgst=paise["cgst"] or 0,
        sgst=paise["sgst"] or 0,
        igst=paise["igst"] or 0,
        tds=paise["tds"] or 0,
        gst_exclusive=data.gstExclusive,
    )
    check_amounts(values, errors)
    if errors:
        raise ValidationFailed(errors)
    return values


async def _check_customer_active(session: AsyncSession, seller_id: str, customer_id: str) -> None:
    customer = await customer_repository.get_customer(session, seller_id, customer_id)
    if customer is None or customer.deleted:
        raise CustomerNotFound(customer_id)
    if customer.status != CustomerStatus.ACTIVE:
        raise CustomerNotActive(customer_id)


_NOT_NULL = ("invoiceNumber", "invoiceDate", "dueDate", "baseAmount", "gstExclusive")


async def update_invoice(
    session: AsyncSession,
    *,
    caller: Caller,
    invoice_id: str,
    data: InvoiceUpdate,
    now: datetime,
) -> Invoice:
    paise = _given_paise(data)
    invoice = await repository.get_invoice(session, caller.seller_id, invoice_id, for_update=True)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    if invoice.receivable_status in FINAL_STATUSES:
        raise InvoiceFinal(invoice.receivable_status)
    before = snapshot(invoice)
    values = _updated_amounts(invoice, data, paise)
    amounts_change = values != _current_amounts(invoice)
    invoice_date = data.invoiceDate or invoice.invoice_date
    due_date = data.dueDate or invoice.due_date
    errors: list[FieldError] = []
    check_dates(invoice_date, due_date, errors)
    if amounts_change:
        check_amounts(values, errors)
    if errors:
        raise ValidationFailed(errors)
    if amounts_change:
        _change_amounts(invoice, values)
    if data.invoiceNumber is not None:
        await _renumber(session, caller, invoice, data.invoiceNumber.strip())
    invoice.invoice_date, invoice.due_date = invoice_date, due_date
    _apply_details(invoice, data)
    await _record_update(session, caller, invoice, before, now)
    return invoice


def _given_paise(data: InvoiceUpdate) -> dict[str, int | None]:
    """Paise of the amount fields the caller sent (None: sent as null), or every field error
    of the fields that may not be null and of the amounts."""
    given = data.model_fields_set
    errors = [
        FieldError(field, "must not be null", None)
        for field in _NOT_NULL
        if field in given and getattr(data, field) is None
    ]
    paise = {
        field: amount_paise(field, getattr(data, field), errors)
        for field in AMOUNT_FIELDS
        if field in given
    }
    if errors:
        raise ValidationFailed(errors)
    return paise


def _updated_amounts(
    invoice: Invoice, data: InvoiceUpdate, paise: dict[str, int | None]
) -> InvoiceAmounts:
    return InvoiceAmounts(
        base=_given(paise, "baseAmount", invoice.base_amount),
        cgst=_given(paise, "cgst", invoice.cgst),
        sgst=_given(paise, "sgst", invoice.sgst),
        igst=_given(paise, "igst", invoice.igst),
        tds=_given(paise, "tds", invoice.tds),
        gst_exclusive=invoice.gst_exclusive if data.gstExclusive is None else data.gstExclusive,
    )


def _current_amounts(invoice: Invoice) -> InvoiceAmounts:
    return InvoiceAmounts(
        base=invoice.base_amount,
        cgst=invoice.cgst,
        sgst=invoice.sgst,
        igst=invoice.igst,
        tds=invoice.tds,
        gst_exclusive=invoice.gst_exclusive,
    )


def _change_amounts(invoice: Invoice, values: InvoiceAmounts) -> None:
    """New amounts, when the invoice still allows them; the balance keeps what was received."""
    if invoice.via == InvoiceVia.ORDER:
        raise RuleViolation("Amounts of an invoice made from an order follow its line items")
    if (
        invoice.total_received > 0
        or invoice.total_credited > 0
        or invoice.total_written_off > 0
        or invoice.receivable_status == ReceivableStatus.PAYMENT_INITIATED
    ):
        raise AmountsLocked()
    invoice.base_amount, invoice.cgst, invoice.sgst = values.base, values.cgst, values.sgst
    invoice.igst, invoice.tds = values.igst, values.tds
    invoice.gst_exclusive = values.gst_exclusive
    invoice.net_amount = values.net
    invoice.balance_amount = values.receivable - invoice.total_received


async def _renumber(session: AsyncSession, caller: Caller, invoice: Invoice, number: str) -> None:
    if number == invoice.invoice_number:
        return
    if await repository.invoice_number_taken(
        session, caller.seller_id, number, except_id=invoice.id
    ):
        raise DuplicateInvoiceNumber(number)
    invoice.invoice_number = number


_DETAIL_FIELDS = (
    ("description", "description"),
    ("poNumber", "po_number"),
    ("externalId", "external_id"),
    ("emailAddress", "email_address"),
    ("mobileNumber", "mobile_number"),
)


def _apply_details(invoice: Invoice, data: InvoiceUpdate) -> None:
    """The fields without rules: a nullable one sent as null clears it."""
    given = data.model_fields_set
    for field, attribute in _DETAIL_FIELDS:
        if field in given:
            setattr(invoice, attribute, getattr(data, field))
    if data.partialPaymentAllowed is not None:
        invoice.partial_payment_allowed = data.partialPaymentAllowed


async def _record_update(
    session: AsyncSession, caller: Caller, invoice: Invoice, before: dict[str, Any], now: datetime
) -> None:
    """Bump the version and audit the changed fields, unless the update changed nothing."""
    changes = audit.changed_fields(before, snapshot(invoice))
    if not changes:
        return
    touch(invoice, caller.principal, now)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise DuplicateInvoiceNumber(invoice.invoice_number) from exc
    audit.record(
        session,
        caller=caller,
        seller_id=caller.seller_id,
        entity_type=ENTITY,
        entity_id=invoice.id,
        action=AuditAction.UPDATED,
        now=now,
        before={k: v["from"] for k, v in changes.items()},
        after={k: v["to"] for k, v in changes.items()},
    )


def _given(paise: dict[str, int | None], field: str, current: int) -> int:
    if field not in paise:
        return current
    value = paise[field]
    return 0 if value is None else value


@dataclass(frozen=True)
class BatchResult:
    """The answer for one invoice of a bulk request."""

    invoice_id: str
    ok: bool
    message: str
    invoice: Invoice | None = None


async def dispatch_invoices(
    session: AsyncSession,
    *,
    caller: Caller,
    invoice_ids: list[str],
    partial_payment_allowed: bool | None,
    now: datetime,
    settings: Settings,
) -> list[BatchResult]:
    """Present invoices to their buyers: SENT_TO_BUYER, a payment link, and one queued message
    per enabled channel of each key contact (plus the invoice's own email and mobile), all in
    the caller's transaction. One bad id never fails the others."""
    seller_id = caller.seller_id
    wanted = repository.ids_in_order(invoice_ids)
    invoices = await repository.get_invoices(session, seller_id, wanted, for_update=True)
    customers = await customer_repository.customers_by_ids(
        session, seller_id, {i.customer_id for i in invoices.values()}
    )
    contacts = await customer_repository.live_contacts_of(session, seller_id, customers)
    results: dict[str, BatchResult] = {}
    messages: list[outbox.OutgoingMessage] = []
    for invoice_id in wanted:
        invoice = invoices.get(invoice_id)
        if invoice is None:
            results[invoice_id] = BatchResult(invoice_id, False, f"Invoice not found: {invoice_id}")
            continue
        customer = customers.get(invoice.customer_id)
        if invoice.receivable_status not in DISPATCHABLE:
            reason = f"Invoice in status {invoice.receivable_status} cannot be dispatched"
            results[invoice_id] = BatchResult(invoice_id, False, reason)
            continue
        if customer is None or customer.deleted or customer.status != CustomerStatus.ACTIVE:
            reason = f"Customer {invoice.customer_id} is inactive or deleted"
            results[invoice_id] = BatchResult(invoice_id, False, reason)
            continue
        _mark_dispatched(session, caller, invoice, partial_payment_allowed, now)
        facts = _dispatched_facts(invoice, customer, caller)
        messages.extend(
            dispatch_messages(
                facts, contacts.get(customer.id, []), link_base=settings.links_base_url
            )
        )
        results[invoice_id] = BatchResult(invoice_id, True, "Invoice dispatched", invoice)
    await session.flush()
    await outbox.queue(session, seller_id=seller_id, messages=messages, now=now)
    dispatched = [
        (EventType.INVOICE_DISPATCHED, r.invoice) for r in results.values() if r.invoice is not None
    ]
    await record_invoice_events(session, seller=caller.seller, changes=dispatched, now=now)
    return [results[invoice_id] for invoice_id in wanted]


def _mark_dispatched(
    session: AsyncSession,
    caller: Caller,
    invoice: Invoice,
    partial_payment_allowed: bool | None,
    now: datetime,
) -> None:
    """SENT_TO_BUYER with a payment link, audited."""
    before = snapshot(invoice)
    invoice.receivable_status = ReceivableStatus.SENT_TO_BUYER.value
    invoice.dispatched = True
    invoice.dispatched_at = now
    # A re-dispatch keeps the link: the buyer may already hold the first message.
    invoice.payment_link_key = invoice.payment_link_key or new_secret(24)
    if partial_payment_allowed is not None:
        invoice.partial_payment_allowed = partial_payment_allowed
    # Presenting a disputed invoice again (say, corrected) ends the dispute.
    ended = end_dispute(invoice)
    record_change(
        session,
        invoice,
        caller=caller,
        action=AuditAction.DISPATCHED,
        now=now,
        before=before,
        **ended,
    )


def _dispatched_facts(invoice: Invoice, customer: Customer, caller: Caller) -> DispatchedInvoice:
    """What the dispatch messages of one invoice say."""
    return DispatchedInvoice(
        invoice_id=invoice.id,
        invoice_number=invoice.invoice_number,
        version=invoice.version,
        customer_id=customer.id,
        customer_legal_name=customer.legal_name,
        seller_name=caller.seller.legal_name,
        balance_paise=invoice.balance_amount,
        due_date=invoice.due_date,
        payment_link_key=invoice.payment_link_key,
        email_address=invoice.email_address,
        mobile_number=invoice.mobile_number,
    )


def _delete(session: AsyncSession, invoice: Invoice, *, caller: Caller, now: datetime) -> None:
    """The one delete of both dialects: the delete rule, then a soft delete (the entityId is not
    reused), the version bump and the audit entry. Raises InvoiceNotDeletable."""
    refusal = deletion_refusal(
        invoice.receivable_status,
        invoice.total_received,
        reduced_paise=invoice.total_credited + invoice.total_written_off,
    )
    if refusal is not None:
        raise InvoiceNotDeletable(invoice.id, refusal)
    before = snapshot(invoice)
    invoice.deleted = True
    record_change(
        session, invoice, caller=caller, action=AuditAction.DELETED, now=now, before=before
    )


async def delete_invoice(
    session: AsyncSession, *, caller: Caller, invoice_id: str, now: datetime
) -> Invoice:
    """Delete one invoice (commerce DELETE /invoices/{id}); its order quantities are freed."""
    invoice = await repository.get_invoice(session, caller.seller_id, invoice_id, for_update=True)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    _delete(session, invoice, caller=caller, now=now)
    await release_order_quantities(session, seller_id=caller.seller_id, invoice_ids=[invoice_id])
    await session.flush()
    return invoice


async def delete_invoices(
    session: AsyncSession, *, caller: Caller, invoice_ids: list[str], now: datetime
) -> list[BatchResult]:
    """Delete what the delete rule allows (AR bulk/delete); per-invoice answers."""
    wanted = repository.ids_in_order(invoice_ids)
    invoices = await repository.get_invoices(session, caller.seller_id, wanted, for_update=True)
    results: list[BatchResult] = []
    for invoice_id in wanted:
        invoice = invoices.get(invoice_id)
        if invoice is None:
            results.append(BatchResult(invoice_id, False, f"Invoice not found: {invoice_id}"))
            continue
        try:
            _delete(session, invoice, caller=caller, now=now)
        except InvoiceNotDeletable as refused:
            results.append(BatchResult(invoice_id, False, refused.message))
            continue
        results.append(BatchResult(invoice_id, True, "Invoice deleted", invoice))
    deleted_ids = [r.invoice_id for r in results if r.ok]
    await release_order_quantities(session, seller_id=caller.seller_id, invoice_ids=deleted_ids)
    await session.flush()
    return results


async def change_status(
    session: AsyncSession, *, caller: Caller, data: StatusChange, now: datetime
) -> Invoice:
    """An optimistic status change: it applies only to the status and version the caller saw."""
    current = data.statusTransition.currentStatus
    new = data.statusTransition.newStatus
    version = data.objectVersion.currentVersion
    remarks = _checked_remarks(data)
    invoice = await load_invoice(session, caller, data.invoiceId)
    if invoice.receivable_status != current or invoice.version != version:
        raise StaleInvoice(
            f"Invoice has changed: it is {invoice.receivable_status} at version "
            f"{invoice.version}, not {current} at version {version}"
        )
    if new not in REQUESTABLE_TRANSITIONS.get(current, frozenset()):
        raise TransitionNotAllowed(current, new)
    if new == ReceivableStatus.CANCELLED and invoice.total_received > 0:
        raise RuleViolation("An invoice with payments received cannot be cancelled")
    if new == ReceivableStatus.CANCELLED and invoice.total_credited + invoice.total_written_off:
        raise RuleViolation("An invoice with credit notes or write-offs cannot be cancelled")
    before = snapshot(invoice)
    # The seller's change of status ends a buyer's dispute.
    ended = DISPUTE_ENDED if is_disputed(invoice) else {}
    changed = await repository.change_status_if_current(
        session,
        seller_id=caller.seller_id,
        invoice_id=invoice.id,
        current_status=current,
        current_version=version,
        values={
            "receivable_status": new,
            "modified_by_id": caller.principal.id,
            "modified_by_name": caller.principal.name,
            "updated_at": now,
            **_closing_dates(new, local_date(now, caller.seller.time_zone)),
            **(CLEARED if ended else {}),
        },
    )
    if not changed:
        raise StaleInvoice("Invoice was changed by another request; reload it and try again")
    await session.refresh(invoice)
    audit_change(
        session,
        invoice,
        caller=caller,
        action=AuditAction.STATUS_CHANGED,
        now=now,
        before=before,
        remarks=remarks,
        **ended,
    )
    if new == ReceivableStatus.CANCELLED:
        cancelled = [(EventType.INVOICE_CANCELLED, invoice)]
        await record_invoice_events(session, seller=caller.seller, changes=cancelled, now=now)
    return invoice


def _closing_dates(new_status: str, today: date) -> dict[str, date]:
    """A closed invoice stops being open on the seller's business day of closing (reports)."""
    if new_status == ReceivableStatus.CLOSED:
        return {"closed_on": today, "settled_on": today}
    return {}


def _checked_remarks(data: StatusChange) -> str | None:
    """The change's remarks (required to close), once both statuses are receivable statuses;
    else every field error."""
    known = set(ReceivableStatus)
    transition = data.statusTransition
    errors = [
        FieldError(f"statusTransition.{field}", "is not a receivable status", value)
        for field, value in (
            ("currentStatus", transition.currentStatus),
            ("newStatus", transition.newStatus),
        )
        if value not in known
    ]
    remarks = (data.remarks or "").strip() or None
    if transition.newStatus == ReceivableStatus.CLOSED and remarks is None:
        errors.append(FieldError("remarks", "is required to close an invoice", data.remarks))
    if errors:
        raise ValidationFailed(errors)
    return remarks
