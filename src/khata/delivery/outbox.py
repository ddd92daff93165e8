"""Queueing messages: outbox rows written in the caller's transaction, sent later by the worker.

Every row has a dedupe key unique per seller, so queueing the same message twice (a retried
request, two schedulers racing) leaves exactly one row.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from khata.delivery import repository
from khata.kit.ids import new_object_id
from khata.models import KeyContact
from khata.models.delivery import DeliveryChannel, DeliveryKind, DeliveryStatus

# Short names of the enum values, as the worker and the queueing callers use them.
EMAIL, SMS = DeliveryChannel.EMAIL.value, DeliveryChannel.SMS.value
WHATSAPP, WEBHOOK = DeliveryChannel.WHATSAPP.value, DeliveryChannel.WEBHOOK.value
DISPATCH, REMINDER = DeliveryKind.DISPATCH.value, DeliveryKind.REMINDER.value
PENDING, SENT = DeliveryStatus.PENDING.value, DeliveryStatus.SENT.value
DEAD, CANCELLED = DeliveryStatus.DEAD.value, DeliveryStatus.CANCELLED.value


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to queue. Subject and bodies may be left empty: the worker renders them
    from the templates of `kind` (and `stage`) at send time."""

    kind: str
    channel: str
    recipient: str
    dedupe_key: str
    invoice_ids: Sequence[str]
    customer_id: str | None = None
    key_contact_id: str | None = None
    reminder_rule_id: str | None = None
    stage: str | None = None
    occurrence_on: date | None = None  # reminders: the rule occurrence it is for
    subject: str | None = None
    body: str | None = None
    html_body: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


async def queue(
    session: AsyncSession, *, seller_id: str, messages: Sequence[OutgoingMessage], now: datetime
) -> list[str]:
    """Queue messages not queued before (by dedupe key); answers the ids of the new rows.

    Two statements per call whatever the number of messages: one batched insert that skips
    existing keys, one for the invoice links.
    """
    if not messages:
        return []
    rows: list[dict[str, Any]] = []
    links: dict[str, list[str]] = {}
    seen: set[str] = set()
    for message in messages:
        if message.dedupe_key in seen:
            continue
        seen.add(message.dedupe_key)
        delivery_id = new_object_id(now.timestamp())
        rows.append(
            {
                "seller_id": seller_id,
                "id": delivery_id,
                "kind": message.kind,
                "channel": message.channel,
                "recipient": message.recipient,
                "subject": message.subject,
                "body": message.body,
                "html_body": message.html_body,
                "customer_id": message.customer_id,
                "invoice_id": message.invoice_ids[0] if message.invoice_ids else None,
                "invoice_ids": list(message.invoice_ids),
                "key_contact_id": message.key_contact_id,
                "reminder_rule_id": message.reminder_rule_id,
                "stage": message.stage,
                "occurrence_on": message.occurrence_on,
                "context": message.context,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "sent_at": None,
                "last_error": None,
                "dedupe_key": message.dedupe_key,
                "created_at": now,
            }
        )
        links[delivery_id] = list(dict.fromkeys(message.invoice_ids))
    inserted = await repository.insert_new(session, rows)
    await repository.insert_invoice_links(
        session,
        [
            {"seller_id": seller_id, "delivery_id": delivery_id, "invoice_id": invoice_id}
            for delivery_id in inserted
            for invoice_id in links[delivery_id]
        ],
    )
    new_ids = set(inserted)
    return [row["id"] for row in rows if row["id"] in new_ids]


def channel_messages_for_contact(
    contact: KeyContact,
    *,
    kind: str,
    dedupe_prefix: str,
    invoice_ids: Sequence[str],
    customer_id: str,
    reminder_rule_id: str | None = None,
    stage: str | None = None,
    occurrence_on: date | None = None,
    context: dict[str, Any] | None = None,
) -> list[OutgoingMessage]:
    """One message per enabled channel of a key contact that has an address for it."""
    if contact.deleted:
        return []
    channels: list[tuple[str, str | None]] = []
    if contact.mail_enabled:
        channels.append((EMAIL, contact.email))
    if contact.sms_enabled:
        channels.append((SMS, contact.mobile))
    if contact.whatsapp_enabled:
        channels.append((WHATSAPP, contact.mobile))
    return [
        OutgoingMessage(
            kind=kind,
            channel=channel,
            recipient=address,
            dedupe_key=f"{dedupe_prefix}:{contact.id}:{channel}",
            invoice_ids=invoice_ids,
            customer_id=customer_id,
            key_contact_id=contact.id,
            reminder_rule_id=reminder_rule_id,
            stage=stage,
            occurrence_on=occurrence_on,
            context=context or {},
        )
        for channel, address in channels
        if address
    ]
