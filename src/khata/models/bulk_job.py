"""Bulk jobs: one file import, its status, counts and heartbeat (rows: bulk_report_chunk)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base, UTCDateTime


class BulkJobKind(StrEnum):
    INVOICE = "INVOICE"
    CUSTOMER_CREATE = "CUSTOMER_CREATE"
    CUSTOMER_UPDATE = "CUSTOMER_UPDATE"
    CREDIT_NOTE = "CREDIT_NOTE"


class BulkJobStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class BulkJob(Base):
    __tablename__ = "bulk_job"

    seller_id: Mapped[str] = mapped_column(String(10), ForeignKey("seller.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # BulkJobKind
    file_name: Mapped[str] = mapped_column(String(300))
    file_format: Mapped[str] = mapped_column(String(4))  # csv | xlsx
    status: Mapped[str] = mapped_column(String(12))  # BulkJobStatus
    total_count: Mapped[int] = mapped_column(Integer, default=0)
    success_count: Mapped[int] = mapped_column(Integer, default=0)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    failure_count_second_file: Mapped[int] = mapped_column(Integer, default=0)
    warn_count: Mapped[int] = mapped_column(Integer, default=0)
    total_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # paise
    created_by_id: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Written with every committed batch: a RUNNING job whose heartbeat is old has no process.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_bulk_job_seller_id_created_at", "seller_id", "created_at"),
        Index("ix_bulk_job_status", "status"),
    )
