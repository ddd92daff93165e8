"""One webhook event, written in the transaction of the change it tells of (the outbox)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class WebhookEvent(Base):
    __tablename__ = "webhook_event"
    # An event that must happen once per object (invoice.overdue) carries a dedupe key: two
    # schedulers writing it at once insert one row.
    __table_args__ = (UniqueConstraint("seller_id", "dedupe_key"),)

    seller_id: Mapped[str] = mapped_column(String(10), ForeignKey("seller.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    # The exact JSON body POSTed, serialised once: every attempt and every endpoint signs and
    # sends the same bytes.
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
