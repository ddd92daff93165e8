"""webhooks: endpoints per seller, events written with their change, one delivery per endpoint

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import khata.models.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, khata.models.base.UTCDateTime(timezone=True), nullable=nullable)


def _seller(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["seller_id"], ["seller.id"], name=op.f(f"fk_{table}_seller_id_seller")
    )


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("enabled_events", khata.models.base.JSONType, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        _stamp("previous_secret_expires_at", nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        _seller("webhook_endpoint"),
        sa.PrimaryKeyConstraint("seller_id", "id", name=op.f("pk_webhook_endpoint")),
    )
    op.create_table(
        "webhook_event",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=100), nullable=True),
        _stamp("created_at"),
        _seller("webhook_event"),
        sa.PrimaryKeyConstraint("seller_id", "id", name=op.f("pk_webhook_event")),
        sa.UniqueConstraint(
            "seller_id", "dedupe_key", name=op.f("uq_webhook_event_seller_id_dedupe_key")
        ),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("endpoint_id", sa.String(length=24), nullable=False),
        sa.Column("event_id", sa.String(length=24), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _stamp("next_attempt_at"),
        _stamp("give_up_at"),
        _stamp("delivered_at", nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claim_token", sa.String(length=100), nullable=True),
        _stamp("created_at"),
        _seller("webhook_delivery"),
        sa.PrimaryKeyConstraint("seller_id", "id", name=op.f("pk_webhook_delivery")),
    )
    op.create_index(
        op.f("ix_webhook_delivery_status_next_attempt_at"),
        "webhook_delivery",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        op.f("ix_webhook_delivery_seller_id_endpoint_id_created_at"),
        "webhook_delivery",
        ["seller_id", "endpoint_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_webhook_delivery_seller_id_endpoint_id_created_at"), table_name="webhook_delivery"
    )
    op.drop_index(op.f("ix_webhook_delivery_status_next_attempt_at"), table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_event")
    op.drop_table("webhook_endpoint")
