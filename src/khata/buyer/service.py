"""Buyer-side rules: what an invoice's payment link shows, the payment a buyer reports and the
buyer's answer to the invoice.

The link's key is the only credential. Everything shown or changed is found from the invoice
the key names, within its seller and customer; reports and answers go through the same rules
as the seller's API (payment allocation, the invoice's version bump and history) with the
buyer as the actor, and are counted per link in the database for the rate limit.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import repository as audit_repository
from khata.auth.service import Caller
from khata.buyer.errors import (
    FormRefused,
    LinkNotFound,
    NothingOffered,
    StaleForm,
    TooManyActions,
)
from khata.document import TaxInvoice, totals_of
from khata.document.figures import rupees
from khata.invoice import repository as invoice_repository
from khata.invoice.ar_views import is_overdue
from khata.invoice.document import load_tax_invoice
from khata.invoice.snapshot import record_change, snapshot
from khata.invoice.status import ReceivableStatus
from khata.invoice.validation import amount_paise
from khata.invoice.webhook_events import record_invoice_events
from khata.kit.errors import FieldError
from khata.kit.ids import new_object_id
from khata.kit.money import from_paise
from khata.kit.timeutil import local_date
from khata.models import Customer, Invoice, Payment, Principal, Seller
from khata.models.audit_entry import AuditAction
from khata.models.invoice import BuyerResponse
from khata.models.principal import PrincipalType
from khata.payment import repository as payment_repository
from khata.payment import service as payment_service
from khata.payment.errors import InvoiceNotPayable, OverAllocation, PartialPaymentNotAllowed
from khata.payment.schemas import Allocation, PaymentReport
from khata.webhook.events import EventType

PAYMENT_MODES = ("UPI", "NEFT", "RTGS", "IMPS", "CHEQUE", "CASH", "OTHER")
MAX_REASON = 500
_UTR = re.compile(r"[A-Za-z0-9][A-Za-z0-9 /._-]{3,63}")
_OPEN = frozenset(
    {
        ReceivableStatus.CREATED,
        ReceivableStatus.SENT_TO_BUYER,
        ReceivableStatus.PAYMENT_INITIATED,
        ReceivableStatus.PARTIALLY_PAID,
    }
)


class Standing(StrEnum):
    """Where the invoice stands, as the buyer reads it at the top of the page."""

    OPEN = "open"
    AWAITING_CONFIRMATION = "awaiting confirmation"
    PAID = "paid"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OtherInvoice:
    """Another open invoice of the same customer with the same seller, with its own link."""

    invoice_number: str
    due_date: date
    balance: int  # paise
    overdue_days: int
    key: str


@dataclass(frozen=True)
class BuyerPage:
    """Everything the page shows. `doc` is None for a cancelled or deleted invoice."""

    key: str
    seller_name: str
    invoice_number: str
    standing: Standing
    doc: TaxInvoice | None
    due_date: date
    overdue_days: int
    balance: int  # paise still due on the invoice
    pending: int  # paise reported and awaiting the seller's confirmation
    open_amount: int  # what may still be reported: balance less pending
    partial_payment_allowed: bool
    buyer_response: str | None
    buyer_response_reason: str | None
    others: tuple[OtherInvoice, ...]
    total_outstanding: int  # paise: this invoice's balance and the others'
    today: date

    @property
    def can_report(self) -> bool:
        return self.standing in _ANSWERABLE and self.open_amount > 0

    @property
    def can_answer(self) -> bool:
        return self.standing in _ANSWERABLE

    @property
    def plain_doc(self) -> TaxInvoice | None:
        """The document as the page embeds it: without its payment box, which the page shows
        once, at the top, for what is still open."""
        if self.doc is None:
            return None
        return replace(self.doc, supplier=replace(self.doc.supplier, bank_account=None))

    @property
    def payable_doc(self) -> TaxInvoice | None:
        """The document with the pending payments counted as received, so the UPI request
        asks for what is still open, never for money already on its way."""
        if self.doc is None or not self.can_report:
            return None
        t = self.doc.totals
        totals = totals_of(
            taxable=t.taxable,
            cgst=t.cgst,
            sgst=t.sgst,
            igst=t.igst,
            tds=t.tds,
            received=t.payable - t.credited - self.open_amount,
            credited=t.credited,
        )
        return replace(self.doc, totals=totals)


_ANSWERABLE = frozenset({Standing.OPEN, Standing.AWAITING_CONFIRMATION})


@dataclass(frozen=True)
class PaymentForm:
    """The buyer's report as typed: every field a string."""

    utr: str = ""
    amount: str = ""
    paid_on: str = ""
    mode: str = ""


@dataclass(frozen=True)
class AnswerForm:
    response: str = ""
    reason: str = ""


def form_token(secret: str, key: str) -> str:
    """The CSRF token of the link's forms: an HMAC of the key with the server's secret, so no
    other page can make one, and every process checks it without shared state."""
    return hmac.new(secret.encode(), f"pay-form:{key}".encode(), hashlib.sha256).hexdigest()


