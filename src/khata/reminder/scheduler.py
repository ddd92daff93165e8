"""The reminder scheduler: turns reminder rules into queued messages, once per occurrence.

Run by the worker on every pass. For each invoice that is still worth chasing (unpaid,
dispatched, not deleted, not disputed by the buyer, customer active and not deleted) every
non-deleted rule of its customer yields occurrences: ONCE at due date + dueDateDifference,
RECURRING from there every reminderInterval days, each at reminderTime in the seller's time
zone.

Per invoice only the latest occurrence that is not in the future counts. In normal running
that is the one that just came due; after downtime it is the latest missed one, so a worker
that was off for ten days sends one message, never the backlog.

Each (invoice, rule, occurrence) is reminded once: a reminder row records its occurrence
(`occurrence_on`) and links its invoices, and the candidates query brings, per invoice and
rule, the latest occurrence already queued. Invoices of one customer whose occurrence is due
in the same pass share one message listing them all; an invoice that qualifies later (say,
dispatched after its customer's message went) gets its own message at the next pass, because
the dedupe key (customer + rule + occurrence + the invoice set + contact + channel) names
which invoices a message covers. Paid, cancelled, closed or deleted invoices and inactive
customers simply stop qualifying, so their next reminder is never queued.
"""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from khata.customer import repository as customer_repository
from khata.delivery import outbox
from khata.models import (
    Customer,
    Delivery,
    DeliveryInvoice,
    Invoice,
    KeyContact,
    ReminderRule,
    Seller,
)
from khata.models.customer import CustomerStatus
from khata.models.invoice import FINAL_STATUSES, BuyerResponse
from khata.models.reminder_rule import ReminderType


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
    # The newest occurrence of this rule already queued for this invoice, if any.
    last_queued_on: date | None


def _at(day: date, reminder_time: str, zone: ZoneInfo) -> datetime:
    hours, _, minutes = reminder_time.partition(":")
    try:
        moment = time(int(hours), int(minutes or 0))
    except ValueError:  # a malformed time must not stop every other reminder
        moment = time(9, 0)
    return datetime.combine(day, moment, tzinfo=zone)


def latest_occurrence(
    *,
    due_date: date,
    due_date_difference: int,
    reminder_type: str,
    reminder_interval: int | None,
    reminder_time: str,
    time_zone: str,
    now: datetime,
) -> tuple[date, datetime] | None:
    """The latest occurrence of a rule for one due date that is not after `now`:
    (its local date, its instant), or None when the first one is still ahead."""
    zone = ZoneInfo(time_zone)
    first_day = due_date + timedelta(days=due_date_difference)
    if _at(first_day, reminder_time, zone) > now:
        return None
    if reminder_type != ReminderType.RECURRING or not reminder_interval or reminder_interval <= 0:
        return first_day, _at(first_day, reminder_time, zone)
    local_today = now.astimezone(zone).date()
    steps = (local_today - first_day).days // reminder_interval
    day = first_day + timedelta(days=steps * reminder_interval)
    if _at(day, reminder_time, zone) > now:
        day -= timedelta(days=reminder_interval)
    return day, _at(day, reminder_time, zone)


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


def _last_queued_on() -> ScalarSelect[date | None]:
    """SQL: the newest occurrence of the row's rule already queued for the row's invoice."""
    return (
        select(func.max(Delivery.occurrence_on))
        .join(
            DeliveryInvoice,
            and_(
                DeliveryInvoice.seller_id == Delivery.seller_id,
                DeliveryInvoice.delivery_id == Delivery.id,
            ),
        )
        .where(
            DeliveryInvoice.seller_id == Invoice.seller_id,
            DeliveryInvoice.invoice_id == Invoice.id,
            Delivery.kind == outbox.REMINDER,
            Delivery.reminder_rule_id == ReminderRule.id,
        )
        .correlate(Invoice, ReminderRule)
        .scalar_subquery()
    )


async def _candidates(session: AsyncSession, now: datetime) -> list[Candidate]:
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


