"""report dates: when an invoice was closed, first paid and settled; when an allocation counted

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:50:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
_COUNTED = "deleted = false AND receivable_status <> 'CANCELLED'"


_STEPPED = "first_paid_on IS NOT NULL AND (settled_on IS NULL OR first_paid_on < settled_on)"


def _counted(also: str | None = None) -> dict[str, Any]:
    condition = sa.text(_COUNTED if also is None else f"{_COUNTED} AND {also}")
    return {"postgresql_where": condition, "sqlite_where": condition}


def upgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        for column in ("closed_on", "first_paid_on", "settled_on"):
            batch_op.add_column(sa.Column(column, sa.Date(), nullable=True))
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepted_on", sa.Date(), nullable=True))
    _backfill(op.get_bind())
    op.create_index(
        "ix_invoice_report_settled",
        "invoice",
        ["seller_id", "settled_on"],
        postgresql_include=_REPORT_COLUMNS,
        **_counted(),
    )
    op.create_index(
        "ix_invoice_report_customer",
        "invoice",
        ["seller_id", "customer_id", "invoice_date"],
        postgresql_include=[c for c in _REPORT_COLUMNS if c not in ("customer_id", "invoice_date")],
        **_counted(),
    )
    op.create_index(
        "ix_invoice_report_stepped",
        "invoice",
        ["seller_id", "settled_on"],
        postgresql_include=["id", "invoice_date", "first_paid_on"],
        **_counted(_STEPPED),
    )
    op.create_index(
        "ix_invoice_report_dated",
        "invoice",
        ["seller_id", "invoice_date"],
        postgresql_include=["net_amount"],
        **_counted(),
    )
    op.create_index(
        "ix_payment_allocation_report",
        "payment_allocation",
        ["seller_id", "invoice_id", "accepted_on"],
        postgresql_include=["amount"],
    )


def _local(at: Any, time_zone: str) -> date:
    if isinstance(at, str):  # SQLite hands back text
        at = datetime.fromisoformat(at)
    assert isinstance(at, datetime)
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return aware.astimezone(ZoneInfo(time_zone)).date()


def _backfill(bind: sa.Connection) -> None:
    """Dates from what is stored: a payment's acceptance time (confirmed_at), an invoice's last
    status change (a CLOSED invoice's last one closed it; its update time when unaudited)."""
    zones: dict[str, str] = {
        row[0]: row[1] for row in bind.execute(sa.text("SELECT id, time_zone FROM seller"))
    }
    accepted = bind.execute(
        sa.text("SELECT seller_id, id, confirmed_at FROM payment WHERE status = 'ACCEPTED'")
    ).all()
    if accepted:
        bind.execute(
            sa.text(
                "UPDATE payment_allocation SET accepted_on = :day "
                "WHERE seller_id = :seller AND payment_id = :payment"
            ),
            [
                {"day": _local(at, zones[seller]), "seller": seller, "payment": payment}
                for seller, payment, at in accepted
            ],
        )
    closed = bind.execute(
        sa.text(
            "SELECT i.seller_id, i.id, max(a.at), i.updated_at FROM invoice i "
            "LEFT JOIN audit_entry a ON a.seller_id = i.seller_id AND a.entity_type = 'invoice' "
            "AND a.entity_id = i.id AND a.action = 'STATUS_CHANGED' "
            "WHERE i.receivable_status = 'CLOSED' GROUP BY i.seller_id, i.id, i.updated_at"
        )
    ).all()
    if closed:
        bind.execute(
            sa.text(
                "UPDATE invoice SET closed_on = :day, settled_on = :day "
                "WHERE seller_id = :seller AND id = :invoice"
            ),
            [
                {"day": _local(at or updated, zones[seller]), "seller": seller, "invoice": id_}
                for seller, id_, at, updated in closed
            ],
        )
    _backfill_paid(bind)


def _backfill_paid(bind: sa.Connection) -> None:
    paid = bind.execute(
        sa.text(
            "SELECT a.seller_id, a.invoice_id, min(a.accepted_on), max(a.accepted_on), "
            "i.receivable_status FROM payment_allocation a JOIN invoice i "
            "ON i.seller_id = a.seller_id AND i.id = a.invoice_id "
            "WHERE a.accepted_on IS NOT NULL GROUP BY a.seller_id, a.invoice_id, "
            "i.receivable_status"
        )
    ).all()
    if paid:
        bind.execute(
            sa.text(
                "UPDATE invoice SET first_paid_on = :first, "
                "settled_on = CASE WHEN receivable_status = 'PAID' THEN :last ELSE settled_on END "
                "WHERE seller_id = :seller AND id = :invoice"
            ),
            [
                {"first": first, "last": last, "seller": seller, "invoice": invoice}
                for seller, invoice, first, last, _status in paid
            ],
        )


def downgrade() -> None:
    op.drop_index("ix_payment_allocation_report", "payment_allocation")
    for name in (
        "ix_invoice_report_dated",
        "ix_invoice_report_stepped",
        "ix_invoice_report_customer",
        "ix_invoice_report_settled",
    ):
        op.drop_index(name, "invoice")
    with op.batch_alter_table("payment_allocation", schema=None) as batch_op:
        batch_op.drop_column("accepted_on")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        for column in ("settled_on", "first_paid_on", "closed_on"):
            batch_op.drop_column(column)
