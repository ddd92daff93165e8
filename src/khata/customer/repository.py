"""Every query of the customer domain: customers, their key contacts and reminder rules, search."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Subquery, and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from khata.kit.sql import one_of
from khata.models import Customer, KeyContact, ReminderRule

# Wire name -> column for orderBy; only these are allowed.
ORDERABLE = {
    "customerId": "id",
    "legalName": "legal_name",
    "panOrGstin": "pan_or_gstin",
    "uniqueRefNo": "unique_ref_no",
    "state": "state",
    "status": "status",
    "createdOn": "created_at",
    "modifiedOn": "updated_at",
}
_NULLABLE_ORDER = {"pan_or_gstin", "unique_ref_no", "state"}


@dataclass(frozen=True)
class CustomerFilter:
    customer_ids: list[str] | None = None
    legal_name: str | None = None
    pan_or_gstin: str | None = None
    unique_ref_no: str | None = None
    state: str | None = None
    status: str | None = None
    deleted: bool | None = None


@dataclass
class CustomerRows:
    customer: Customer
    contacts: list[KeyContact]
    reminders: list[ReminderRule]


async def get_customer(session: AsyncSession, seller_id: str, customer_id: str) -> Customer | None:
    return await session.get(Customer, (seller_id, customer_id))


async def active_contacts(
    session: AsyncSession, seller_id: str, customer_id: str
) -> list[KeyContact]:
    """One customer's key contacts not deleted, oldest first."""
    return (await live_contacts_of(session, seller_id, [customer_id])).get(customer_id, [])


async def customers_by_ids(
    session: AsyncSession, seller_id: str, customer_ids: Iterable[str]
) -> dict[str, Customer]:
    """customerId -> customer for the ids of one batch, in one query (missing ids are absent)."""
    wanted = list(customer_ids)
    if not wanted:
        return {}
    result = await session.execute(
        select(Customer).where(
            Customer.seller_id == seller_id, one_of(session, Customer.id, wanted)
        )
    )
    return {customer.id: customer for customer in result.scalars()}


async def legal_names_by_ids(
    session: AsyncSession, seller_id: str, customer_ids: Iterable[str]
) -> dict[str, str]:
    """customerId -> legal name, in one query (missing ids are absent): for reports that list
    hundreds of customers by name and need nothing else of them."""
    wanted = list(customer_ids)
    if not wanted:
        return {}
    result = await session.execute(
        select(Customer.id, Customer.legal_name).where(
            Customer.seller_id == seller_id, one_of(session, Customer.id, wanted)
        )
    )
    return {customer_id: name for customer_id, name in result}


async def customers_by_unique_ref(
    session: AsyncSession, seller_id: str, unique_refs: Iterable[str]
) -> dict[str, Customer]:
    """uniqueRefNo -> customer (deleted ones included) for the refs of one batch, in one query."""
    wanted = list(unique_refs)
    if not wanted:
        return {}
    result = await session.execute(
        select(Customer).where(
            Customer.seller_id == seller_id, one_of(session, Customer.unique_ref_no, wanted)
        )
    )
    return {customer.unique_ref_no or "": customer for customer in result.scalars()}


def _live_contacts(condition: ColumnElement[bool]) -> Select[KeyContact]:
    """Key contacts not deleted, oldest first: the contacts messages go to."""
    return (
        select(KeyContact)
        .where(condition, KeyContact.deleted.is_(False))
        .order_by(KeyContact.created_at, KeyContact.id)
    )


async def live_contacts_of(
    session: AsyncSession, seller_id: str, customer_ids: Iterable[str]
) -> dict[str, list[KeyContact]]:
    """customerId -> its live key contacts, for many customers of one seller at once."""
    wanted = list(customer_ids)
    if not wanted:
        return {}
    statement = _live_contacts(
        and_(KeyContact.seller_id == seller_id, one_of(session, KeyContact.customer_id, wanted))
    )
    found: dict[str, list[KeyContact]] = {}
    for contact in (await session.execute(statement)).scalars():
        found.setdefault(contact.customer_id, []).append(contact)
    return found


async def live_contacts_across_sellers(
    session: AsyncSession, customer_keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[KeyContact]]:
    """(sellerId, customerId) -> its live key contacts, for a pass over every seller."""
    if not customer_keys:
        return {}
    statement = _live_contacts(
        tuple_(KeyContact.seller_id, KeyContact.customer_id).in_(list(customer_keys))
    )
    found: dict[tuple[str, str], list[KeyContact]] = {}
    for contact in (await session.execute(statement)).scalars():
        found.setdefault((contact.seller_id, contact.customer_id), []).append(contact)
    return found


async def active_reminders(
    session: AsyncSession, seller_id: str, customer_id: str
) -> list[ReminderRule]:
    result = await session.execute(
        select(ReminderRule)
        .where(
            ReminderRule.seller_id == seller_id,
            ReminderRule.customer_id == customer_id,
            ReminderRule.deleted.is_(False),
        )
        .order_by(ReminderRule.created_at, ReminderRule.id)
    )
    return list(result.scalars())


