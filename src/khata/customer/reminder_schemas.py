"""Wire models of reminder rules: what a client may send, checked field by field."""

from typing import Any, Literal

from pydantic import Field, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from khata.kit.timeutil import TIME_OF_DAY_MESSAGE, TIME_OF_DAY_RE, enkash_timestamp
from khata.kit.wire import WireAnswer, WireModel
from khata.models import ReminderRule as ReminderRuleLike

ReminderType = Literal["ONCE", "RECURRING"]


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class ReminderIn(WireModel):
    """A new reminder rule (inline in a customer create, or POST .../reminder)."""

    due_date_difference: StrictInt = Field(ge=-365, le=365)
    reminder_type: ReminderType
    reminder_interval: StrictInt | None = Field(default=None, ge=1, le=365)
    # Absent: the seller's defaultReminderTime.
    reminder_time: str | None = None
    stage: str | None = Field(default=None, max_length=64)

    @field_validator("stage", mode="before")
    @classmethod
    def _stage_blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("reminder_time")
    @classmethod
    def _time_format(cls, value: str | None) -> str | None:
        if value is not None and not TIME_OF_DAY_RE.match(value):
            raise PydanticCustomError("reminder_time", TIME_OF_DAY_MESSAGE)
        return value


class ReminderUpdate(WireModel):
    """A PATCH of a reminder rule: an absent field is unchanged, `null` clears it."""

    due_date_difference: StrictInt | None = Field(default=None, ge=-365, le=365)
    reminder_type: ReminderType | None = None
    reminder_interval: StrictInt | None = Field(default=None, ge=1, le=365)
    reminder_time: str | None = None
    stage: str | None = Field(default=None, max_length=64)

    @field_validator("stage", mode="before")
    @classmethod
    def _stage_blank(cls, value: Any) -> Any:
        """As on create: a blank stage is no stage (null), never an empty label."""
        return _blank_to_none(value)

    @field_validator("reminder_time")
    @classmethod
    def _time_format(cls, value: str | None) -> str | None:
        if value is not None and not TIME_OF_DAY_RE.match(value):
            raise PydanticCustomError("reminder_time", TIME_OF_DAY_MESSAGE)
        return value


def reminder_to_wire(rule: ReminderRuleLike, time_zone: str) -> dict[str, Any]:
    """A reminder rule as the AR dialect shows it."""
    return {
        "customerReminderId": rule.id,
        "customerId": rule.customer_id,
        "dueDateDifference": rule.due_date_difference,
        "reminderType": rule.reminder_type,
        "reminderInterval": rule.reminder_interval,
        "reminderTime": rule.reminder_time,
        "stage": rule.stage,
        "createdOn": enkash_timestamp(rule.created_at, time_zone),
        "modifiedOn": enkash_timestamp(rule.updated_at, time_zone),
    }


class ReminderPayload(WireAnswer):
    """A reminder rule as the AR dialect answers it (`reminder_to_wire`)."""

    customerReminderId: str
    customerId: str
    dueDateDifference: int
    reminderType: ReminderType
    reminderInterval: int | None
    reminderTime: str | None = Field(description='"HH:mm" in the seller\'s time zone')
    stage: str | None
    createdOn: str
    modifiedOn: str
