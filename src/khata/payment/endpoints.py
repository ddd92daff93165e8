"""AR dialect payment endpoints: report a payment, read it, confirm or reject it."""

from typing import Any

from fastapi import APIRouter

from khata.auth.deps import Caller
from khata.kit.envelopes import ar_ok
from khata.payment import service
from khata.payment.schemas import PaymentConfirmation, PaymentReport
from khata.web.deps import Now, Session

router = APIRouter(tags=["payments"])


@router.post("/api/v0/payment", summary="Report a payment against invoices")
async def report_payment(
    body: PaymentReport, session: Session, caller: Caller, now: Now
) -> dict[str, Any]:
    payment = await service.report_payment(session, caller=caller, data=body, now=now)
    return ar_ok(await service.payment_payload(session, payment, time_zone=caller.seller.time_zone))


@router.get("/api/v0/payment/{paymentId}", summary="A reported payment and its invoices")
async def get_payment(paymentId: str, session: Session, caller: Caller) -> dict[str, Any]:
    payment = await service.load_payment(session, caller, paymentId)
    return ar_ok(await service.payment_payload(session, payment, time_zone=caller.seller.time_zone))


@router.post("/api/v0/invoice/payment-confirmation", summary="Payment Confirmation Request")
async def confirm_payment(
    body: PaymentConfirmation, session: Session, caller: Caller, now: Now
) -> dict[str, Any]:
    payment = await service.confirm_payment(session, caller=caller, data=body, now=now)
    return ar_ok(await service.payment_payload(session, payment, time_zone=caller.seller.time_zone))
