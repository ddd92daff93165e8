"""One event to one endpoint: claimed, sent and recorded by the worker like a delivery row."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class WebhookDeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"
    CANCELLED = "CANCELLED"


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # Workers claim across all sellers: the due pending rows first.
        Index(None, "status", "next_attempt_at"),
        # An endpoint's delivery log, newest first.
        Index(None, "seller_id", "endpoint_id", "created_at"),
    )

    seller_id: Mapped[str] = mapped_column(String(10), ForeignKey("seller.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(String(24))
    event_id: Mapped[str] = mapped_column(String(24))
    event_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))  # WebhookDeliveryStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Retries stop here (3 days after the event): the next failure makes the row DEAD.
    give_up_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    # "<worker id>#<attempt>", as on delivery rows (delivery/claims.py).
    claim_token: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
