"""search indexes: one (seller_id, <orderBy column>, id) index per search order on live invoices

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-03 09:00:00

Each index is named in models/invoice.py with the queries it serves. They cover live invoices
only (`NOT deleted`, the search's own condition), so a search page is an ordered walk of one
index and a count an index-only scan. The two plain (seller_id, created_at) and (seller_id,
due_date) indexes they replace are dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (column, columns carried along for index-only scans on PostgreSQL)
_LIVE: tuple[tuple[str, list[str]], ...] = (
    ("created_at", []),
    ("due_date", ["balance_amount", "receivable_status"]),
    ("invoice_date", []),
    ("base_amount", []),
    ("balance_amount", []),
    ("net_amount", []),
    ("dispatched_at", []),
)
_REPLACED = (
    ("ix_invoice_seller_id_created_at", ["seller_id", "created_at"]),
    ("ix_invoice_seller_id_due_date", ["seller_id", "due_date"]),
)


def upgrade() -> None:
    live = sa.text("NOT deleted")
    for column, include in _LIVE:
        op.create_index(
            f"ix_invoice_live_{column}",
            "invoice",
            ["seller_id", column, "id"],
            postgresql_where=live,
            sqlite_where=live,
            postgresql_include=include,
        )
    for name, _columns in _REPLACED:
        op.drop_index(name, "invoice")


def downgrade() -> None:
    for name, columns in _REPLACED:
        op.create_index(name, "invoice", columns)
    for column, _include in _LIVE:
        op.drop_index(f"ix_invoice_live_{column}", "invoice")
