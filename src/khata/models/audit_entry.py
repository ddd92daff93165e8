"""Audit trail: who changed which invoice, payment or customer, when, before and after."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class AuditAction(StrEnum):
    """What an audit entry says was done."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"
    DISPATCHED = "DISPATCHED"
    STATUS_CHANGED = "STATUS_CHANGED"
    ACTIVATED = "ACTIVATED"
    DEACTIVATED = "DEACTIVATED"
    REPORTED = "REPORTED"
    PAYMENT_REPORTED = "PAYMENT_REPORTED"
    PAYMENT_ACCEPTED = "PAYMENT_ACCEPTED"
    PAYMENT_REJECTED = "PAYMENT_REJECTED"
    CREDIT_NOTE_ISSUED = "CREDIT_NOTE_ISSUED"
    WRITTEN_OFF = "WRITTEN_OFF"
    BUYER_ACCEPTED = "BUYER_ACCEPTED"
    BUYER_DISPUTED = "BUYER_DISPUTED"
    REMINDER_CREATED = "REMINDER_CREATED"
    REMINDER_UPDATED = "REMINDER_UPDATED"
    REMINDER_DELETED = "REMINDER_DELETED"


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index(None, "seller_id", "entity_type", "entity_id", "at"),)

    # No foreign key to seller (migration 0018): entries are written for the caller's own
    # seller, and seller rows are never deleted (a trigger refuses it).
    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))  # customer | invoice | payment | ...
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[str | None] = mapped_column(String(24))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    actor_type: Mapped[str | None] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # json, not jsonb, on PostgreSQL: snapshots are written and shown whole, never queried
    # inside, and json skips jsonb's parse into binary on every insert (bulk imports write one
    # per invoice).
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
