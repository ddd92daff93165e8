"""A customer's reminder rule: the checks across its fields, its new row and its audit snapshot.

Pure, so a customer create (inline `customerReminders`), a bulk file and POST .../reminder
check and build rules alike.
"""

from datetime import datetime
from typing import Any

from khata.customer.reminder_schemas import ReminderIn
from khata.kit.errors import FieldError
from khata.kit.ids import new_object_id
from khata.models import ReminderRule, Seller
from khata.models.reminder_rule import ReminderType

INTERVAL_REQUIRED = "is required for a RECURRING reminder (days, at least 1)"


def rule_errors(
    *, reminder_type: str, reminder_interval: int | None, prefix: str = ""
) -> list[FieldError]:
    """Rules across fields of one reminder rule (each field is already valid on its own)."""
    if reminder_type == ReminderType.RECURRING and reminder_interval is None:
        return [FieldError(f"{prefix}reminderInterval", INTERVAL_REQUIRED, None)]
    return []


def new_rule(*, seller: Seller, customer_id: str, data: ReminderIn, now: datetime) -> ReminderRule:
    return ReminderRule(
        seller_id=seller.id,
        id=new_object_id(now.timestamp()),
        customer_id=customer_id,
        due_date_difference=data.due_date_difference,
        reminder_type=data.reminder_type,
        # An interval means nothing for a one-off reminder; storing it would mislead the reader.
        reminder_interval=data.reminder_interval
        if data.reminder_type == ReminderType.RECURRING
        else None,
        reminder_time=data.reminder_time or seller.default_reminder_time,
        stage=data.stage,
        deleted=False,
        created_at=now,
        updated_at=now,
    )


def rule_snapshot(rule: ReminderRule) -> dict[str, Any]:
    return {
        "customerReminderId": rule.id,
        "dueDateDifference": rule.due_date_difference,
        "reminderType": rule.reminder_type,
        "reminderInterval": rule.reminder_interval,
        "reminderTime": rule.reminder_time,
        "stage": rule.stage,
    }
