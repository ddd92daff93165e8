"""A seller's webhook endpoint: where its events go, which ones, signed with which secret."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, JSONType, UTCDateTime


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    seller_id: Mapped[str] = mapped_column(String(10), ForeignKey("seller.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(Text)
    enabled_events: Mapped[list[str]] = mapped_column(JSONType)  # event types, or ["*"]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret keeps signing too until it expires.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kept (not removed) so its delivery log stays readable; nothing more is sent to it.
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