async def customer_ids_by_unique_ref(
    session: AsyncSession, seller_id: str, unique_ref_nos: Iterable[str]
) -> dict[str, str]:
    """uniqueRefNo -> customer id for those already taken (one query, for bulk imports too)."""
    wanted = sorted(set(unique_ref_nos))
    if not wanted:
        return {}
    result = await session.execute(
        select(Customer.unique_ref_no, Customer.id).where(
            Customer.seller_id == seller_id, Customer.unique_ref_no.in_(wanted)
        )
    )
    return {ref: customer_id for ref, customer_id in result.all() if ref is not None}


def _conditions(seller_id: str, where: CustomerFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Customer.seller_id == seller_id]
    if where.customer_ids is not None:
        conditions.append(Customer.id.in_(where.customer_ids))
    if where.legal_name is not None:
        conditions.append(
            func.lower(Customer.legal_name).contains(where.legal_name.lower(), autoescape=True)
        )
    if where.pan_or_gstin is not None:
        conditions.append(Customer.pan_or_gstin == where.pan_or_gstin.upper())
    if where.unique_ref_no is not None:
        conditions.append(Customer.unique_ref_no == where.unique_ref_no)
    if where.state is not None:
        conditions.append(Customer.state == where.state)
    if where.status is not None:
        conditions.append(Customer.status == where.status)
    # Deleted customers stay out of a search unless asked for.
    conditions.append(Customer.deleted.is_(bool(where.deleted)))
    return conditions


def _order(entity: Any, column: str, descending: bool) -> list[Any]:
    keys = []
    for name in (column, "id") if column != "id" else ("id",):
        expression = getattr(entity, name)
        expression = expression.desc() if descending else expression.asc()
        if name in _NULLABLE_ORDER:
            # SQLite and PostgreSQL disagree on where NULLs sort; pin it.
            expression = expression.nulls_last()
        keys.append(expression)
    return keys


async def search(
    session: AsyncSession,
    *,
    seller_id: str,
    where: CustomerFilter,
    limit: int,
    offset: int,
    order_column: str,
    descending: bool,
) -> tuple[list[CustomerRows], int]:
    """One page with its contacts and reminders in ONE statement, plus one count."""
    conditions = _conditions(seller_id, where)
    total = (
        await session.execute(select(func.count()).select_from(Customer).where(*conditions))
    ).scalar_one()
    page = (
        select(Customer)
        .where(*conditions)
        .order_by(*_order(Customer, order_column, descending))
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    statement = _with_contacts_and_reminders(page, order_column, descending)
    return _rows_per_customer((await session.execute(statement)).all()), int(total)


def _with_contacts_and_reminders(
    page: Subquery, order_column: str, descending: bool
) -> Select[Customer, KeyContact, ReminderRule]:
    """The page's customers, each row joined to one of its live contacts and reminders."""
    customer = aliased(Customer, page)
    # Contacts and reminders ride along by outer join; a customer has a handful of each, so
    # the product stays small and the page needs no second round trip.
    return (
        select(customer, KeyContact, ReminderRule)
        .outerjoin(
            KeyContact,
            and_(
                KeyContact.seller_id == customer.seller_id,
                KeyContact.customer_id == customer.id,
                KeyContact.deleted.is_(False),
            ),
        )
        .outerjoin(
            ReminderRule,
            and_(
                ReminderRule.seller_id == customer.seller_id,
                ReminderRule.customer_id == customer.id,
                ReminderRule.deleted.is_(False),
            ),
        )
        .order_by(
            *_order(customer, order_column, descending),
            KeyContact.created_at,
            KeyContact.id,
            ReminderRule.created_at,
            ReminderRule.id,
        )
    )


def _rows_per_customer(
    rows: Sequence[Row[Customer, KeyContact, ReminderRule]],
) -> list[CustomerRows]:
    """Folds the joined product back into one entry per customer, in page order."""
    pages: dict[str, CustomerRows] = {}
    seen: set[tuple[str, str]] = set()
    for row_customer, contact, reminder in rows:
        entry = pages.setdefault(row_customer.id, CustomerRows(row_customer, [], []))
        if contact is not None and ("c", contact.id) not in seen:
            seen.add(("c", contact.id))
            entry.contacts.append(contact)
        if reminder is not None and ("r", reminder.id) not in seen:
            seen.add(("r", reminder.id))
            entry.reminders.append(reminder)
    return list(pages.values())


def add_all(session: AsyncSession, rows: Sequence[object]) -> None:
    session.add_all(rows)


async def get_reminder_rule(
    session: AsyncSession, seller_id: str, reminder_id: str
) -> ReminderRule | None:
    """A live (not deleted) rule of this seller, or None."""
    rule = await session.get(ReminderRule, (seller_id, reminder_id))
    if rule is None or rule.deleted:
        return None
    return rule
