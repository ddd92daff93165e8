"""The seller: the tenant that owns every other row."""

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class Seller(Base):
    __tablename__ = "seller"

    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    gstin: Mapped[str | None] = mapped_column(String(15))
    state_code: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Kolkata")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    invoice_prefix: Mapped[str] = mapped_column(String(16), default="INV-")
    # HH:mm in the seller's time zone, used by a reminder rule created without reminderTime.
    default_reminder_time: Mapped[str] = mapped_column(
        String(5), default="10:00", server_default="10:00"
    )
    # The profile a tax invoice and the payment page need (CGST Rule 46, UPI, bank transfer).
    address: Mapped[str | None] = mapped_column(String(500))
    upi_id: Mapped[str | None] = mapped_column(String(321))
    bank_account_name: Mapped[str | None] = mapped_column(String(200))
    bank_account_number: Mapped[str | None] = mapped_column(String(36))
    bank_ifsc: Mapped[str | None] = mapped_column(String(11))
    bank_name: Mapped[str | None] = mapped_column(String(200))
    authorised_signatory: Mapped[str | None] = mapped_column(String(200))
    invoice_footer: Mapped[str | None] = mapped_column(String(1000))
    # Last entityId handed out. Bumped with UPDATE ... RETURNING inside the invoice's own
    # transaction, so numbers are gap-free and the row lock serialises concurrent writers.
    invoice_counter: Mapped[int] = mapped_column(BigInteger, default=0)
    # Credit notes have their own series (CGST Act s. 34): prefix + a counter bumped like
    # invoice_counter, in the credit note's own transaction.
    credit_note_prefix: Mapped[str] = mapped_column(String(16), default="CN-", server_default="CN-")
    credit_note_counter: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
