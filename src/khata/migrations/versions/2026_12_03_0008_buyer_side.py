"""buyer side: seller profile for documents and payments, buyer answers, buyer-reported payments

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import khata.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SELLER_PROFILE = (
    ("address", 500),
    ("upi_id", 321),
    ("bank_account_name", 200),
    ("bank_account_number", 36),
    ("bank_ifsc", 11),
    ("bank_name", 200),
    ("authorised_signatory", 200),
    ("invoice_footer", 1000),
)


def upgrade() -> None:
    with op.batch_alter_table("seller", schema=None) as batch_op:
        for name, length in _SELLER_PROFILE:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buyer_response", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("buyer_response_reason", sa.String(length=500), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "buyer_responded_at", khata.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reported_by_buyer", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_column("reported_by_buyer")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_column("buyer_responded_at")
        batch_op.drop_column("buyer_response_reason")
        batch_op.drop_column("buyer_response")
    with op.batch_alter_table("seller", schema=None) as batch_op:
        for name, _length in reversed(_SELLER_PROFILE):
            batch_op.drop_column(name)
