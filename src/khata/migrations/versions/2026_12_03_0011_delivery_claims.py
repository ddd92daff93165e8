"""delivery claims: a claim token per delivery; reminder occurrences claimed once each

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import khata.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every (invoice, rule, occurrence) already reminded of keeps counting as claimed.
_BACKFILL = """
INSERT INTO reminder_occurrence
    (seller_id, invoice_id, reminder_rule_id, occurrence_on, created_at)
SELECT di.seller_id, di.invoice_id, d.reminder_rule_id, d.occurrence_on, MIN(d.created_at)
FROM delivery d
JOIN delivery_invoice di ON di.seller_id = d.seller_id AND di.delivery_id = d.id
WHERE d.kind = 'REMINDER' AND d.reminder_rule_id IS NOT NULL AND d.occurrence_on IS NOT NULL
GROUP BY di.seller_id, di.invoice_id, d.reminder_rule_id, d.occurrence_on
"""


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=100), nullable=True))
    op.create_table(
        "reminder_occurrence",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("invoice_id", sa.String(length=24), nullable=False),
        sa.Column("reminder_rule_id", sa.String(length=24), nullable=False),
        sa.Column("occurrence_on", sa.Date(), nullable=False),
        sa.Column("created_at", khata.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id",
            "invoice_id",
            "reminder_rule_id",
            "occurrence_on",
            name=op.f("pk_reminder_occurrence"),
        ),
    )
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.drop_table("reminder_occurrence")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("claim_token")