def check_form_token(secret: str, key: str, token: str) -> None:
    if not hmac.compare_digest(form_token(secret, key), token):
        raise StaleForm()


async def _linked(session: AsyncSession, key: str, *, for_update: bool = False) -> Invoice:
    invoice = await invoice_repository.get_by_payment_link_key(session, key, for_update=for_update)
    if invoice is None:
        raise LinkNotFound()
    return invoice


def _gone(invoice: Invoice) -> bool:
    return invoice.deleted or invoice.receivable_status == ReceivableStatus.CANCELLED


def _standing(invoice: Invoice, pending: int) -> Standing:
    if _gone(invoice):
        return Standing.CANCELLED
    if invoice.receivable_status == ReceivableStatus.PAID:
        return Standing.PAID
    if invoice.receivable_status not in _OPEN:
        return Standing.CLOSED
    return Standing.AWAITING_CONFIRMATION if pending > 0 else Standing.OPEN


def _overdue_days(invoice: Invoice, today: date) -> int:
    return (today - invoice.due_date).days if is_overdue(invoice, today) else 0


async def load_page(session: AsyncSession, *, key: str, now: datetime) -> BuyerPage:
    """The page of the link's invoice; "today" and overdue days in the seller's calendar."""
    invoice = await _linked(session, key)
    seller = await _seller(session, invoice)
    today = local_date(now, seller.time_zone)
    gone = _gone(invoice)
    pending = 0
    if not gone:
        amounts = await payment_repository.pending_amounts(session, seller.id, [invoice.id])
        pending = amounts.get(invoice.id, 0)
    others = () if gone else await _other_invoices(session, invoice, today)
    own_balance = 0 if gone else invoice.balance_amount
    return BuyerPage(
        key=key,
        seller_name=seller.legal_name,
        invoice_number=invoice.invoice_number,
        standing=_standing(invoice, pending),
        doc=None if gone else await load_tax_invoice(session, seller, invoice),
        due_date=invoice.due_date,
        overdue_days=0 if gone else _overdue_days(invoice, today),
        balance=own_balance,
        pending=pending,
        open_amount=max(own_balance - pending, 0),
        partial_payment_allowed=invoice.partial_payment_allowed,
        buyer_response=invoice.buyer_response,
        buyer_response_reason=invoice.buyer_response_reason,
        others=others,
        total_outstanding=own_balance + sum(other.balance for other in others),
        today=today,
    )


async def _seller(session: AsyncSession, invoice: Invoice) -> Seller:
    seller = await session.get(Seller, invoice.seller_id)
    if seller is None:  # every invoice has its seller; a link to nothing is not found
        raise LinkNotFound()
    return seller


async def _other_invoices(
    session: AsyncSession, invoice: Invoice, today: date
) -> tuple[OtherInvoice, ...]:
    found = await invoice_repository.open_linked_invoices(
        session,
        seller_id=invoice.seller_id,
        customer_id=invoice.customer_id,
        except_id=invoice.id,
    )
    return tuple(
        OtherInvoice(
            invoice_number=other.invoice_number,
            due_date=other.due_date,
            balance=other.balance_amount,
            overdue_days=_overdue_days(other, today),
            key=other.payment_link_key or "",
        )
        for other in found
    )


async def load_document(session: AsyncSession, *, key: str) -> TaxInvoice:
    """The tax invoice of the link's invoice; a cancelled or deleted one offers none."""
    invoice = await _linked(session, key)
    if _gone(invoice):
        raise NothingOffered()
    return await load_tax_invoice(session, await _seller(session, invoice), invoice)


async def _acting_buyer(
    session: AsyncSession, key: str, *, now: datetime, limit: int
) -> tuple[Invoice, Caller]:
    """The link's open invoice, locked, and the buyer as the actor of what follows; refused
    when the link's buyer actions of the last hour reached `limit`."""
    invoice = await _linked(session, key, for_update=True)
    if _gone(invoice):
        raise NothingOffered()
    seller = await _seller(session, invoice)
    # The invoice row is locked: two requests of one link count one after the other.
    done = await audit_repository.count_since(
        session,
        seller_id=invoice.seller_id,
        entity_type="invoice",
        entity_id=invoice.id,
        actor_type=PrincipalType.BUYER.value,
        since=now - timedelta(hours=1),
    )
    if done >= limit:
        raise TooManyActions()
    customer = await session.get(Customer, (invoice.seller_id, invoice.customer_id))
    # A stand-in principal, never stored: it names the buyer in the history and the payment.
    buyer = Principal(
        seller_id=invoice.seller_id,
        id=invoice.customer_id,
        type=PrincipalType.BUYER.value,
        name=customer.legal_name if customer else "Buyer",
    )
    return invoice, Caller(seller=seller, principal=buyer)


