"""credit notes: per-seller series, lines, and the invoice's credited and written-off amounts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import khata.models.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("seller", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("credit_note_prefix", sa.String(16), nullable=False, server_default="CN-")
        )
        batch_op.add_column(
            sa.Column("credit_note_counter", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        for column in ("total_credited", "total_written_off"):
            batch_op.add_column(
                sa.Column(column, sa.BigInteger(), nullable=False, server_default="0")
            )
        batch_op.add_column(sa.Column("written_off_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("written_off_reason", sa.String(500), nullable=True))
    op.create_table(
        "credit_note",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("credit_note_number", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.String(length=24), nullable=False),
        sa.Column("credit_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("amount", "taxable", "cgst", "sgst", "igst")
        ),
        sa.Column("created_by_id", sa.String(length=24), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=True),
        sa.Column("created_by_type", sa.String(length=8), nullable=True),
        sa.Column("created_at", khata.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "invoice_id"],
            ["invoice.seller_id", "invoice.id"],
            name=op.f("fk_credit_note_seller_id_invoice_id_invoice"),
        ),
        sa.PrimaryKeyConstraint("seller_id", "id", name=op.f("pk_credit_note")),
        sa.UniqueConstraint(
            "seller_id",
            "credit_note_number",
            name=op.f("uq_credit_note_seller_id_credit_note_number"),
        ),
    )
    op.create_index(
        op.f("ix_credit_note_seller_id_invoice_id_credit_date"),
        "credit_note",
        ["seller_id", "invoice_id", "credit_date"],
    )
    op.create_table(
        "credit_note_line",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("credit_note_id", sa.String(length=24), nullable=False),
        sa.Column("invoice_line_id", sa.String(length=24), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("quantity", "amount", "tax")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id", "credit_note_id"],
            ["credit_note.seller_id", "credit_note.id"],
            name=op.f("fk_credit_note_line_seller_id_credit_note_id_credit_note"),
        ),
        sa.ForeignKeyConstraint(
            ["seller_id", "invoice_line_id"],
            ["invoice_line.seller_id", "invoice_line.id"],
            name=op.f("fk_credit_note_line_seller_id_invoice_line_id_invoice_line"),
        ),
        sa.PrimaryKeyConstraint("seller_id", "id", name=op.f("pk_credit_note_line")),
    )
    op.create_index(
        op.f("ix_credit_note_line_seller_id_credit_note_id"),
        "credit_note_line",
        ["seller_id", "credit_note_id"],
    )
    op.create_index(
        op.f("ix_credit_note_line_seller_id_invoice_line_id"),
        "credit_note_line",
        ["seller_id", "invoice_line_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_note_line_seller_id_invoice_line_id"), "credit_note_line")
    op.drop_index(op.f("ix_credit_note_line_seller_id_credit_note_id"), "credit_note_line")
    op.drop_table("credit_note_line")
    op.drop_index(op.f("ix_credit_note_seller_id_invoice_id_credit_date"), "credit_note")
    op.drop_table("credit_note")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        for column in ("written_off_reason", "written_off_on", "total_written_off"):
            batch_op.drop_column(column)
        batch_op.drop_column("total_credited")
    with op.batch_alter_table("seller", schema=None) as batch_op:
        batch_op.drop_column("credit_note_counter")
        batch_op.drop_column("credit_note_prefix")
