"""The open invoices get a report index of their own, by customer and due date

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 19:40:00

The aging's largest part sums every open invoice per customer and bucket. Read from
ix_invoice_report_settled (seller, settled_on), it hashed some 150,000 wide entries by customer;
ix_invoice_report_open (seller, customer, due date; only invoices with no settled_on) hands them
over in customer order with only the three columns summed, and ix_invoice_report_settled keeps
the others, so each counted invoice is still in exactly one of the two.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTED = "deleted = false AND receivable_status <> 'CANCELLED'"
_REPORT_COLUMNS = [
    "id",
    "customer_id",
    "invoice_date",
    "due_date",
    "net_amount",
    "tds",
    "first_paid_on",
    "settled_on",
]


def _where(condition: str) -> dict[str, Any]:
    return {"postgresql_where": sa.text(condition), "sqlite_where": sa.text(condition)}


def _settled_index(condition: str) -> None:
    op.drop_index("ix_invoice_report_settled", "invoice")
    op.create_index(
        "ix_invoice_report_settled",
        "invoice",
        ["seller_id", "settled_on"],
        postgresql_include=_REPORT_COLUMNS,
        **_where(condition),
    )


def upgrade() -> None:
    op.create_index(
        "ix_invoice_report_open",
        "invoice",
        ["seller_id", "customer_id", "due_date"],
        postgresql_include=["invoice_date", "net_amount", "tds"],
        **_where(f"{_COUNTED} AND settled_on IS NULL"),
    )
    _settled_index(f"{_COUNTED} AND settled_on IS NOT NULL")


def downgrade() -> None:
    _settled_index(_COUNTED)
    op.drop_index("ix_invoice_report_open", "invoice")
