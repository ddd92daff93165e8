"""Channels: email over SMTP, SMS and WhatsApp through a signed HTTP gateway."""

import asyncio
import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import httpx

from khata.config import Settings
from khata.models.delivery import DeliveryChannel

SIGNATURE_HEADER = "X-Khata-Signature"
DELIVERY_HEADER = "X-Khata-Delivery-Id"


class SendFailed(Exception):
    """The channel refused or could not take the message; the worker retries later."""


PDF = "application/pdf"


@dataclass(frozen=True)
class Attachment:
    """A file an e-mail carries (the text channels carry none)."""

    file_name: str
    content: bytes
    media_type: str


@dataclass(frozen=True)
class Envelope:
    """One rendered message ready to leave."""

    delivery_id: str
    seller_id: str
    channel: str
    kind: str
    stage: str | None
    recipient: str
    subject: str | None
    text: str
    html: str | None
    invoice_ids: list[str] = field(default_factory=list)
    invoice_numbers: list[str] = field(default_factory=list)
    attachments: tuple[Attachment, ...] = ()


def sign(body: bytes, secret: str) -> str:
    """The signature header value: `sha256=` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str | None) -> bool:
    """For gateway implementers (and our tests): constant-time check of the signature."""
    return header is not None and hmac.compare_digest(sign(body, secret), header)


def message_id(envelope: Envelope, settings: Settings) -> str:
    """The same Message-ID on every attempt of one delivery, so a receiver can drop the repeat
    a crash between "accepted" and "recorded SENT" causes (make_msgid is random per call)."""
    _name, address = parseaddr(settings.smtp_from)
    domain = address.rpartition("@")[2] or "khata.local"
    return f"<{envelope.delivery_id}.{envelope.seller_id}@{domain}>"


def _email(envelope: Envelope, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = envelope.recipient
    message["Subject"] = envelope.subject or ""
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(envelope, settings)
    # Lets a mail server (or a test) tie the message to its outbox row.
    message[DELIVERY_HEADER] = envelope.delivery_id
    message.set_content(envelope.text)
    if envelope.html:
        message.add_alternative(envelope.html, subtype="html")
    for attachment in envelope.attachments:
        maintype, _, subtype = attachment.media_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.file_name
        )
    return message


def _send_smtp(envelope: Envelope, settings: Settings) -> None:
    message = _email(envelope, settings)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                # smtplib's default context checks no certificate: anyone on the path could
                # read the password and the invoices. A server without STARTTLS fails the send.
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        refused = "; ".join(
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in exc.recipients.items()
        )
        raise SendFailed(f"SMTP refused recipient ({refused})") from exc
    except smtplib.SMTPResponseException as exc:
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        raise SendFailed(f"SMTP {exc.smtp_code} {reply}".strip()) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"SMTP {type(exc).__name__}: {exc}") from exc


class Channels:
    """Sends envelopes; one instance per worker pass (it holds the HTTP connection pool)."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    async def send(self, envelope: Envelope) -> None:
        if envelope.channel == DeliveryChannel.EMAIL:
            # smtplib blocks; a thread keeps the event loop (and the web server) responsive.
            await asyncio.to_thread(_send_smtp, envelope, self.settings)
            return
        if envelope.channel == DeliveryChannel.SMS:
            url = self.settings.sms_webhook_url
            setting = "KHATA_SMS_WEBHOOK_URL"
        elif envelope.channel == DeliveryChannel.WHATSAPP:
            url = self.settings.whatsapp_webhook_url
            setting = "KHATA_WHATSAPP_WEBHOOK_URL"
        elif envelope.channel == DeliveryChannel.WEBHOOK:
            url, setting = envelope.recipient, "the recipient URL"
        else:
            raise SendFailed(f"unknown channel {envelope.channel}")
        if not url:
            raise SendFailed(f"{setting} is not set")
        await self._post(url, envelope)

    async def _post(self, url: str, envelope: Envelope) -> None:
        payload: dict[str, Any] = {
            "channel": envelope.channel,
            "to": envelope.recipient,
            "text": envelope.text,
            "deliveryId": envelope.delivery_id,
            "sellerId": envelope.seller_id,
            "kind": envelope.kind,
            "stage": envelope.stage,
            "invoiceIds": envelope.invoice_ids,
            "invoiceNumbers": envelope.invoice_numbers,
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self.settings.webhook_secret),
            DELIVERY_HEADER: envelope.delivery_id,
            # The same on every attempt: a provider that honours it drops a repeat itself.
            "Idempotency-Key": envelope.delivery_id,
        }
        try:
            response = await self.http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SendFailed(f"gateway {type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise SendFailed(f"gateway answered {response.status_code}: {response.text[:200]}")
