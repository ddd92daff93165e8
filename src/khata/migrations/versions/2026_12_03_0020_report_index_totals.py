"""The report indexes carry the credited and written-off totals, so the aging reads them alone

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 16:00:00

Since 0015 the aging and the statement ask each invoice whether it has credit notes or
write-offs (total_credited, total_written_off) before looking them up. Those columns were not in
ix_invoice_report_settled and ix_invoice_report_customer, so PostgreSQL read every open invoice
from the table instead of the index (aging at a million invoices: 150 ms -> 1.3 s). PostgreSQL
only: SQLite indexes have no INCLUDE columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTED = "deleted = false AND receivable_status <> 'CANCELLED'"
_BEFORE = ["id", "customer_id", "invoice_date", "due_date", "net_amount", "tds", "first_paid_on"]
_TOTALS = ["total_credited", "total_written_off"]


def _make(settled: list[str], customer: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in ("ix_invoice_report_settled", "ix_invoice_report_customer"):
        op.drop_index(name, "invoice")
    op.create_index(
        "ix_invoice_report_settled",
        "invoice",
        ["seller_id", "settled_on"],
        postgresql_include=settled,
        postgresql_where=sa.text(_COUNTED),
    )
    op.create_index(
        "ix_invoice_report_customer",
        "invoice",
        ["seller_id", "customer_id", "invoice_date"],
        postgresql_include=customer,
        postgresql_where=sa.text(_COUNTED),
    )


def upgrade() -> None:
    kept = [c for c in _BEFORE if c not in ("customer_id", "invoice_date")]
    _make([*_BEFORE, *_TOTALS], [*kept, "settled_on", *_TOTALS])


def downgrade() -> None:
    kept = [c for c in _BEFORE if c not in ("customer_id", "invoice_date")]
    _make([*_BEFORE, "settled_on"], [*kept, "settled_on"])
