"""Report rows of a bulk job, one chunk per committed batch, in the database every server reads."""

from sqlalchemy import ForeignKeyConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from khata.models.base import Base


class BulkReportChunk(Base):
    """Rows of one report (`success`, `failure`, `items`) written in the transaction of the batch
    they describe; seq 0 is the header row. CSV jobs keep the rows as CSV text (a download is
    the chunks joined), XLSX jobs as JSON lines of typed cells."""

    __tablename__ = "bulk_report_chunk"

    seller_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    report: Mapped[str] = mapped_column(String(10), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    row_count: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(
            ["seller_id", "job_id"], ["bulk_job.seller_id", "bulk_job.id"], ondelete="CASCADE"
        ),
    )
