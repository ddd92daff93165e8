"""Write-offs: one row per amount of an invoice's balance written off as bad debt, on its day."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class WriteOff(Base):
    __tablename__ = "write_off"
    __table_args__ = (
        ForeignKeyConstraint(["seller_id", "invoice_id"], ["invoice.seller_id", "invoice.id"]),
        # An invoice's write-offs (the aging's write-offs as of a day, the statement).
        Index(None, "seller_id", "invoice_id", "written_off_on"),
    )

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(24))
    # Paise taken off the balance on written_off_on (the seller's local day).
    amount: Mapped[int] = mapped_column(BigInteger)
    written_off_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[str | None] = mapped_column(String(24))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_by_type: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
