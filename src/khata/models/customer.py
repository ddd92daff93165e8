"""Customers: the buyers of one seller."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, JSONType, UTCDateTime


class CustomerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (
        # NULLs never clash, so the seller's own code is unique only when it is set.
        UniqueConstraint("seller_id", "unique_ref_no"),
        Index(None, "seller_id", "legal_name"),
        Index(None, "seller_id", "created_at"),
        # Invoice search's customerLegalName (a part of the name), on PostgreSQL (pg_trgm).
        Index(
            "ix_customer_legal_name_trgm",
            func.lower(text("legal_name")),
            postgresql_using="gin",
            postgresql_ops={"lower_1": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    seller_id: Mapped[str] = mapped_column(String(10), ForeignKey("seller.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    pan_or_gstin: Mapped[str | None] = mapped_column(String(15))
    contact_number: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str | None] = mapped_column(String(2))  # GST state code
    pin_code: Mapped[str | None] = mapped_column(String(6))
    account_number: Mapped[str | None] = mapped_column(String(36))
    ifsc: Mapped[str | None] = mapped_column(String(11))
    branch_codes: Mapped[list[str] | None] = mapped_column(JSONType)
    unique_ref_no: Mapped[str | None] = mapped_column(String(100))
    assigned_agent: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default=CustomerStatus.ACTIVE.value)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[str | None] = mapped_column(String(24))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    modified_by_id: Mapped[str | None] = mapped_column(String(24))
    modified_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