def _invoice_set(invoice_ids: Sequence[str]) -> str:
    """A short name for a set of invoices: a later message for the same occurrence that covers
    other invoices gets another dedupe key, while two schedulers building the same group still
    collide on one."""
    return hashlib.sha256(",".join(sorted(invoice_ids)).encode()).hexdigest()[:12]


# Per (seller, invoice): the instant of its newest occurrence, the candidates (one per rule)
# due at that instant, and the occurrence's local date.
_Chosen = dict[tuple[str, str], tuple[datetime, list[Candidate], date]]
# Per (seller, customer, rule, occurrence date): the invoices one message covers.
_Groups = dict[tuple[str, str, str, date], list[Candidate]]


async def schedule_reminders(session: AsyncSession, *, now: datetime) -> int:
    """Queue the reminders that are due at `now` and not queued before; answers how many
    messages were queued. A constant number of statements per seller with reminders due."""
    chosen = _newest_occurrences(await _candidates(session, now), now)
    groups = _unqueued_groups(chosen)
    if not groups:
        return 0
    contacts = await customer_repository.live_contacts_across_sellers(
        session, sorted({(s, c) for s, c, _r, _d in groups})
    )
    queued = 0
    for seller_id, messages in _messages_by_seller(groups, contacts).items():
        queued += len(await outbox.queue(session, seller_id=seller_id, messages=messages, now=now))
    return queued


def _newest_occurrences(candidates: list[Candidate], now: datetime) -> _Chosen:
    chosen: _Chosen = {}
    for candidate in candidates:
        occurrence = latest_occurrence(
            due_date=candidate.due_date,
            due_date_difference=candidate.due_date_difference,
            reminder_type=candidate.reminder_type,
            reminder_interval=candidate.reminder_interval,
            reminder_time=candidate.reminder_time,
            time_zone=candidate.time_zone,
            now=now,
        )
        if occurrence is None:
            continue
        day, instant = occurrence
        key = (candidate.seller_id, candidate.invoice_id)
        best = chosen.get(key)
        # Several rules of one customer: only the newest occurrence speaks for the invoice, so
        # catching up never fires every rule at once. Ties (same instant) keep each rule.
        if best is None or instant > best[0]:
            chosen[key] = (instant, [candidate], day)
        elif instant == best[0]:
            best[1].append(candidate)
    return chosen


def _unqueued_groups(chosen: _Chosen) -> _Groups:
    """One group per customer, rule and occurrence, of the invoices not yet reminded of it.
    The filter comes after choosing the newest occurrence: filtering first would let an older
    rule speak for an invoice whose newest one was already sent."""
    groups: _Groups = defaultdict(list)
    for _instant, candidates, day in chosen.values():
        for candidate in candidates:
            if candidate.last_queued_on is not None and candidate.last_queued_on >= day:
                continue
            groups[(candidate.seller_id, candidate.customer_id, candidate.rule_id, day)].append(
                candidate
            )
    return groups


def _messages_by_seller(
    groups: _Groups, contacts: dict[tuple[str, str], list[KeyContact]]
) -> dict[str, list[outbox.OutgoingMessage]]:
    """One message per group and enabled channel of each of the customer's key contacts."""
    by_seller: dict[str, list[outbox.OutgoingMessage]] = defaultdict(list)
    for (seller_id, customer_id, rule_id, day), members in sorted(groups.items()):
        members.sort(key=lambda m: (m.due_date, m.invoice_id))
        invoice_ids = [m.invoice_id for m in members]
        prefix = f"reminder:{customer_id}:{rule_id}:{day.isoformat()}:{_invoice_set(invoice_ids)}"
        for contact in contacts.get((seller_id, customer_id), []):
            by_seller[seller_id].extend(
                outbox.channel_messages_for_contact(
                    contact,
                    kind=outbox.REMINDER,
                    dedupe_prefix=prefix,
                    invoice_ids=invoice_ids,
                    customer_id=customer_id,
                    reminder_rule_id=rule_id,
                    stage=members[0].stage,
                    occurrence_on=day,
                    context={"occurrenceDate": day.isoformat()},
                )
            )
    return by_seller
