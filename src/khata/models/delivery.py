"""The delivery outbox: one message to send, written with the change that caused it."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, JSONType, UTCDateTime


class DeliveryKind(StrEnum):
    DISPATCH = "DISPATCH"
    REMINDER = "REMINDER"
    STATEMENT = "STATEMENT"  # a customer's statement of account, its PDF in the context


class DeliveryChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    WHATSAPP = "WHATSAPP"
    WEBHOOK = "WEBHOOK"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    DEAD = "DEAD"
    CANCELLED = "CANCELLED"


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("seller_id", "dedupe_key"),
        # Workers claim across all sellers: the due pending rows first.
        Index(None, "status", "next_attempt_at"),
        Index(None, "seller_id", "invoice_id"),
    )

    seller_id: Mapped[str] = mapped_column(String(10), ForeignKey("seller.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # DeliveryKind
    channel: Mapped[str] = mapped_column(String(10))  # DeliveryChannel
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[str | None] = mapped_column(String(16))
    invoice_id: Mapped[str | None] = mapped_column(String(24))  # first invoice of the message
    invoice_ids: Mapped[list[str]] = mapped_column(JSONType)  # every invoice it covers
    key_contact_id: Mapped[str | None] = mapped_column(String(24))
    reminder_rule_id: Mapped[str | None] = mapped_column(String(24))
    stage: Mapped[str | None] = mapped_column(String(64))
    # A reminder's occurrence (local date): each invoice is reminded once per rule occurrence.
    occurrence_on: Mapped[date | None] = mapped_column(Date)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(10))  # DeliveryStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Who holds (or last held) the message: "<worker id>#<attempt>". An outcome is written only
    # by the holder of the current claim; a worker whose lease ran out finds another token.
    claim_token: Mapped[str | None] = mapped_column(String(100))
    dedupe_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
