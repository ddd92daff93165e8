"""lean writes: audit snapshots as json text; the invoice's mostly-empty keys indexed where set

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 06:50:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index name, columns, unique) of the invoice keys that are NULL on most rows: a bulk file's
# invoices have no order, often no external id, and no payment link until dispatched.
_SPARSE = (
    ("ix_invoice_seller_id_order_id", ["seller_id", "order_id"], "order_id", False),
    ("ix_invoice_seller_id_external_id", ["seller_id", "external_id"], "external_id", False),
    (
        "uq_invoice_seller_id_payment_link_key",
        ["seller_id", "payment_link_key"],
        "payment_link_key",
        True,
    ),
)


def _where(column: str) -> dict[str, Any]:
    condition = sa.text(f"{column} IS NOT NULL")
    return {"postgresql_where": condition, "sqlite_where": condition}


def upgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint("uq_invoice_seller_id_payment_link_key", type_="unique")
        batch_op.drop_index("ix_invoice_seller_id_order_id")
        batch_op.drop_index("ix_invoice_seller_id_external_id")
    for name, columns, column, unique in _SPARSE:
        op.create_index(name, "invoice", columns, unique=unique, **_where(column))
    # The buyer's link names no seller: its key alone finds the invoice.
    op.create_index(
        "ix_invoice_payment_link_key", "invoice", ["payment_link_key"], **_where("payment_link_key")
    )
    if op.get_bind().dialect.name == "postgresql":
        # Snapshots are written and shown whole, never queried inside: json keeps the text as
        # written, without jsonb's parse into binary on every insert.
        for column in ("before", "after"):
            op.alter_column(
                "audit_entry",
                column,
                type_=sa.JSON(),
                existing_type=postgresql.JSONB(),
                postgresql_using=f'"{column}"::text::json',
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in ("before", "after"):
            op.alter_column(
                "audit_entry",
                column,
                type_=postgresql.JSONB(),
                existing_type=sa.JSON(),
                postgresql_using=f'"{column}"::jsonb',
            )
    op.drop_index("ix_invoice_payment_link_key", "invoice")
    for name, _columns, _column, _unique in _SPARSE:
        op.drop_index(name, "invoice")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_invoice_seller_id_payment_link_key", ["seller_id", "payment_link_key"]
        )
        batch_op.create_index("ix_invoice_seller_id_order_id", ["seller_id", "order_id"])
        batch_op.create_index("ix_invoice_seller_id_external_id", ["seller_id", "external_id"])
