"""Payments reported against invoices, awaiting or past confirmation."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class PaymentStatus(StrEnum):
    PENDING_CONFIRMATION = "PENDING_CONFIRMATION"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class PaymentType(StrEnum):
    ONPLATFORM = "ONPLATFORM"
    OFFPLATFORM = "OFFPLATFORM"


# As a literal, so the planner matches it to the partial index whatever the statement's binds.
AWAITING_CONFIRMATION = text("payment.status = 'PENDING_CONFIRMATION'")
_AWAITING = text("status = 'PENDING_CONFIRMATION'")


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("seller_id", "payment_ref"),
        Index(None, "seller_id", "created_at"),
        # The console's payments to confirm: the few awaiting an answer among every payment.
        Index(
            "ix_payment_awaiting",
            "seller_id",
            "created_at",
            "id",
            postgresql_where=_AWAITING,
            sqlite_where=_AWAITING,
        ),
    )

    seller_id: Mapped[str] = mapped_column(String(10), ForeignKey("seller.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    payment_ref: Mapped[str] = mapped_column(String(100))  # the caller's `paymentId`
    type: Mapped[str] = mapped_column(String(12))  # PaymentType
    mode: Mapped[str | None] = mapped_column(String(32))
    utr: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)  # paise
    paid_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24))  # PaymentStatus
    remarks: Mapped[str | None] = mapped_column(String(1000))
    # Reported from the invoice's payment page by the buyer, not by the seller's systems.
    reported_by_buyer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[str | None] = mapped_column(String(24))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
