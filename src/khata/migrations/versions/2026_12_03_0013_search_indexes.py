"""search: one (seller_id, <orderBy column>, id) index per search order on live invoices, and
the invoice tally its counts read on PostgreSQL

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-03 09:00:00

Each index is named in models/invoice.py with the queries it serves. They cover live invoices
only (`NOT deleted`, the search's own condition), so a search page is an ordered walk of one
index and a count an index-only scan. The two plain (seller_id, created_at) and (seller_id,
due_date) indexes they replace are dropped.

invoice_tally (models/invoice_tally.py) holds signed counts of live invoices by seller,
customer, status, via, dispatched, buyer response and open (something to collect), written by
statement triggers on invoice (transition tables: one aggregated insert per statement, COPY
included; inserts only, so concurrent writers never wait on each other) and seeded here from
the invoices already there.
SQLite gets the table but no triggers: its search counts the invoices themselves.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (column, columns carried along for index-only scans on PostgreSQL)
_LIVE: tuple[tuple[str, list[str]], ...] = (
    ("created_at", ["receivable_status", "dispatched"]),
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


_KEYS = "seller_id, customer_id, receivable_status, via, dispatched, buyer_response, open"
# `open`: something is still to collect (the half of "overdue" that does not move with time).
_VALUES = (
    "seller_id, customer_id, receivable_status, via, dispatched, buyer_response, "
    "balance_amount > 0 AND receivable_status NOT IN ('CANCELLED', 'CLOSED')"
)
# (trigger, event, transition tables, the signed rows the statement changed)
_TRIGGERS = (
    (
        "invoice_tally_insert",
        "INSERT",
        "NEW TABLE AS new_rows",
        f"SELECT {_VALUES}, 1 FROM new_rows WHERE NOT deleted",
    ),
    (
        "invoice_tally_update",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        f"SELECT {_VALUES}, -1 FROM old_rows WHERE NOT deleted "
        f"UNION ALL SELECT {_VALUES}, 1 FROM new_rows WHERE NOT deleted",
    ),
    (
        "invoice_tally_delete",
        "DELETE",
        "OLD TABLE AS old_rows",
        f"SELECT {_VALUES}, -1 FROM old_rows WHERE NOT deleted",
    ),
)


def _create_tally() -> None:
    op.create_table(
        "invoice_tally",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("customer_id", sa.String(length=16), nullable=False),
        sa.Column("receivable_status", sa.String(length=20), nullable=False),
        sa.Column("via", sa.String(length=12), nullable=False),
        sa.Column("dispatched", sa.Boolean(), nullable=False),
        sa.Column("buyer_response", sa.String(length=16), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("live", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "id", name=op.f("pk_invoice_tally")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, event, tables, changes in _TRIGGERS:
        # Keys whose changes cancel out (an amount edited, a row updated in place) add nothing.
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"INSERT INTO invoice_tally ({_KEYS}, live) "
            f"SELECT {_KEYS}, sum(live) FROM ({changes}) AS changed ({_KEYS}, live) "
            f"GROUP BY {_KEYS} HAVING sum(live) <> 0; "
            "RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON invoice REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    op.execute(
        "CREATE FUNCTION invoice_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "TRUNCATE invoice_tally; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER invoice_tally_truncate AFTER TRUNCATE ON invoice "
        "FOR EACH STATEMENT EXECUTE FUNCTION invoice_tally_truncate()"
    )
    op.execute(
        f"INSERT INTO invoice_tally ({_KEYS}, live) SELECT {_KEYS}, count(*) "
        f"FROM (SELECT {_VALUES} FROM invoice WHERE NOT deleted) AS live ({_KEYS}) "
        f"GROUP BY {_KEYS}"
    )


def _drop_tally() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in (*(trigger[0] for trigger in _TRIGGERS), "invoice_tally_truncate"):
            op.execute(f"DROP TRIGGER {name} ON invoice")
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("invoice_tally")


_ANSWERED = sa.text("buyer_response IS NOT NULL AND NOT deleted")


def upgrade() -> None:
    _create_tally()
    live = sa.text("NOT deleted")
    op.create_index(
        "ix_invoice_answered",
        "invoice",
        ["seller_id", "buyer_response", "created_at", "id"],
        postgresql_where=_ANSWERED,
        sqlite_where=_ANSWERED,
    )
    if op.get_bind().dialect.name == "postgresql":
        # customerLegalName is a substring: trigrams find it among many customers, and the
        # index's statistics tell the planner how many customers a name part matches.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_customer_legal_name_trgm ON customer "
            "USING gin (lower(legal_name) gin_trgm_ops)"
        )
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_customer_legal_name_trgm")
    op.drop_index("ix_invoice_answered", "invoice")
    for name, columns in _REPLACED:
        op.create_index(name, "invoice", columns)
    for column, _include in _LIVE:
        op.drop_index(f"ix_invoice_live_{column}", "invoice")
    _drop_tally()
