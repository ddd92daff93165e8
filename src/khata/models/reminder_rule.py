"""Reminder rules: when, relative to the due date, a customer is reminded of unpaid invoices."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class ReminderType(StrEnum):
    ONCE = "ONCE"
    RECURRING = "RECURRING"


class ReminderRule(Base):
    __tablename__ = "reminder_rule"
    __table_args__ = (
        ForeignKeyConstraint(["seller_id", "customer_id"], ["customer.seller_id", "customer.id"]),
        Index(None, "seller_id", "customer_id"),
    )

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(16))
    due_date_difference: Mapped[int] = mapped_column(Integer)  # days; negative = before due
    reminder_type: Mapped[str] = mapped_column(String(9))  # ReminderType
    reminder_interval: Mapped[int | None] = mapped_column(Integer)  # days, RECURRING only
    reminder_time: Mapped[str] = mapped_column(String(5))  # HH:mm, seller time zone
    stage: Mapped[str | None] = mapped_column(String(64))
    # Soft delete: deliveries already queued keep pointing at the rule that caused them.
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
