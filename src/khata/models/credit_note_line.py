"""Credit note lines: how much of one invoice line a credit note takes back."""

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base


class CreditNoteLine(Base):
    __tablename__ = "credit_note_line"
    __table_args__ = (
        ForeignKeyConstraint(
            ["seller_id", "credit_note_id"], ["credit_note.seller_id", "credit_note.id"]
        ),
        ForeignKeyConstraint(
            ["seller_id", "invoice_line_id"], ["invoice_line.seller_id", "invoice_line.id"]
        ),
        Index(None, "seller_id", "credit_note_id"),
        # What of an invoice line is credited already.
        Index(None, "seller_id", "invoice_line_id"),
    )

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    credit_note_id: Mapped[str] = mapped_column(String(24))
    invoice_line_id: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # taxable value taken back, paise
    tax: Mapped[int] = mapped_column(BigInteger)  # its GST, paise
