"""shared job state: bulk job heartbeat, report rows in the database, failed logins

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import khata.models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bulk_job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("heartbeat_at", khata.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_column("success_file_path")
        batch_op.drop_column("failure_file_path")
        batch_op.create_index("ix_bulk_job_seller_id_created_at", ["seller_id", "created_at"])
        batch_op.create_index("ix_bulk_job_status", ["status"])
    op.create_table(
        "bulk_report_chunk",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("job_id", sa.String(length=24), nullable=False),
        sa.Column("report", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "job_id"],
            ["bulk_job.seller_id", "bulk_job.id"],
            name=op.f("fk_bulk_report_chunk_seller_id_bulk_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "seller_id", "job_id", "report", "seq", name=op.f("pk_bulk_report_chunk")
        ),
    )
    op.create_table(
        "login_failure",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("failed_at", khata.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "client_id", "id", name=op.f("pk_login_failure")),
    )


def downgrade() -> None:
    op.drop_table("login_failure")
    op.drop_table("bulk_report_chunk")
    with op.batch_alter_table("bulk_job", schema=None) as batch_op:
        batch_op.drop_index("ix_bulk_job_status")
        batch_op.drop_index("ix_bulk_job_seller_id_created_at")
        batch_op.add_column(sa.Column("failure_file_path", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("success_file_path", sa.String(length=1000), nullable=True))
        batch_op.drop_column("heartbeat_at")
