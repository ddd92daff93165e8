"""write_off: one row per write-off, each counted from its own day by the reports and the ledger

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:00:00

The invoice kept only its written-off total and the day of its last write-off, so two partial
write-offs on different days both counted from the last one (aging as of a day, statement,
DSO ledger). write_off holds each of them; the invoice columns stay for the payload. Existing
write-offs become one row each, on the invoice's write-off day.

On PostgreSQL the receivable_day triggers of 0017 take write-offs from write_off rows (as they
take credit notes from credit_note rows): the invoice functions are replaced, write_off gets
statement and TRUNCATE triggers of its own, and the ledger is made again. The SQL builders are
copied from 0017 (a migration is frozen: its text must not change with later ones).
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

import khata.models.base

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTED = "NOT i.deleted AND i.receivable_status <> 'CANCELLED'"
_COLUMNS = "(seller_id, day, owed, sales)"


def _taken_part(joined: str, taken_on: str, amount: str) -> str:
    """What an amount taken off an invoice `i` on `taken_on` subtracts until its settlement."""
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
    """What invoice rows add by themselves: their receivable from their date to settlement."""
    return (
        f"SELECT i.seller_id, i.invoice_date, i.net_amount - i.tds, i.net_amount "
        f"FROM {invoices} AS i WHERE {_COUNTED} "
        f"UNION ALL SELECT i.seller_id, greatest(i.invoice_date, i.settled_on), "
        f"i.tds - i.net_amount, 0 FROM {invoices} AS i "
        f"WHERE {_COUNTED} AND i.settled_on IS NOT NULL"
    )


def _allocation_part(joined: str) -> str:
    return _taken_part(joined, "a.accepted_on", "a.amount")


def _credit_part(joined: str) -> str:
    return _taken_part(joined, "c.credit_date", "c.amount")


def _write_off_part(joined: str) -> str:
    return _taken_part(joined, "w.written_off_on", "w.amount")


def _lateral(invoices: str, columns: str, table: str, alias: str, where: str = "") -> str:
    return (
        f"{invoices} AS i CROSS JOIN LATERAL (SELECT {columns} FROM {table} "
        f"WHERE seller_id = i.seller_id AND invoice_id = i.id {where} OFFSET 0) AS {alias}"
    )


def _of_invoices(invoices: str) -> str:
    """Invoice rows of a statement with their allocations, credit notes and write-offs, each
    found by index (a transition table has no statistics)."""
    allocations = _lateral(
        invoices, "accepted_on, amount", "payment_allocation", "a", "AND accepted_on IS NOT NULL"
    )
    credits = _lateral(invoices, "credit_date, amount", "credit_note", "c")
    write_offs = _lateral(invoices, "written_off_on, amount", "write_off", "w")
    return (
        f"{_invoice_part(invoices)} UNION ALL {_allocation_part(allocations)} "
        f"UNION ALL {_credit_part(credits)} UNION ALL {_write_off_part(write_offs)}"
    )


def _of_write_offs(write_offs: str) -> str:
    """`write_offs` AS w with the invoice each points at, as `i`."""
    return _write_off_part(
        f"{write_offs} AS w CROSS JOIN LATERAL (SELECT seller_id, invoice_date, settled_on, "
        "deleted, receivable_status FROM invoice WHERE seller_id = w.seller_id "
        "AND id = w.invoice_id OFFSET 0) AS i"
    )


def _less(changes: str) -> str:
    return f"SELECT seller_id, day, -owed, -sales FROM ({changes}) AS earlier {_COLUMNS}"


def _joined(table: str, alias: str) -> str:
    return (
        f"invoice AS i JOIN {table} AS {alias} "
        f"ON {alias}.seller_id = i.seller_id AND {alias}.invoice_id = i.id"
    )


_EVERYTHING = (
    f"{_invoice_part('invoice')} UNION ALL {_allocation_part(_joined('payment_allocation', 'a'))}"
    f" UNION ALL {_credit_part(_joined('credit_note', 'c'))}"
    f" UNION ALL {_write_off_part(_joined('write_off', 'w'))}"
)
# Functions of 0017 replaced here: (name, the signed changes of the statement).
_REPLACED = (
    ("receivable_day_invoice_update",
     f"{_less(_of_invoices('old_rows'))} UNION ALL {_of_invoices('new_rows')}"),
    ("receivable_day_invoice_delete", _less(_of_invoices("old_rows"))),
)  # fmt: skip
# New: (trigger, event, transition tables, changes), on write_off.
_TRIGGERS = (
    ("receivable_day_write_off_insert", "INSERT", "NEW TABLE AS new_rows",
     _of_write_offs("new_rows")),
    ("receivable_day_write_off_update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     f"{_less(_of_write_offs('old_rows'))} UNION ALL {_of_write_offs('new_rows')}"),
    ("receivable_day_write_off_delete", "DELETE", "OLD TABLE AS old_rows",
     _less(_of_write_offs("old_rows"))),
)  # fmt: skip


def _insert(changes: str) -> str:
    """One row per (seller, day) the changes touch; days whose changes cancel add nothing."""
    return (
        f"INSERT INTO receivable_day {_COLUMNS} "
        f"SELECT seller_id, day, sum(owed), sum(sales) FROM ({changes}) AS changed {_COLUMNS} "
        "GROUP BY seller_id, day HAVING sum(owed) <> 0 OR sum(sales) <> 0"
    )


def _function(name: str, body: str) -> None:
    op.execute(
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{body}; RETURN NULL; END $$"
    )


def _create_table() -> None:
    op.create_table(
        "write_off",
        sa.Column("seller_id", sa.String(length=10), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("invoice_id", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("written_off_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_by_id", sa.String(length=24), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=True),
        sa.Column("created_by_type", sa.String(length=8), nullable=True),
        sa.Column("created_at", khata.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "invoice_id"],
            ["invoice.seller_id", "invoice.id"],
            name=op.f("fk_write_off_seller_id_invoice_id_invoice"),
        ),
        sa.PrimaryKeyConstraint("seller_id", "id", name=op.f("pk_write_off")),
    )
    op.create_index(
        op.f("ix_write_off_seller_id_invoice_id_written_off_on"),
        "write_off",
        ["seller_id", "invoice_id", "written_off_on"],
    )


def _fill() -> None:
    """One row per invoice written off so far, on its (last) write-off day; the invoice's own
    24-hex id serves as the row's (one row per invoice, so unique within the seller)."""
    op.execute(
        "INSERT INTO write_off (seller_id, id, invoice_id, amount, written_off_on, reason, "
        "created_at) SELECT seller_id, id, id, total_written_off, written_off_on, "
        "written_off_reason, updated_at FROM invoice "
        "WHERE total_written_off > 0 AND written_off_on IS NOT NULL"
    )


