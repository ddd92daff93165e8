"""receivable_day: the daily ledger of receivables and credit sales that DSO reads on PostgreSQL

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-03 13:00:00

DSO over a year had to read every invoice open at some month end (half a million rows at a
million invoices). receivable_day (models/receivable_day.py) holds signed changes by day
instead. Statement triggers on invoice and payment_allocation write them, one aggregated
insert per statement (COPY included; inserts only, as invoice_tally's, so concurrent writers
never wait on each other). The rows are seeded here from the invoices and allocations already
there.

What a counted invoice (not deleted, not cancelled) adds, with R = net - tds, I its invoice
date and S the day it was settled (paid in full or closed):
- +R owed and +net sales on I;
- -R owed on the later of I and S, once settled;
- for each allocation accepted on A: -amount on the later of A and I, and +amount on S, when it
  was accepted before S (after S the invoice no longer counts).
So receivables at the end of D, the sum of owed over days up to D, equal report/views.py's
direct sum: R less allocations accepted by D, over invoices dated by D and not settled by D.

A statement's change is what its rows add after it less what they added before it, read with
the other table as it stands. Each statement writes one of the two tables, so the changes add
up to the contributions of the current rows.

Credit notes (when they come) must add their own trigger here: -amount owed on the later of
their date and I, and +amount on S when before S, like an allocation.
SQLite gets the table but no triggers: its DSO reads the invoices.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTED = "NOT i.deleted AND i.receivable_status <> 'CANCELLED'"
_COLUMNS = "(seller_id, day, owed, sales)"


def _invoice_part(invoices: str) -> str:
    """What invoice rows add by themselves: their receivable from their date to settlement."""
    return (
        f"SELECT i.seller_id, i.invoice_date, i.net_amount - i.tds, i.net_amount "
        f"FROM {invoices} AS i WHERE {_COUNTED} "
        f"UNION ALL SELECT i.seller_id, greatest(i.invoice_date, i.settled_on), "
        f"i.tds - i.net_amount, 0 FROM {invoices} AS i "
        f"WHERE {_COUNTED} AND i.settled_on IS NOT NULL"
    )


def _allocation_part(joined: str) -> str:
    """What accepted allocations take off, from `joined`: invoice rows `i`, allocations `a`."""
    start = "greatest(a.accepted_on, i.invoice_date)"
    where = (
        f"WHERE {_COUNTED} AND a.accepted_on IS NOT NULL "
        f"AND (i.settled_on IS NULL OR i.settled_on > {start})"
    )
    return (
        f"SELECT a.seller_id, {start}, -a.amount, 0 FROM {joined} {where} "
        f"UNION ALL SELECT a.seller_id, i.settled_on, a.amount, 0 FROM {joined} {where} "
        "AND i.settled_on IS NOT NULL"
    )


def _of_invoices(invoices: str) -> str:
    """Invoice rows of a statement with their allocations, each found by index (a transition
    table has no statistics; a hash join would read every allocation)."""
    joined = (
        f"{invoices} AS i CROSS JOIN LATERAL (SELECT seller_id, accepted_on, amount "
        "FROM payment_allocation WHERE seller_id = i.seller_id AND invoice_id = i.id "
        "AND accepted_on IS NOT NULL OFFSET 0) AS a"
    )
    return f"{_invoice_part(invoices)} UNION ALL {_allocation_part(joined)}"


def _of_allocations(allocations: str) -> str:
    joined = (
        f"{allocations} AS a CROSS JOIN LATERAL (SELECT invoice_date, settled_on, deleted, "
        "receivable_status FROM invoice WHERE seller_id = a.seller_id AND id = a.invoice_id "
        "OFFSET 0) AS i"
    )
    return _allocation_part(joined)


def _less(changes: str) -> str:
    return f"SELECT seller_id, day, -owed, -sales FROM ({changes}) AS earlier {_COLUMNS}"


_EVERYTHING = f"{_invoice_part('invoice')} UNION ALL " + _allocation_part(
    "invoice AS i JOIN payment_allocation AS a ON a.seller_id = i.seller_id AND a.invoice_id = i.id"
)
# (trigger, table, event, transition tables, the signed changes of the statement)
_TRIGGERS = (
    # A new invoice has no allocations yet (they reference it).
    ("receivable_day_invoice_insert", "invoice", "INSERT", "NEW TABLE AS new_rows",
     _invoice_part("new_rows")),
    ("receivable_day_invoice_update", "invoice", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     f"{_less(_of_invoices('old_rows'))} UNION ALL {_of_invoices('new_rows')}"),
    ("receivable_day_invoice_delete", "invoice", "DELETE", "OLD TABLE AS old_rows",
     _less(_of_invoices("old_rows"))),
    ("receivable_day_allocation_insert", "payment_allocation", "INSERT", "NEW TABLE AS new_rows",
     _of_allocations("new_rows")),
    ("receivable_day_allocation_update", "payment_allocation", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     f"{_less(_of_allocations('old_rows'))} UNION ALL {_of_allocations('new_rows')}"),
    ("receivable_day_allocation_delete", "payment_allocation", "DELETE", "OLD TABLE AS old_rows",
     _less(_of_allocations("old_rows"))),
)  # fmt: skip


def _insert(changes: str) -> str:
    """One row per (seller, day) the changes touch; days whose changes cancel add nothing."""
    return (
        f"INSERT INTO receivable_day {_COLUMNS} "
        f"SELECT seller_id, day, sum(owed), sum(sales) FROM ({changes}) AS changed {_COLUMNS} "
        "GROUP BY seller_id, day HAVING sum(owed) <> 0 OR sum(sales) <> 0"
    )


def upgrade() -> None:
    op.create_table(
        "receivable_day",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("owed", sa.BigInteger(), nullable=False),
        sa.Column("sales", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "id", name=op.f("pk_receivable_day")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, event, tables, changes in _TRIGGERS:
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{_insert(changes)}; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    # Emptying either table: the ledger is made again from what is left.
    op.execute(
        "CREATE FUNCTION receivable_day_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"TRUNCATE receivable_day; {_insert(_EVERYTHING)}; RETURN NULL; END $$"
    )
    for table in ("invoice", "payment_allocation"):
        op.execute(
            f"CREATE TRIGGER receivable_day_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION receivable_day_truncate()"
        )
    op.execute(_insert(_EVERYTHING))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, *_ in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        for table in ("invoice", "payment_allocation"):
            op.execute(f"DROP TRIGGER receivable_day_truncate ON {table}")
        op.execute("DROP FUNCTION receivable_day_truncate()")
    op.drop_table("receivable_day")
