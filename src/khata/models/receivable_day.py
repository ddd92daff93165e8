"""Receivable days: signed daily changes of a seller's receivables and credit sales (PostgreSQL)."""

from datetime import date

from sqlalchemy import BigInteger, Date, Identity, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base


class ReceivableDay(Base):
    """A ledger kept by triggers on `invoice` and `payment_allocation` (migration 0017): every
    statement that writes either table adds one row per day whose figures it changed. The sum
    of `owed` over a seller's rows dated on or before D is exactly its receivables at the end
    of D as report/views.py defines them (counted invoices dated by D, not settled by D, less
    the allocations accepted by D); the sum of `sales` over a range of days, its credit sales
    in them. DSO reads a few hundred such rows instead of every invoice open at some interval
    end. Folded into one row per day now and then (invoice/repository.py). Empty on SQLite (no
    triggers): there DSO reads the invoices."""

    __tablename__ = "receivable_day"

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    owed: Mapped[int] = mapped_column(BigInteger)
    sales: Mapped[int] = mapped_column(BigInteger)
