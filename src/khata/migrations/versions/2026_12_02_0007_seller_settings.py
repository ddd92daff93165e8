"""seller settings: default reminder time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("seller", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "default_reminder_time",
                sa.String(length=5),
                nullable=False,
                server_default="10:00",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("seller", schema=None) as batch_op:
        batch_op.drop_column("default_reminder_time")
