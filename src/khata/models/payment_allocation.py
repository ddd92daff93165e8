"""How much of one payment goes to one invoice."""

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base


class PaymentAllocation(Base):
    __tablename__ = "payment_allocation"
    __table_args__ = (
        ForeignKeyConstraint(["seller_id", "payment_id"], ["payment.seller_id", "payment.id"]),
        ForeignKeyConstraint(["seller_id", "invoice_id"], ["invoice.seller_id", "invoice.id"]),
        Index(None, "seller_id", "payment_id"),
        Index(None, "seller_id", "invoice_id"),
        # Reports: what an invoice had received by a day.
        Index(
            "ix_payment_allocation_report",
            "seller_id",
            "invoice_id",
            "accepted_on",
            postgresql_include=["amount"],
        ),
    )

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(24))
    invoice_id: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int] = mapped_column(BigInteger)  # paise
    # The seller-local day its payment was accepted; NULL while pending, and when rejected.
    accepted_on: Mapped[date | None] = mapped_column(Date)
