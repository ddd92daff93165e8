"""console: the indexes of the web console's sign-in and payments to confirm

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 12:45:00

Sign-in to the console takes an e-mail without a seller: `ix_principal_email` finds the admins
with it across sellers. The payments page lists PENDING_CONFIRMATION payments oldest first:
`ix_payment_awaiting` holds only those (a partial index, on both databases), so the page and
its count read a few entries instead of every payment of the seller.
Console sessions need no table: they are auth_token rows of kind 'console'.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AWAITING = sa.text("status = 'PENDING_CONFIRMATION'")


def upgrade() -> None:
    op.create_index("ix_principal_email", "principal", ["email"])
    op.create_index(
        "ix_payment_awaiting",
        "payment",
        ["seller_id", "created_at", "id"],
        postgresql_where=_AWAITING,
        sqlite_where=_AWAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_payment_awaiting", table_name="payment")
    op.drop_index("ix_principal_email", table_name="principal")
