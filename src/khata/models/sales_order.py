"""Orders: commerce-side sales to a customer ("order" is a reserved word, hence the name)."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, JSONType, UTCDateTime


class SalesOrder(Base):
    __tablename__ = "sales_order"
    __table_args__ = (
        ForeignKeyConstraint(["seller_id", "customer_id"], ["customer.seller_id", "customer.id"]),
        Index(None, "seller_id", "customer_id"),
        Index(None, "seller_id", "created_at"),
    )

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    subtotal: Mapped[int] = mapped_column(BigInteger)  # paise
    tax: Mapped[int] = mapped_column(BigInteger)  # paise
    total: Mapped[int] = mapped_column(BigInteger)  # paise
    meta_fields: Mapped[list[Any]] = mapped_column(JSONType)
    created_by_id: Mapped[str | None] = mapped_column(String(24))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_by_type: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
