"""receivable_day: the daily ledger of receivables and credit sales that DSO reads on PostgreSQL

Revision ID: 0017
Revises: 0016
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

- the same for each credit note dated C (in place of A), and for the invoice's written-off
  total on its write-off day W.
Credit notes have triggers of their own; write-offs are invoice columns.
SQLite gets the table but no triggers: its DSO reads the invoices.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTED = "NOT i.deleted AND i.receivable_status <> 'CANCELLED'"
_COLUMNS = "(seller_id, day, owed, sales)"


def _taken_part(joined: str, taken_on: str, amount: str) -> str:
    """What an amount taken off an invoice `i` on `taken_on` subtracts until its settlement,
    from `joined` (rows with no day taken add nothing)."""
    start = f"greatest({taken_on}, i.invoice_date)"
    where = (
        f"WHERE {_COUNTED} AND {taken_on} IS NOT NULL "
        f"AND (i.settled_on IS NULL OR i.settled_on > {start})"
    )
    return (
        f"SELECT i.seller_id, {start}, -{amount}, 0 FROM {joined} {where} "
        f"UNION ALL SELECT i.seller_id, i.settled_on, {amount}, 0 FROM {joined} {where} "
        "AND i.settled_on IS NOT NULL"
    )


def _invoice_part(invoices: str) -> str:
    """What invoice rows add by themselves: their receivable from their date to settlement,
    less what was written off from its day."""
    return (
        f"SELECT i.seller_id, i.invoice_date, i.net_amount - i.tds, i.net_amount "
        f"FROM {invoices} AS i WHERE {_COUNTED} "
        f"UNION ALL SELECT i.seller_id, greatest(i.invoice_date, i.settled_on), "
        f"i.tds - i.net_amount, 0 FROM {invoices} AS i "
        f"WHERE {_COUNTED} AND i.settled_on IS NOT NULL "
        f"UNION ALL {_taken_part(f'{invoices} AS i', 'i.written_off_on', 'i.total_written_off')}"
    )


def _allocation_part(joined: str) -> str:
    """What accepted allocations take off, from `joined`: invoice rows `i`, allocations `a`."""
    return _taken_part(joined, "a.accepted_on", "a.amount")


def _credit_part(joined: str) -> str:
    """What credit notes take off, from `joined`: invoice rows `i`, credit notes `c`."""
    return _taken_part(joined, "c.credit_date", "c.amount")


def _of_invoices(invoices: str) -> str:
    """Invoice rows of a statement with their allocations and credit notes, each found by index
    (a transition table has no statistics; a hash join would read every allocation)."""
    allocations = (
        f"{invoices} AS i CROSS JOIN LATERAL (SELECT accepted_on, amount "
        "FROM payment_allocation WHERE seller_id = i.seller_id AND invoice_id = i.id "
        "AND accepted_on IS NOT NULL OFFSET 0) AS a"
    )
    credits = (
        f"{invoices} AS i CROSS JOIN LATERAL (SELECT credit_date, amount "
        "FROM credit_note WHERE seller_id = i.seller_id AND invoice_id = i.id OFFSET 0) AS c"
    )
    return (
        f"{_invoice_part(invoices)} UNION ALL {_allocation_part(allocations)} "
        f"UNION ALL {_credit_part(credits)}"
    )


def _their_invoices(rows: str, alias: str) -> str:
    """`rows` AS `alias` with the invoice each points at, as `i`."""
    return (
        f"{rows} AS {alias} CROSS JOIN LATERAL (SELECT seller_id, invoice_date, settled_on, "
        f"deleted, receivable_status FROM invoice WHERE seller_id = {alias}.seller_id "
        f"AND id = {alias}.invoice_id OFFSET 0) AS i"
    )


def _of_allocations(allocations: str) -> str:
    return _allocation_part(_their_invoices(allocations, "a"))


def _of_credits(credit_notes: str) -> str:
    return _credit_part(_their_invoices(credit_notes, "c"))


def _less(changes: str) -> str:
    return f"SELECT seller_id, day, -owed, -sales FROM ({changes}) AS earlier {_COLUMNS}"


_EVERYTHING = (
    f"{_invoice_part('invoice')} UNION ALL "
    + _allocation_part(
        "invoice AS i JOIN payment_allocation AS a "
        "ON a.seller_id = i.seller_id AND a.invoice_id = i.id"
    )
    + " UNION ALL "
    + _credit_part(
        "invoice AS i JOIN credit_note AS c ON c.seller_id = i.seller_id AND c.invoice_id = i.id"
    )
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
    ("receivable_day_credit_insert", "credit_note", "INSERT", "NEW TABLE AS new_rows",
     _of_credits("new_rows")),
    ("receivable_day_credit_update", "credit_note", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     f"{_less(_of_credits('old_rows'))} UNION ALL {_of_credits('new_rows')}"),
    ("receivable_day_credit_delete", "credit_note", "DELETE", "OLD TABLE AS old_rows",
     _less(_of_credits("old_rows"))),
)  # fmt: skip
_LEDGER_TABLES = ("invoice", "payment_allocation", "credit_note")


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
    for table in _LEDGER_TABLES:
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
        for table in _LEDGER_TABLES:
            op.execute(f"DROP TRIGGER receivable_day_truncate ON {table}")
        op.execute("DROP FUNCTION receivable_day_truncate()")
    op.drop_table("receivable_day")
