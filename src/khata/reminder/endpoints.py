"""AR dialect reminder-rule endpoints ("Payment Reminders" of the Enkash seed)."""

from fastapi import APIRouter
from fastapi.responses import Response

from khata.auth.deps import Caller
from khata.customer.reminder_schemas import (
    ReminderIn,
    ReminderPayload,
    ReminderUpdate,
    reminder_to_wire,
)
from khata.kit.envelopes import ArEnvelope
from khata.reminder import service
from khata.web.answers import AR_ERRORS, ar_answer, documented
from khata.web.deps import Now, Session

router = APIRouter(tags=["reminders"], responses=AR_ERRORS)
_REMINDER = documented(ArEnvelope[ReminderPayload])


@router.post(
    "/api/v0/customer/{customerId}/reminder", summary="Add a reminder rule", responses=_REMINDER
)
async def create_reminder(
    customerId: str,
    body: ReminderIn,
    session: Session,
    caller: Caller,
    now: Now,
) -> Response:
    rule = await service.create_reminder(
        session, caller=caller, customer_id=customerId, data=body, now=now
    )
    return ar_answer(reminder_to_wire(rule, caller.seller.time_zone))


@router.get(
    "/api/v0/customer/{customerId}/reminders",
    summary="A customer's reminder rules",
    responses=documented(ArEnvelope[list[ReminderPayload]]),
)
async def list_reminders(customerId: str, session: Session, caller: Caller) -> Response:
    rules = await service.list_reminders(session, caller=caller, customer_id=customerId)
    return ar_answer([reminder_to_wire(r, caller.seller.time_zone) for r in rules])


@router.get(
    "/api/v0/customer/reminder/{customerReminderId}",
    summary="One reminder rule",
    responses=_REMINDER,
)
async def get_reminder(
    customerReminderId: str,
    session: Session,
    caller: Caller,
) -> Response:
    rule = await service.get_reminder(session, caller=caller, reminder_id=customerReminderId)
    return ar_answer(reminder_to_wire(rule, caller.seller.time_zone))


@router.patch(
    "/api/v0/customer/reminder/{customerReminderId}",
    summary="Change a reminder rule",
    responses=_REMINDER,
)
async def update_reminder(
    customerReminderId: str,
    body: ReminderUpdate,
    session: Session,
    caller: Caller,
    now: Now,
) -> Response:
    rule = await service.update_reminder(
        session, caller=caller, reminder_id=customerReminderId, changes=body, now=now
    )
    return ar_answer(reminder_to_wire(rule, caller.seller.time_zone))


@router.delete(
    "/api/v0/customer/reminder/{customerReminderId}",
    summary="Remove a reminder rule",
    responses=_REMINDER,
)
async def delete_reminder(
    customerReminderId: str,
    session: Session,
    caller: Caller,
    now: Now,
) -> Response:
    rule = await service.delete_reminder(
        session, caller=caller, reminder_id=customerReminderId, now=now
    )
    return ar_answer(reminder_to_wire(rule, caller.seller.time_zone))
