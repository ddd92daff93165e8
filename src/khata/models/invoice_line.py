"""Invoice lines: from an order line (commerce) or from a bulk file's items sheet."""

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base


class InvoiceLine(Base):
    __tablename__ = "invoice_line"
    __table_args__ = (
        # No foreign key to invoice (migration 0018): lines are written in their invoice's
        # transaction, and invoice rows are never deleted (a trigger refuses it).
        Index(None, "seller_id", "invoice_id"),
        Index(None, "seller_id", "order_line_id"),
    )

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(24))
    position: Mapped[int] = mapped_column(Integer)
    order_line_id: Mapped[str | None] = mapped_column(String(24))
    sku: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(String(1000))
    hsn_code: Mapped[str | None] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)  # paise
    tax_rate_bp: Mapped[int] = mapped_column(Integer)  # basis points: 18% = 1800
    amount: Mapped[int] = mapped_column(BigInteger)  # quantity x unit price, paise
    tax: Mapped[int] = mapped_column(BigInteger)  # rounded half-up per line, paise
