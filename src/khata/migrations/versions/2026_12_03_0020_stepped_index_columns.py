"""ix_invoice_report_stepped carries the customer and the due date, so the aging reads it alone

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 16:00:00

The aging subtracts what invoices paid in steps had received in a part of its own, read from
ix_invoice_report_stepped; grouped by customer and bucketed by due date, it needs both columns
in the index. PostgreSQL only: SQLite indexes have no INCLUDE columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = (
    "deleted = false AND receivable_status <> 'CANCELLED' AND first_paid_on IS NOT NULL "
    "AND (settled_on IS NULL OR first_paid_on < settled_on)"
)
_BEFORE = ["id", "invoice_date", "first_paid_on"]


def _make(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_invoice_report_stepped", "invoice")
    op.create_index(
        "ix_invoice_report_stepped",
        "invoice",
        ["seller_id", "settled_on"],
        postgresql_include=include,
        postgresql_where=sa.text(_WHERE),
    )


def upgrade() -> None:
    _make([*_BEFORE, "customer_id", "due_date"])


def downgrade() -> None:
    _make(_BEFORE)
