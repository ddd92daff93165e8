"""The messages that present one invoice to its buyer: the one builder for API dispatch,
`dispatchNow` on create and the `dispatchNow` rows of a bulk file."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from khata.delivery import outbox
from khata.invoice.ar_views import payment_link
from khata.kit.money import wire_paise
from khata.models import KeyContact


@dataclass(frozen=True)
class DispatchedInvoice:
    """What a dispatch message says about its invoice, whichever path dispatched it."""

    invoice_id: str
    invoice_number: str
    version: int
    customer_id: str
    customer_legal_name: str | None
    seller_name: str
    balance_paise: int
    due_date: date
    payment_link_key: str | None
    email_address: str | None
    mobile_number: str | None


def dispatch_messages(
    invoice: DispatchedInvoice, contacts: Sequence[KeyContact], *, link_base: str
) -> list[outbox.OutgoingMessage]:
    """One message per enabled channel of each key contact, plus the invoice's own e-mail and
    mobile (SMS only: nothing says that number is on WhatsApp) unless a key contact already
    gets the same message at that address. Dedupe keys name the invoice's version, so a
    repeated dispatch of the same version queues nothing new."""
    prefix = f"dispatch:{invoice.invoice_id}:{invoice.version}"
    context = {
        "invoiceId": invoice.invoice_id,
        "invoiceNumber": invoice.invoice_number,
        "customerLegalName": invoice.customer_legal_name,
        "sellerName": invoice.seller_name,
        "balanceAmount": wire_paise(invoice.balance_paise),
        "dueDate": invoice.due_date.isoformat(),
        "paymentLink": payment_link(link_base, invoice.payment_link_key),
    }
    messages = [
        message
        for contact in contacts
        for message in outbox.channel_messages_for_contact(
            contact,
            kind=outbox.DISPATCH,
            dedupe_prefix=prefix,
            invoice_ids=[invoice.invoice_id],
            customer_id=invoice.customer_id,
            context=context,
        )
    ]
    addressed = {(m.channel, m.recipient.strip().lower()) for m in messages}
    for channel, address in (
        (outbox.EMAIL, invoice.email_address),
        (outbox.SMS, invoice.mobile_number),
    ):
        if address and (channel, address.strip().lower()) not in addressed:
            messages.append(
                outbox.OutgoingMessage(
                    kind=outbox.DISPATCH,
                    channel=channel,
                    recipient=address,
                    dedupe_key=f"{prefix}:invoice:{channel}",
                    invoice_ids=[invoice.invoice_id],
                    customer_id=invoice.customer_id,
                    context=context,
                )
            )
    return messages
