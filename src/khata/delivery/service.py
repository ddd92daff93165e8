"""Delivery rules seen from outside: listing an invoice's messages, emails sent for invoices."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from khata.delivery import repository
from khata.delivery.errors import InvoiceNotFound
from khata.kit.timeutil import enkash_timestamp, iso_millis
from khata.models import Delivery
from khata.models.delivery import DeliveryStatus


async def deliveries_of_invoice(
    session: AsyncSession, *, seller_id: str, invoice_id: str
) -> list[Delivery]:
    """Every message of the invoice; another seller's invoice is as missing as an unknown one."""
    if not await repository.invoice_exists(session, seller_id=seller_id, invoice_id=invoice_id):
        raise InvoiceNotFound(invoice_id)
    return await repository.deliveries_of_invoice(
        session, seller_id=seller_id, invoice_id=invoice_id
    )


def delivery_wire(delivery: Delivery, time_zone: str) -> dict[str, Any]:
    def stamp(value: Any) -> str | None:
        return enkash_timestamp(value, time_zone) if value is not None else None

    return {
        "deliveryId": delivery.id,
        "kind": delivery.kind,
        "channel": delivery.channel,
        "recipient": delivery.recipient,
        "subject": delivery.subject,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "lastError": delivery.last_error,
        "stage": delivery.stage,
        "invoiceIds": list(delivery.invoice_ids),
        "sentOn": stamp(delivery.sent_at),
        "createdOn": stamp(delivery.created_at),
        "nextAttemptOn": stamp(delivery.next_attempt_at)
        if delivery.status == DeliveryStatus.PENDING
        else None,
    }


async def mails_sent(
    session: AsyncSession, *, seller_id: str, invoice_ids: list[str]
) -> dict[str, list[dict[str, str]]]:
    """Commerce `mailsSent [{sentTo, sentAt}]` per invoice id (ISO 8601 UTC), one query."""
    sent = await repository.sent_emails(session, seller_id=seller_id, invoice_ids=invoice_ids)
    return {
        invoice_id: [{"sentTo": to, "sentAt": iso_millis(at)} for to, at in rows]
        for invoice_id, rows in sent.items()
    }
