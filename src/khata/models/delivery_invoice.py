"""Which invoices a delivery speaks of (a grouped reminder lists several)."""

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base


class DeliveryInvoice(Base):
    __tablename__ = "delivery_invoice"
    __table_args__ = (Index(None, "seller_id", "invoice_id"),)

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(24), primary_key=True)
