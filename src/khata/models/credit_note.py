"""Credit notes: a reduction of one invoice's balance, with its own per-seller number series."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class CreditNote(Base):
    __tablename__ = "credit_note"
    __table_args__ = (
        UniqueConstraint("seller_id", "credit_note_number"),
        ForeignKeyConstraint(["seller_id", "invoice_id"], ["invoice.seller_id", "invoice.id"]),
        # An invoice's credit notes (its list, the aging's credits as of a day).
        Index(None, "seller_id", "invoice_id", "credit_date"),
    )

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    credit_note_number: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[str] = mapped_column(String(24))
    credit_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(1000))
    # Paise: amount = taxable + cgst + sgst + igst, in the invoice's kind and proportion.
    amount: Mapped[int] = mapped_column(BigInteger)
    taxable: Mapped[int] = mapped_column(BigInteger)
    cgst: Mapped[int] = mapped_column(BigInteger)
    sgst: Mapped[int] = mapped_column(BigInteger)
    igst: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[str | None] = mapped_column(String(24))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_by_type: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
