"""kept rows: the invoice's foreign keys give way to rows that are never deleted

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 13:00:00

A foreign key costs every inserted row a look-up of its parent (on PostgreSQL a per-row trigger
and a FOR KEY SHARE lock on the parent row): a bulk file of 100,000 invoices paid it 100,000
times for 200 customers. The four keys on the hot write paths are dropped:
invoice -> customer, invoice -> sales_order, invoice_line -> invoice, audit_entry -> seller.
What they guaranteed still holds, by two rules:
- every write path checks the parent in its own transaction before it writes the child (a
  customer of the caller's seller, an order of the caller's seller, the invoice written in the
  same transaction as its lines, the caller's own seller for audit rows);
- a parent row, once written, stays: sellers, customers, orders and invoices are only ever
  marked deleted. Triggers refuse a DELETE (and TRUNCATE) of those tables and a change of
  their keys, on both databases, so a row that passed its check can never lose its parent,
  whatever runs at the same time.
tests/test_kept_rows.py proves no orphan can be written by any path.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (child table, constraint, local columns, parent table, parent columns)
_DROPPED = (
    (
        "invoice",
        "fk_invoice_seller_id_customer_id_customer",
        ["seller_id", "customer_id"],
        "customer",
        ["seller_id", "id"],
    ),
    (
        "invoice",
        "fk_invoice_seller_id_order_id_sales_order",
        ["seller_id", "order_id"],
        "sales_order",
        ["seller_id", "id"],
    ),
    (
        "invoice_line",
        "fk_invoice_line_seller_id_invoice_id_invoice",
        ["seller_id", "invoice_id"],
        "invoice",
        ["seller_id", "id"],
    ),
    ("audit_entry", "fk_audit_entry_seller_id_seller", ["seller_id"], "seller", ["id"]),
)
# The parents whose rows are kept, with their key columns.
KEPT = (
    ("seller", ("id",)),
    ("customer", ("seller_id", "id")),
    ("sales_order", ("seller_id", "id")),
    ("invoice", ("seller_id", "id")),
)
MESSAGE = "rows of %s are kept: mark them deleted instead"


def _key_changed(keys: tuple[str, ...], distinct: str) -> str:
    return " OR ".join(f"OLD.{key} {distinct} NEW.{key}" for key in keys)


def _create_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION khata_row_kept() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{MESSAGE % '%'}', TG_TABLE_NAME "
            "USING ERRCODE = 'restrict_violation'; "
            "END $$"
        )
        for table, keys in KEPT:
            op.execute(
                f"CREATE TRIGGER {table}_kept BEFORE DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION khata_row_kept()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_key_kept BEFORE UPDATE OF {', '.join(keys)} ON {table} "
                f"FOR EACH ROW WHEN ({_key_changed(keys, 'IS DISTINCT FROM')}) "
                "EXECUTE FUNCTION khata_row_kept()"
            )
        return
    for table, keys in KEPT:
        refuse = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE % table}'); END"
        op.execute(f"CREATE TRIGGER {table}_kept BEFORE DELETE ON {table} {refuse}")
        op.execute(
            f"CREATE TRIGGER {table}_key_kept BEFORE UPDATE OF {', '.join(keys)} ON {table} "
            f"WHEN {_key_changed(keys, 'IS NOT')} {refuse}"
        )


def _drop_guards() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, _keys in KEPT:
        for trigger in (f"{table}_kept", f"{table}_key_kept"):
            op.execute(f"DROP TRIGGER {trigger}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION khata_row_kept()")


def _tables() -> list[str]:
    return list(dict.fromkeys(table for table, *_ in _DROPPED))


def upgrade() -> None:
    for table in _tables():  # one SQLite rebuild per table
        with op.batch_alter_table(table, schema=None) as batch_op:
            for child, name, *_ in _DROPPED:
                if child == table:
                    batch_op.drop_constraint(name, type_="foreignkey")
    # After the SQLite rebuilds above (a rebuilt table loses its triggers).
    _create_guards()


def downgrade() -> None:
    _drop_guards()
    for table in reversed(_tables()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for child, name, columns, parent, parent_columns in _DROPPED:
                if child == table:
                    batch_op.create_foreign_key(name, parent, columns, parent_columns)
