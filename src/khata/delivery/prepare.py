"""The send-time side of a claimed message: is its reason still there, and what does it say now.

Everything a message says (amounts due, which invoices a reminder lists) and whether it goes at
all is decided from the database as it is when the message is claimed for sending, not as it was
when it was queued: a backlog can hold a message for hours, and a payment, a cancellation or a
disabled contact meanwhile must show.
"""

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from khata.config import Settings
from khata.delivery import repository
from khata.delivery.channels import Attachment, Envelope
from khata.delivery.outbox import DISPATCH, EMAIL, REMINDER, SMS, WHATSAPP
from khata.delivery.render import InvoiceLine, render, rupees, wire_date
from khata.document import TaxInvoice
from khata.models import Delivery, KeyContact
from khata.models.invoice import ReceivableStatus

log = logging.getLogger("khata.worker")

InvoiceKey = tuple[str, str]  # (seller id, invoice id)


class DocumentLoader(Protocol):
    """Reads the tax invoice documents of invoices as they are now (a deleted or unknown one is
    absent): invoice.document.load_tax_invoices, passed in by whoever starts the worker, as the
    invoice package sits above delivery. The dispatch e-mails attach them as PDFs."""

    async def __call__(
        self, session: AsyncSession, keys: Sequence[InvoiceKey]
    ) -> dict[InvoiceKey, TaxInvoice]: ...


@dataclass
class Prepared:
    """One claimed message: its envelope, or why it is not sent (cancelled) or cannot be made."""

    delivery: Delivery
    envelope: Envelope | None
    cancel_reason: str | None = None
    render_error: str | None = None  # retried like a refused send, then DEAD
    documents: list[tuple[InvoiceKey, TaxInvoice]] = field(default_factory=list)  # as PDFs
    document_error: str | None = None  # the documents could not be read: sent without them

    @property
    def key(self) -> tuple[str, str]:
        return (self.delivery.seller_id, self.delivery.id)

    def invoice_keys(self) -> list[InvoiceKey]:
        ids = self.envelope.invoice_ids if self.envelope else []
        return [(self.delivery.seller_id, invoice_id) for invoice_id in ids]

    @property
    def attaches_pdf(self) -> bool:
        """Only a dispatch e-mail carries the tax invoice: a text message cannot, and a reminder
        (which may list many invoices) links to them instead."""
        envelope = self.envelope
        return envelope is not None and envelope.channel == EMAIL and envelope.kind == DISPATCH


_CHANNEL_FLAG = {EMAIL: "mail_enabled", SMS: "sms_enabled", WHATSAPP: "whatsapp_enabled"}


def _contact_gone(delivery: Delivery, contact: KeyContact | None) -> str | None:
    """Why the key contact the message was queued for no longer takes it, or None."""
    if delivery.key_contact_id is None:
        return None  # the invoice's own e-mail or mobile: no contact to ask
    if contact is None or contact.deleted:
        return "contact deleted"
    flag = _CHANNEL_FLAG.get(delivery.channel)
    if flag is not None and not getattr(contact, flag):
        return f"contact disabled {delivery.channel}"
    return None


def _why(reasons: Sequence[tuple[repository.InvoiceFacts, str | None]]) -> str:
    """ "invoice INV-1 paid; invoice INV-2 cancelled": each invoice with its reason."""
    return "; ".join(f"invoice {invoice.invoice_number} {why}" for invoice, why in reasons if why)