def _checked_payment(form: PaymentForm, today: date) -> tuple[str, int, date, str]:
    """The report's UTR, paise, date paid and mode, or every problem in one message. The amount
    follows the API's money rules (kit.money through invoice.validation)."""
    problems: list[str] = []
    utr = form.utr.strip()
    if not _UTR.fullmatch(utr):
        problems.append("UTR / reference: 4 to 64 letters, digits, spaces or / . _ -")
    errors: list[FieldError] = []
    paise = amount_paise("Amount", form.amount.strip() or None, errors, required=True)
    problems += [f"{error.field}: {error.message}" for error in errors]
    if paise == 0:
        problems.append("Amount: must be greater than 0")
    paid_on = _date_or_none(form.paid_on)
    if paid_on is None:
        problems.append("Date paid: give a date (YYYY-MM-DD)")
    elif paid_on > today:
        problems.append("Date paid: cannot be in the future")
    if form.mode not in PAYMENT_MODES:
        problems.append(f"Mode: one of {', '.join(PAYMENT_MODES)}")
    if problems:
        raise FormRefused("; ".join(problems))
    assert paise is not None and paid_on is not None
    return utr, paise, paid_on, form.mode


def _date_or_none(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


async def report_payment(
    session: AsyncSession, *, key: str, form: PaymentForm, now: datetime, limit: int
) -> Payment:
    """An OFFPLATFORM payment awaiting the seller's confirmation, reported by the buyer, for
    the link's invoice alone: the payment rules decide, their refusals become the page's."""
    invoice, caller = await _acting_buyer(session, key, now=now, limit=limit)
    utr, paise, paid_on, mode = _checked_payment(form, local_date(now, caller.seller.time_zone))
    amount = str(from_paise(paise))
    report = PaymentReport(
        paymentId=f"BUYER-{new_object_id(now.timestamp())}",
        type="OFFPLATFORM",
        mode=mode,
        utr=utr,
        amount=amount,
        paidOn=paid_on,
        invoices=[Allocation(invoiceId=invoice.id, amount=amount)],
    )
    try:
        return await payment_service.report_payment(
            session, caller=caller, data=report, now=now, reported_by_buyer=True
        )
    except (OverAllocation, PartialPaymentNotAllowed, InvoiceNotPayable) as exc:
        raise await _refusal(session, invoice, exc) from exc


async def _refusal(session: AsyncSession, invoice: Invoice, exc: Exception) -> FormRefused:
    """A payment rule's refusal in the buyer's words, with the amount still open."""
    pending = await payment_repository.pending_amounts(session, invoice.seller_id, [invoice.id])
    still_open = max(invoice.balance_amount - pending.get(invoice.id, 0), 0)
    shown = rupees(still_open)
    if isinstance(exc, OverAllocation):
        message = f"The amount is more than what is left to pay on this invoice ({shown})"
    elif isinstance(exc, PartialPaymentNotAllowed):
        message = f"This invoice must be paid in full: report {shown}"
    else:
        message = "This invoice takes no payment now"
    return FormRefused(message, status=422)


def _checked_answer(form: AnswerForm) -> tuple[BuyerResponse, str | None]:
    reason = form.reason.strip()
    if form.response == "ACCEPT":
        return BuyerResponse.ACCEPTED, None
    if form.response != "DISPUTE":
        raise FormRefused("Choose to accept or to dispute the invoice")
    if not reason:
        raise FormRefused("Say why you dispute the invoice")
    if len(reason) > MAX_REASON:
        raise FormRefused(f"The reason can be at most {MAX_REASON} characters")
    return BuyerResponse.DISPUTED, reason


async def answer_invoice(
    session: AsyncSession, *, key: str, form: AnswerForm, now: datetime, limit: int
) -> Invoice:
    """The buyer accepts or disputes the invoice: kept on it, its version bumped, in its
    history. Accepting ends a dispute; accepting again changes nothing."""
    invoice, caller = await _acting_buyer(session, key, now=now, limit=limit)
    response, reason = _checked_answer(form)
    if invoice.receivable_status not in _OPEN:
        raise FormRefused("This invoice is settled: there is nothing to answer", status=422)
    if invoice.buyer_response == response and invoice.buyer_response_reason == reason:
        return invoice
    before = snapshot(invoice)
    previous = invoice.buyer_response
    invoice.buyer_response = response.value
    invoice.buyer_response_reason = reason
    invoice.buyer_responded_at = now
    action = (
        AuditAction.BUYER_ACCEPTED
        if response is BuyerResponse.ACCEPTED
        else AuditAction.BUYER_DISPUTED
    )
    noted = {"buyerResponse": {"from": previous, "to": response.value, "reason": reason}}
    record_change(session, invoice, caller=caller, action=action, now=now, before=before, **noted)
    await session.flush()
    told = (
        EventType.INVOICE_ACCEPTED
        if response is BuyerResponse.ACCEPTED
        else EventType.INVOICE_DISPUTED
    )
    await record_invoice_events(session, seller=caller.seller, changes=[(told, invoice)], now=now)
    return invoice
