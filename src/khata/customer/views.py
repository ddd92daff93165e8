"""One customer as its GET shows it, read in one statement (a read-side module): the customer
row with its live key contacts and reminder rules as two JSON arrays, turned back into the
same objects the write paths answer with, so one wire function serves both."""

import json
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import bindparam, func, literal, select

from khata.db import Reads, dialect_of, first_row
from khata.models import Customer, KeyContact, ReminderRule

# The columns the answer shows (and created_at, their order), not every column of the rows.
_CONTACT_FIELDS = (
    "id",
    "customer_id",
    "name",
    "legal_name",
    "designation",
    "email",
    "mobile",
    "mail_enabled",
    "sms_enabled",
    "whatsapp_enabled",
    "created_at",
)
_RULE_FIELDS = (
    "id",
    "customer_id",
    "due_date_difference",
    "reminder_type",
    "reminder_interval",
    "reminder_time",
    "stage",
    "created_at",
    "updated_at",
)
_FLAGS = frozenset({"mail_enabled", "sms_enabled", "whatsapp_enabled"})
_STAMPS = frozenset({"created_at", "updated_at"})


def _live_rows_column(
    model: type[KeyContact] | type[ReminderRule], fields: tuple[str, ...], dialect: str
) -> Any:
    """The customer's live rows of `model` as one JSON array of `fields`."""
    pairs: list[Any] = []
    for name in fields:
        pairs.extend((literal(name), getattr(model, name)))
    if dialect == "postgresql":
        aggregate = func.json_agg(func.json_build_object(*pairs))
    else:
        aggregate = func.json_group_array(func.json_object(*pairs))
    return (
        select(aggregate)
        .where(
            model.seller_id == Customer.seller_id,
            model.customer_id == Customer.id,
            model.deleted.is_(False),
        )
        .correlate(Customer)
        .scalar_subquery()
    )


def _statement(dialect: str) -> Any:
    """Built once per dialect: the JSON expressions are large to build for every GET."""
    statement = _STATEMENTS.get(dialect)
    if statement is None:
        statement = select(
            Customer.__table__,
            _live_rows_column(KeyContact, _CONTACT_FIELDS, dialect),
            _live_rows_column(ReminderRule, _RULE_FIELDS, dialect),
        ).where(
            Customer.seller_id == bindparam("seller_id"), Customer.id == bindparam("customer_id")
        )
        _STATEMENTS[dialect] = statement
    return statement


_STATEMENTS: dict[str, Any] = {}


def _stamp(value: str) -> datetime:
    """A timestamp from the JSON: PostgreSQL writes its zone, SQLite keeps naive UTC."""
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _decoded(value: Any) -> list[dict[str, Any]]:
    """The JSON array's objects with flags as booleans (SQLite writes 0/1) and timestamps as
    datetimes, oldest first (the order every customer answer lists them in)."""
    if value is None:  # PostgreSQL's json_agg of no rows
        return []
    items = json.loads(value) if isinstance(value, str) else value
    rows = [
        {
            name: (bool(raw) if name in _FLAGS else _stamp(raw) if name in _STAMPS else raw)
            for name, raw in item.items()
        }
        for item in items
    ]
    return sorted(rows, key=lambda row: (row["created_at"], row["id"]))


async def customer_with_live_rows(
    reads: Reads, seller_id: str, customer_id: str
) -> tuple[Customer, list[KeyContact], list[ReminderRule]] | None:
    """The seller's customer (deleted ones too) with its live contacts and reminder rules, in
    one statement; None when the seller has no such customer. The contacts and rules are
    detached copies holding the columns the answer shows."""
    statement = _statement(dialect_of(reads))
    parameters = {"seller_id": seller_id, "customer_id": customer_id}
    row = await first_row(reads, statement, parameters)
    if row is None:
        return None
    contacts, rules = row[-2], row[-1]
    return (
        cast(Customer, row),  # a row of the customer's columns, read by the same names
        [KeyContact(seller_id=seller_id, deleted=False, **item) for item in _decoded(contacts)],
        [ReminderRule(seller_id=seller_id, deleted=False, **item) for item in _decoded(rules)],
    )