def send_time_check(
    delivery: Delivery,
    invoices: list[repository.InvoiceFacts],
    *,
    contact: KeyContact | None,
    rule_deleted: bool,
) -> tuple[list[repository.InvoiceFacts], str | None]:
    """The invoices the message still speaks of, and why it is not sent (None: it is sent).

    Every kind: not when its contact was deleted or turned that channel off, nor when its invoice
    was deleted or cancelled or its customer deleted or deactivated. A reminder also not when its
    rule was deleted, and it lists only the invoices still due (unpaid, not closed, not disputed).

    A dispatch of an invoice paid in full meanwhile: the e-mail still goes, saying nothing is due,
    because it carries the tax invoice, which the buyer needs for its books and input tax credit
    whether or not it has paid; the seller asked for the invoice to be sent. Its SMS and WhatsApp
    carry only the request to pay, so they are not sent.
    """
    gone = _contact_gone(delivery, contact)
    if gone is not None:
        return [], gone
    if delivery.invoice_ids and not invoices:
        return [], "invoice deleted"
    if any(invoice.gone for invoice in invoices):
        return [], _why([(invoice, invoice.gone) for invoice in invoices])
    if delivery.kind == REMINDER:
        if rule_deleted:
            return [], "reminder rule deleted"
        due = [invoice for invoice in invoices if invoice.not_due is None]
        return (due, None) if due else ([], _why([(i, i.not_due) for i in invoices]))
    texted = delivery.kind == DISPATCH and delivery.channel != EMAIL
    if texted and invoices and all(_settled(invoice) for invoice in invoices):
        return [], _why([(invoice, _settled_note(invoice)) for invoice in invoices])
    return invoices, None


def _settled(invoice: repository.InvoiceFacts) -> bool:
    """Nothing is left to pay: paid in full, or closed (settled outside)."""
    return invoice.balance_paise <= 0 or invoice.receivable_status in (
        ReceivableStatus.PAID,
        ReceivableStatus.CLOSED,
    )


def _settled_note(invoice: repository.InvoiceFacts) -> str | None:
    if not _settled(invoice):
        return None
    return "settled" if invoice.receivable_status == ReceivableStatus.CLOSED else "paid in full"


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
            amount_due=rupees(max(invoice.balance_paise, 0)),
            due_date=wire_date(invoice.due_date),
            payment_link=(
                f"{settings.links_base_url}/pay/{invoice.payment_link_key}"
                if invoice.payment_link_key and not _settled(invoice)
                else None
            ),
            settled=_settled_note(invoice),
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
        total_due=rupees(sum(max(invoice.balance_paise, 0) for invoice in invoices)),
    )
    return variables


async def _add_documents(
    session: AsyncSession, prepared: list[Prepared], attach: DocumentLoader | None
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


async def prepare_claimed(
    session: AsyncSession,
    claimed: list[Delivery],
    *,
    settings: Settings,
    attach: DocumentLoader | None = None,
) -> list[Prepared]:
    """Check and render each claimed message from what the database says right now (a constant
    number of queries per batch)."""
    if not claimed:
        return []
    facts = await repository.invoice_facts(session, claimed)
    sellers = await repository.sellers_by_id(session, [d.seller_id for d in claimed])
    contacts = await repository.contacts_by_key(
        session, [(d.seller_id, d.key_contact_id) for d in claimed if d.key_contact_id]
    )
    gone_rules = await repository.deleted_rules(
        session, [(d.seller_id, d.reminder_rule_id) for d in claimed if d.reminder_rule_id]
    )
    prepared: list[Prepared] = []
    for delivery in claimed:
        contact = contacts.get((delivery.seller_id, delivery.key_contact_id or ""))
        invoices, reason = send_time_check(
            delivery,
            facts.get((delivery.seller_id, delivery.id), []),
            contact=contact,
            rule_deleted=delivery.reminder_rule_id in gone_rules,
        )
        if reason is not None:
            prepared.append(Prepared(delivery, None, cancel_reason=reason))
            continue
        seller = sellers.get(delivery.seller_id)
        prepared.append(
            _prepare(
                delivery,
                invoices,
                seller_name=seller.legal_name if seller else "",
                contact_name=contact.name if contact else None,
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
) -> Prepared:
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
            return Prepared(delivery, None, render_error=error)
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
    return Prepared(delivery, envelope)


def _stored_attachments(delivery: Delivery) -> tuple[Attachment, ...]:
    """A file queued with the message itself (a statement's PDF, made when it was asked for)."""
    stored = (delivery.context or {}).get("attachment")
    if not isinstance(stored, dict):
        return ()
    content = base64.b64decode(stored["base64"])
    return (Attachment(stored["fileName"], content, stored["mediaType"]),)
