"""The reminder scheduler: turns reminder rules into queued messages, once per occurrence.

Run by the worker on every pass. For each invoice that is still worth chasing (unpaid,
dispatched, not deleted, not disputed by the buyer, customer active and not deleted) every
non-deleted rule of its customer yields occurrences: ONCE at due date + dueDateDifference,
RECURRING from there every reminderInterval days, each at reminderTime in the seller's time
zone.

Per invoice only the latest occurrence that is not in the future counts. In normal running
that is the one that just came due; after downtime it is the latest missed one, so a worker
that was off for ten days sends one message, never the backlog.

Each (invoice, rule, occurrence) is reminded once: the scheduler claims it in the
reminder_occurrence table (its primary key is the claim) in the transaction that queues the
message, and the candidates query brings, per invoice and rule, the latest occurrence already
claimed. Invoices of one customer whose occurrence is due in the same pass share one message
listing the ones this scheduler claimed; an invoice that qualifies later (say, dispatched after
its customer's message went) gets its own message at the next pass. Two schedulers racing, or an
invoice paid between their reads, cannot put an invoice in two reminders of one occurrence: the
second claim of it finds the row taken. Paid, cancelled, closed or deleted invoices and inactive
customers simply stop qualifying, so their next reminder is never queued (and one queued before
is checked again when it is sent).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from khata.customer import repository as customer_repository
from khata.delivery import outbox
from khata.invoice.webhook_events import record_overdue_events
from khata.models import (
    KeyContact,
)
from khata.models.reminder_rule import ReminderType
from khata.reminder import repository


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


# Per (seller, invoice): the instant of its newest occurrence, the candidates (one per rule)
# due at that instant, and the occurrence's local date.
_Chosen = dict[tuple[str, str], tuple[datetime, list[repository.Candidate], date]]
# Per (seller, customer, rule, occurrence date): the invoices one message covers.
_Groups = dict[tuple[str, str, str, date], list[repository.Candidate]]
_Contacts = dict[tuple[str, str], list[KeyContact]]


@dataclass
class ReminderPlan:
    """What one scheduler read: the groups of invoices due a reminder, and who gets them."""

    groups: _Groups
    contacts: _Contacts


async def schedule_reminders(session: AsyncSession, *, now: datetime) -> int:
    """Queue the reminders that are due at `now` and not queued before; answers how many
    messages were queued. A constant number of statements per seller with reminders due."""
    plan = await plan_reminders(session, now=now)
    return await queue_reminders(session, plan, now=now)


async def schedule_due_work(session: AsyncSession, *, now: datetime) -> int:
    """The worker's scheduler: the reminders due at `now`, and the invoice.overdue webhook
    events of invoices just fallen overdue, in one transaction; answers the reminders queued."""
    await record_overdue_events(session, now=now)
    return await schedule_reminders(session, now=now)


async def plan_reminders(session: AsyncSession, *, now: datetime) -> ReminderPlan:
    """The read half: which invoices are due which rule's occurrence at `now`, grouped."""
    chosen = _newest_occurrences(await repository.due_candidates(session, now), now)
    groups = _unqueued_groups(chosen)
    if not groups:
        return ReminderPlan({}, {})
    contacts = await customer_repository.live_contacts_across_sellers(
        session, sorted({(s, c) for s, c, _r, _d in groups})
    )
    return ReminderPlan(groups, contacts)


async def queue_reminders(session: AsyncSession, plan: ReminderPlan, *, now: datetime) -> int:
    """The write half: claim each (invoice, rule, occurrence) of the plan, and queue messages for
    the claimed ones only. The plan may be stale (another scheduler, or a payment, since): an
    invoice another scheduler already claimed for that occurrence is left out of this group, so
    it is never in two reminders of one occurrence, however the groups were read."""
    wanted = [
        (seller_id, member.invoice_id, rule_id, day)
        for (seller_id, customer_id, rule_id, day), members in plan.groups.items()
        if _reachable(plan.contacts.get((seller_id, customer_id), []))
        for member in members
    ]
    if not wanted:
        return 0
    claimed = await repository.claim_occurrences(session, wanted, now=now)
    groups: _Groups = {}
    for key, members in plan.groups.items():
        seller_id, _customer_id, rule_id, day = key
        mine = [m for m in members if (seller_id, m.invoice_id, rule_id, day) in claimed]
        if mine:
            groups[key] = mine
    queued = 0
    for seller_id, messages in _messages_by_seller(groups, plan.contacts).items():
        queued += len(await outbox.queue(session, seller_id=seller_id, messages=messages, now=now))
    return queued


def _reachable(contacts: list[KeyContact]) -> bool:
    """Whether a customer's contacts get any message: an occurrence nobody could be told of is
    not claimed, so a contact added later that day is still reminded."""
    return any(
        outbox.channel_messages_for_contact(
            contact, kind=outbox.REMINDER, dedupe_prefix="", invoice_ids=[], customer_id=""
        )
        for contact in contacts
    )


def _newest_occurrences(candidates: list[repository.Candidate], now: datetime) -> _Chosen:
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
    groups: _Groups, contacts: _Contacts
) -> dict[str, list[outbox.OutgoingMessage]]:
    """One message per group and enabled channel of each of the customer's key contacts."""
    by_seller: dict[str, list[outbox.OutgoingMessage]] = defaultdict(list)
    for (seller_id, customer_id, rule_id, day), members in sorted(groups.items()):
        members.sort(key=lambda m: (m.due_date, m.invoice_id))
        invoice_ids = [m.invoice_id for m in members]
        # Named by its first invoice: an invoice is claimed by one message per occurrence, so
        # no other message of the occurrence can start with it.
        prefix = f"reminder:{customer_id}:{rule_id}:{day.isoformat()}:{min(invoice_ids)}"
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
