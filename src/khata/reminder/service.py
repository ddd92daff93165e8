"""Reminder rules of a customer one by one: create, read, change and remove them.

The checks and the row builder are customer.reminder_rules, shared with a customer create
(inline `customerReminders`) and bulk files; sending reminders is reminder.scheduler.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from khata.audit import service as audit
from khata.auth.service import Caller
from khata.customer import repository as customer_repository
from khata.customer.errors import CustomerDeleted, CustomerNotFound
from khata.customer.reminder_rules import new_rule, rule_errors, rule_snapshot
from khata.customer.reminder_schemas import ReminderIn, ReminderUpdate
from khata.kit.errors import FieldError, ValidationFailed
from khata.models import Customer, ReminderRule
from khata.models.audit_entry import AuditAction
from khata.models.reminder_rule import ReminderType
from khata.reminder.errors import ReminderNotFound


async def _live_customer(session: AsyncSession, caller: Caller, customer_id: str) -> Customer:
    customer = await customer_repository.get_customer(session, caller.seller_id, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer


async def create_reminder(
    session: AsyncSession, *, caller: Caller, customer_id: str, data: ReminderIn, now: datetime
) -> ReminderRule:
    customer = await _live_customer(session, caller, customer_id)
    if customer.deleted:
        raise CustomerDeleted(customer_id, "given reminders")
    errors = rule_errors(reminder_type=data.reminder_type, reminder_interval=data.reminder_interval)
    if errors:
        raise ValidationFailed(errors)
    rule = new_rule(seller=caller.seller, customer_id=customer_id, data=data, now=now)
    session.add(rule)
    audit.record(
        session,
        caller=caller,
        seller_id=caller.seller_id,
        entity_type="customer",
        entity_id=customer_id,
        action=AuditAction.REMINDER_CREATED,
        now=now,
        after=rule_snapshot(rule),
    )
    await session.flush()
    return rule


async def list_reminders(
    session: AsyncSession, *, caller: Caller, customer_id: str
) -> list[ReminderRule]:
    await _live_customer(session, caller, customer_id)
    return await customer_repository.active_reminders(session, caller.seller_id, customer_id)


async def get_reminder(session: AsyncSession, *, caller: Caller, reminder_id: str) -> ReminderRule:
    rule = await customer_repository.get_reminder_rule(session, caller.seller_id, reminder_id)
    if rule is None:
        raise ReminderNotFound(reminder_id)
    return rule


async def update_reminder(
    session: AsyncSession,
    *,
    caller: Caller,
    reminder_id: str,
    changes: ReminderUpdate,
    now: datetime,
) -> ReminderRule:
    """Absent fields stay; `null` clears stage or reminderInterval; the rest cannot be cleared."""
    rule = await get_reminder(session, caller=caller, reminder_id=reminder_id)
    customer = await _live_customer(session, caller, rule.customer_id)
    if customer.deleted:
        raise CustomerDeleted(customer.id, "given reminders")
    given = changes.model_fields_set
    errors = [
        FieldError(wire, "cannot be cleared", None)
        for name, wire in (
            ("due_date_difference", "dueDateDifference"),
            ("reminder_type", "reminderType"),
            ("reminder_time", "reminderTime"),
        )
        if name in given and getattr(changes, name) is None
    ]
    if errors:
        raise ValidationFailed(errors)
    before = rule_snapshot(rule)
    due = changes.due_date_difference if "due_date_difference" in given else None
    kind = changes.reminder_type if "reminder_type" in given else None
    time = changes.reminder_time if "reminder_time" in given else None
    reminder_type = kind or rule.reminder_type
    interval = changes.reminder_interval if "reminder_interval" in given else rule.reminder_interval
    errors = rule_errors(reminder_type=reminder_type, reminder_interval=interval)
    if errors:
        raise ValidationFailed(errors)
    rule.due_date_difference = rule.due_date_difference if due is None else due
    rule.reminder_type = reminder_type
    rule.reminder_interval = interval if reminder_type == ReminderType.RECURRING else None
    rule.reminder_time = time or rule.reminder_time
    if "stage" in given:
        rule.stage = changes.stage
    changed = audit.changed_fields(before, rule_snapshot(rule))
    if changed:
        rule.updated_at = now
        audit.record(
            session,
            caller=caller,
            seller_id=caller.seller_id,
            entity_type="customer",
            entity_id=rule.customer_id,
            action=AuditAction.REMINDER_UPDATED,
            now=now,
            before={"customerReminderId": rule.id} | {k: v["from"] for k, v in changed.items()},
            after={"customerReminderId": rule.id} | {k: v["to"] for k, v in changed.items()},
        )
    await session.flush()
    return rule


async def delete_reminder(
    session: AsyncSession, *, caller: Caller, reminder_id: str, now: datetime
) -> ReminderRule:
    """Soft delete: the scheduler stops using the rule; deliveries it caused keep their link."""
    rule = await get_reminder(session, caller=caller, reminder_id=reminder_id)
    rule.deleted = True
    rule.updated_at = now
    audit.record(
        session,
        caller=caller,
        seller_id=caller.seller_id,
        entity_type="customer",
        entity_id=rule.customer_id,
        action=AuditAction.REMINDER_DELETED,
        now=now,
        before=rule_snapshot(rule),
    )
    await session.flush()
    return rule
