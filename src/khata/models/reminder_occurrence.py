"""Reminder occurrences: each (invoice, rule, occurrence) claimed once, by the scheduler that
queues its message."""

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class ReminderOccurrence(Base):
    """The primary key is the claim: two schedulers racing (or one reading an invoice set that
    changed since the other read it) can insert a given (invoice, rule, occurrence) only once,
    so no invoice is ever in two reminders of the same occurrence."""

    __tablename__ = "reminder_occurrence"

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    reminder_rule_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    occurrence_on: Mapped[date] = mapped_column(Date, primary_key=True)  # seller-local date
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
