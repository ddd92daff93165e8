"""Credit-note and write-off rules: what may be credited or written off, the note itself, and
what both do to the invoice (balance, status, history, order quantities, webhook events).

Which invoices take them: those still open to payment (CREATED, SENT_TO_BUYER,
PAYMENT_INITIATED, PARTIALLY_PAID). A PAID invoice has nothing left; CANCELLED and CLOSED are
final; a deleted one is not found. Never more than remains: the balance less what payments
awaiting confirmation already claim, read with the invoice row locked like the payment paths
do, so credit notes, write-offs and payments never take a balance below zero together.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from khata.auth.service import Caller
from khata.credit import repository, views
from khata.credit.errors import CreditNoteNotFound, LineOverCredit, NotCreditable, OverCredit
from khata.credit.schemas import CreditNoteCreate, WriteOffCreate
from khata.credit.split import CreditParts, InvoiceTax, LineShare, by_amount, by_lines, line_share
from khata.invoice import repository as invoice_repository
from khata.invoice.errors import InvoiceNotFound
from khata.invoice.settlement import settle
from khata.invoice.snapshot import record_change, snapshot
from khata.invoice.status import ReceivableStatus
from khata.invoice.validation import amount_paise
from khata.invoice.webhook_events import record_invoice_events
from khata.kit.errors import FieldError, ValidationFailed
from khata.kit.ids import new_object_id
from khata.kit.money import wire_paise
from khata.kit.timeutil import local_date
from khata.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, WriteOff
from khata.models.audit_entry import AuditAction
from khata.order import repository as order_repository
from khata.payment import repository as payment_repository
from khata.webhook import events
from khata.webhook.events import Event, EventType

CREDITABLE = frozenset(
    {
        ReceivableStatus.CREATED,
        ReceivableStatus.SENT_TO_BUYER,
        ReceivableStatus.PAYMENT_INITIATED,
        ReceivableStatus.PARTIALLY_PAID,
    }
)


@dataclass(frozen=True)
class _Pick:
    line: InvoiceLine
    quantity: int
    share: LineShare


@dataclass(frozen=True)
class Issued:
    """A credit note just issued, and whether it settled its invoice (PAID)."""

    note: CreditNote
    lines: list[CreditNoteLine]
    invoice: Invoice
    settled: bool


async def _locked_open_invoice(
    session: AsyncSession, caller: Caller, invoice_id: str, what: str
) -> tuple[Invoice, int]:
    """The invoice, its row locked, and the paise still open to credit or write off."""
    invoice = await invoice_repository.get_invoice(
        session, caller.seller_id, invoice_id, for_update=True
    )
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    if invoice.receivable_status not in CREDITABLE:
        raise NotCreditable(invoice.id, invoice.receivable_status, what)
    pending = await payment_repository.pending_amounts(session, caller.seller_id, [invoice.id])
    return invoice, invoice.balance_amount - pending.get(invoice.id, 0)


def _checked_request(data: CreditNoteCreate, today: date) -> int | None:
    """The amount in paise (None: by lines), or every field error of the request."""
    errors: list[FieldError] = []
    paise = amount_paise("amount", data.amount, errors)
    if (data.amount is None) == (data.lineItems is None):
        errors.append(FieldError("amount", "give either amount or lineItems", data.amount))
    if paise == 0:
        errors.append(FieldError("amount", "must be greater than 0", data.amount))
    if data.lineItems is not None and not data.lineItems:
        errors.append(FieldError("lineItems", "must not be empty", []))
    seen: set[str] = set()
    for index, item in enumerate(data.lineItems or []):
        if item.quantity <= 0:
            errors.append(
                FieldError(f"lineItems[{index}].quantity", "must be greater than 0", item.quantity)
            )
        if item.lineItemId in seen:
            errors.append(
                FieldError(f"lineItems[{index}].lineItemId", "is repeated", item.lineItemId)
            )
        seen.add(item.lineItemId)
    if data.creditDate is not None and data.creditDate > today:
        errors.append(FieldError("date", "must not be in the future", data.creditDate.isoformat()))
    if errors:
        raise ValidationFailed(errors)
    return paise


def _invoice_tax(invoice: Invoice) -> InvoiceTax:
    return InvoiceTax(
        cgst=invoice.cgst,
        sgst=invoice.sgst,
        igst=invoice.igst,
        net=invoice.net_amount,
        gst_exclusive=invoice.gst_exclusive,
    )


async def _picks(session: AsyncSession, invoice: Invoice, data: CreditNoteCreate) -> list[_Pick]:
    """The invoice lines asked for, matched by their own id or their order line's, each within
    what is left to credit on it."""
    lines = (await invoice_repository.lines_of_invoices(session, invoice.seller_id, [invoice.id]))[
        invoice.id
    ]
    by_id = {line.id: line for line in lines}
    by_id.update({line.order_line_id: line for line in lines if line.order_line_id})
    asked = data.lineItems or []
    errors = [
        FieldError(
            f"lineItems[{index}].lineItemId", "is not a line of this invoice", item.lineItemId
        )
        for index, item in enumerate(asked)
        if item.lineItemId not in by_id
    ]
    if errors:
        raise ValidationFailed(errors)
    credited = await repository.credited_quantities(
        session, invoice.seller_id, [by_id[item.lineItemId].id for item in asked]
    )
    picks: list[_Pick] = []
    for item in asked:
        line = by_id[item.lineItemId]
        done = credited.get(line.id, 0)
        if item.quantity > line.quantity - done:
            raise LineOverCredit(item.lineItemId, line.quantity - done)
        share = line_share(
            line_quantity=line.quantity,
            line_amount=line.amount,
            line_tax=line.tax,
            credited=done,
            quantity=item.quantity,
        )
        picks.append(_Pick(line, item.quantity, share))
    return picks


async def _parts(
    session: AsyncSession, invoice: Invoice, paise: int | None, picks: list[_Pick]
) -> CreditParts:
    before = await repository.reversed_gst(session, invoice.seller_id, invoice.id)
    if paise is None:
        return by_lines([pick.share for pick in picks], _invoice_tax(invoice), before=before)
    return by_amount(
        paise, _invoice_tax(invoice), credited_before=invoice.total_credited, before=before
    )


async def create_credit_note(
    session: AsyncSession, *, caller: Caller, invoice_id: str, data: CreditNoteCreate, now: datetime
) -> Issued:
    """A credit note against one invoice: numbered in the seller's series, its GST split like
    the invoice's, the invoice's balance reduced at once (PAID at zero), its lines' order
    quantities freed, audited on the invoice and told to webhooks, all in this transaction."""
    today = local_date(now, caller.seller.time_zone)
    paise = _checked_request(data, today)
    invoice, room = await _locked_open_invoice(session, caller, invoice_id, "credit note")
    credit_date = data.creditDate or today
    if credit_date < invoice.invoice_date:
        raise ValidationFailed(
            [FieldError("date", "must not be before the invoice date", credit_date.isoformat())]
        )
    picks = await _picks(session, invoice, data) if paise is None else []
    parts = await _parts(session, invoice, paise, picks)
    if parts.amount <= 0:
        raise ValidationFailed([FieldError("lineItems", "credit nothing (zero value)", None)])
    if parts.amount > room:
        raise OverCredit(invoice.id, "credit note", room)
    # Locks in the order every writer takes them: the invoice, then order lines (as commerce
    # invoicing and deletes do), the seller row (the number series) last, as invoicing does.
    await _free_order_quantities(session, caller.seller_id, picks)
    prefix, counter = await repository.next_number(session, caller.seller_id)
    note = _new_note(caller, invoice, data, parts, credit_date=credit_date, now=now)
    note.credit_note_number = f"{prefix}{counter}"
    session.add(note)
    await session.flush()  # the note before its lines (their foreign key)
    lines = [_new_line(note, pick, now) for pick in picks]
    session.add_all(lines)
    before = snapshot(invoice)
    settled = _reduce(invoice, parts.amount, still_pending=room < invoice.balance_amount)
    if settled:
        invoice.settled_on = today
    record_change(
        session,
        invoice,
        caller=caller,
        action=AuditAction.CREDIT_NOTE_ISSUED,
        now=now,
        before=before,
        creditNoteId=note.id,
        creditNoteNumber=note.credit_note_number,
        creditAmount=wire_paise(parts.amount),
        reason=note.reason,
    )
    await session.flush()
    issued = Issued(note, lines, invoice, settled)
    await _record_events(session, caller, issued, now)
    return issued


async def _record_events(
    session: AsyncSession, caller: Caller, issued: Issued, now: datetime
) -> None:
    """credit_note.created (data: the note's AR payload), and invoice.paid when the note
    settled its invoice; in the note's transaction, only when some endpoint wants them."""
    to = await events.subscribers(session, caller.seller_id)
    if to.want(EventType.CREDIT_NOTE_CREATED):
        (payload,) = await views.ar_payloads(
            session, [issued.note], time_zone=caller.seller.time_zone
        )
        created = Event(EventType.CREDIT_NOTE_CREATED, payload)
        await events.record(session, to=to, events=[created], now=now)
    if issued.settled:
        paid = [(EventType.INVOICE_PAID, issued.invoice)]
        await record_invoice_events(session, seller=caller.seller, changes=paid, now=now, to=to)


def _reduce(invoice: Invoice, paise: int, *, still_pending: bool) -> bool:
    """The credit comes off the balance; answers whether that settled the invoice (PAID)."""
    invoice.total_credited += paise
    invoice.balance_amount -= paise
    settle(invoice, still_pending=still_pending, partly=None)
    return invoice.receivable_status == ReceivableStatus.PAID


def _new_note(
    caller: Caller,
    invoice: Invoice,
    data: CreditNoteCreate,
    parts: CreditParts,
    *,
    credit_date: date,
    now: datetime,
) -> CreditNote:
    return CreditNote(
        seller_id=caller.seller_id,
        id=new_object_id(now.timestamp()),
        invoice_id=invoice.id,
        credit_date=credit_date,
        reason=data.reason,
        description=data.description,
        amount=parts.amount,
        taxable=parts.taxable,
        cgst=parts.cgst,
        sgst=parts.sgst,
        igst=parts.igst,
        created_by_id=caller.principal.id,
        created_by_name=caller.principal.name,
        created_by_type=caller.principal.type,
        created_at=now,
    )


def _new_line(note: CreditNote, pick: _Pick, now: datetime) -> CreditNoteLine:
    return CreditNoteLine(
        seller_id=note.seller_id,
        id=new_object_id(now.timestamp()),
        credit_note_id=note.id,
        invoice_line_id=pick.line.id,
        quantity=pick.quantity,
        amount=pick.share.amount,
        tax=pick.share.tax,
    )


async def _free_order_quantities(session: AsyncSession, seller_id: str, picks: list[_Pick]) -> None:
    """Goods credited back go back to their order lines, to be invoiced again (as a delete
    frees an invoice's quantities)."""
    freed = {pick.line.order_line_id: -pick.quantity for pick in picks if pick.line.order_line_id}
    if freed:
        await order_repository.lock_lines_by_id(session, seller_id, sorted(freed))
        await order_repository.add_invoiced_quantities(session, seller_id, freed)


async def write_off(
    session: AsyncSession, *, caller: Caller, invoice_id: str, data: WriteOffCreate, now: datetime
) -> Invoice:
    """Bad debt: the whole balance left (or `amount` of it) stops being owed. Written off to
    zero the invoice is CLOSED (settled outside khata, as bad debt): no longer overdue and no
    longer reminded. A part written off leaves the rest to collect, chased as before."""
    errors: list[FieldError] = []
    paise = amount_paise("amount", data.amount, errors)
    if paise == 0:
        errors.append(FieldError("amount", "must be greater than 0", data.amount))
    if errors:
        raise ValidationFailed(errors)
    invoice, room = await _locked_open_invoice(session, caller, invoice_id, "write-off")
    paise = room if paise is None else paise
    if paise <= 0 or paise > room:
        raise OverCredit(invoice.id, "write-off", room)
    today = local_date(now, caller.seller.time_zone)
    before = snapshot(invoice)
    invoice.total_written_off += paise
    invoice.balance_amount -= paise
    invoice.written_off_on = today
    invoice.written_off_reason = data.reason
    session.add(
        WriteOff(
            seller_id=caller.seller_id,
            id=new_object_id(now.timestamp()),
            invoice_id=invoice.id,
            amount=paise,
            written_off_on=today,
            reason=data.reason,
            created_by_id=caller.principal.id,
            created_by_name=caller.principal.name,
            created_by_type=caller.principal.type,
            created_at=now,
        )
    )
    if invoice.balance_amount == 0:
        invoice.receivable_status = ReceivableStatus.CLOSED.value
        invoice.status_before_payment = None
        invoice.closed_on = invoice.settled_on = today
    record_change(
        session,
        invoice,
        caller=caller,
        action=AuditAction.WRITTEN_OFF,
        now=now,
        before=before,
        writtenOffAmount=wire_paise(paise),
        reason=data.reason,
    )
    await session.flush()
    return invoice


async def load_credit_note(
    session: AsyncSession, caller: Caller, credit_note_id: str
) -> CreditNote:
    note = await repository.get(session, caller.seller_id, credit_note_id)
    if note is None:
        raise CreditNoteNotFound(credit_note_id)
    return note


async def credit_notes_of(
    session: AsyncSession, caller: Caller, invoice_id: str
) -> list[CreditNote]:
    """The credit notes of a live invoice of the caller's seller, oldest first."""
    invoice = await invoice_repository.get_invoice(session, caller.seller_id, invoice_id)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    return await repository.of_invoice(session, caller.seller_id, invoice.id)