def upgrade() -> None:
    _create_table()
    _fill()
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, changes in _REPLACED:
        _function(name, _insert(changes))
    for name, event, tables, changes in _TRIGGERS:
        _function(name, _insert(changes))
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON write_off REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    _function("receivable_day_truncate", f"TRUNCATE receivable_day; {_insert(_EVERYTHING)}")
    op.execute(
        "CREATE TRIGGER receivable_day_truncate AFTER TRUNCATE ON write_off "
        "FOR EACH STATEMENT EXECUTE FUNCTION receivable_day_truncate()"
    )
    op.execute("TRUNCATE receivable_day")
    op.execute(_insert(_EVERYTHING))


def _revision_0017() -> ModuleType:
    """0017's module, loaded from its file (its name is not a Python identifier)."""
    path = Path(__file__).with_name("2026_12_03_0017_receivable_days.py")
    spec = importlib.util.spec_from_file_location("khata_migration_0017", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER receivable_day_truncate ON write_off")
        for name, *_ in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON write_off")
            op.execute(f"DROP FUNCTION {name}()")
        before = _revision_0017()
        for name, _table, _event, _tables, changes in before._TRIGGERS:
            if name in dict(_REPLACED):
                _function(name, before._insert(changes))
        everything = before._insert(before._EVERYTHING)
        _function("receivable_day_truncate", f"TRUNCATE receivable_day; {everything}")
        op.execute("TRUNCATE receivable_day")
        op.execute(everything)
    op.drop_index(op.f("ix_write_off_seller_id_invoice_id_written_off_on"), table_name="write_off")
    op.drop_table("write_off")
