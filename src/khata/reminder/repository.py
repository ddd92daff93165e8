"""The reminder scheduler's queries: which (invoice, rule) pairs may remind at a moment, with the
newest occurrence already claimed for each (a read across invoices, customers, rules and claims,
in one statement for every seller), and claiming occurrences (the reminder_occurrence table)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from khata.models import (
    Customer,
    Invoice,
    ReminderOccurrence,
    ReminderRule,
    Seller,
)
from khata.models.customer import CustomerStatus
from khata.models.invoice import FINAL_STATUSES, BuyerResponse


@dataclass(frozen=True)
class Candidate:
    seller_id: str
    time_zone: str
    invoice_id: str
    customer_id: str
    due_date: date
    rule_id: str
    due_date_difference: int
    reminder_type: str
    reminder_interval: int | None
    reminder_time: str
    stage: str | None
    # The newest occurrence of this rule already claimed for this invoice, if any.
    last_queued_on: date | None


# No time zone is more than 14 hours ahead of UTC (Pacific/Kiritimati).
_MAX_UTC_OFFSET = timedelta(hours=14)


def _first_occurrence_not_after(session: AsyncSession, now: datetime) -> ColumnElement[bool]:
    """SQL: the rule's first occurrence day (due date + dueDateDifference) is not after the
    latest local date any seller can have at `now`. Conservative by at most a day; the exact
    check (reminderTime in the seller's zone) is `latest_occurrence`'s."""
    latest_local_day = (now.astimezone(UTC) + _MAX_UTC_OFFSET).date()
    if session.get_bind().dialect.name == "postgresql":
        # date + integer is a date in PostgreSQL.
        return Invoice.due_date + ReminderRule.due_date_difference <= latest_local_day
    # SQLite keeps dates as 'YYYY-MM-DD' text; date(d, '-3 days') shifts and stays comparable.
    first_day = func.date(
        Invoice.due_date, func.printf("%d days", ReminderRule.due_date_difference)
    )
    return first_day <= latest_local_day.isoformat()


def _last_queued_on() -> ScalarSelect[date]:  # NULL when none is claimed yet
    """SQL: the newest occurrence of the row's rule already claimed for the row's invoice."""
    return (
        select(func.max(ReminderOccurrence.occurrence_on))
        .where(
            ReminderOccurrence.seller_id == Invoice.seller_id,
            ReminderOccurrence.invoice_id == Invoice.id,
            ReminderOccurrence.reminder_rule_id == ReminderRule.id,
        )
        .correlate(Invoice, ReminderRule)
        .scalar_subquery()
    )


# An occurrence to claim: (seller id, invoice id, rule id, occurrence date).
Occurrence = tuple[str, str, str, date]


async def claim_occurrences(
    session: AsyncSession, occurrences: Sequence[Occurrence], *, now: datetime
) -> set[Occurrence]:
    """Claim (invoice, rule, occurrence) rows; answers those this transaction really claimed.

    One INSERT ... ON CONFLICT DO NOTHING RETURNING: a row another scheduler claimed first is
    skipped (on PostgreSQL after waiting for its transaction, so a claim is never lost to a
    rollback), never an error. Rows go in one order everywhere, so two schedulers claiming
    overlapping sets wait for each other instead of deadlocking."""
    if not occurrences:
        return set()
    rows = [
        {
            "seller_id": seller_id,
            "invoice_id": invoice_id,
            "reminder_rule_id": rule_id,
            "occurrence_on": day,
            "created_at": now,
        }
        for seller_id, invoice_id, rule_id, day in sorted(set(occurrences))
    ]
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    query = (
        insert(ReminderOccurrence)
        .on_conflict_do_nothing()
        .returning(
            ReminderOccurrence.seller_id,
            ReminderOccurrence.invoice_id,
            ReminderOccurrence.reminder_rule_id,
            ReminderOccurrence.occurrence_on,
        )
    )
    return {(s, i, r, d) for s, i, r, d in await session.execute(query, rows)}


async def due_candidates(session: AsyncSession, now: datetime) -> list[Candidate]:
    """Every (invoice, rule) pair that may remind at `now`: one query across all sellers, which
    leaves out the pairs whose first occurrence is still ahead (most open invoices), with the
    newest occurrence already queued for the pair (a correlated subquery, so still one query)."""
    query = (
        select(
            Invoice.seller_id,
            Seller.time_zone,
            Invoice.id,
            Invoice.customer_id,
            Invoice.due_date,
            ReminderRule.id,
            ReminderRule.due_date_difference,
            ReminderRule.reminder_type,
            ReminderRule.reminder_interval,
            ReminderRule.reminder_time,
            ReminderRule.stage,
            _last_queued_on(),
        )
        .join(Seller, Seller.id == Invoice.seller_id)
        .join(
            Customer,
            and_(Customer.seller_id == Invoice.seller_id, Customer.id == Invoice.customer_id),
        )
        .join(
            ReminderRule,
            and_(
                ReminderRule.seller_id == Invoice.seller_id,
                ReminderRule.customer_id == Invoice.customer_id,
            ),
        )
        .where(
            Invoice.balance_amount > 0,
            Invoice.receivable_status.not_in(sorted(FINAL_STATUSES)),
            Invoice.dispatched.is_(True),
            Invoice.deleted.is_(False),
            # A disputed invoice is not chased until the dispute ends.
            or_(Invoice.buyer_response.is_(None), Invoice.buyer_response != BuyerResponse.DISPUTED),
            Customer.status == CustomerStatus.ACTIVE,
            Customer.deleted.is_(False),
            ReminderRule.deleted.is_(False),
            _first_occurrence_not_after(session, now),
        )
    )
    # tuple(): past ten columns the row is untyped, and mypy cannot count a Row's items.
    return [Candidate(*tuple(row)) for row in await session.execute(query)]
