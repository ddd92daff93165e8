"""AR dialect payment endpoints: report a payment, read it, confirm or reject it."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from khata.auth.deps import Caller, reading
from khata.kit.envelopes import ArEnvelope
from khata.payment import service
from khata.payment.schemas import PaymentConfirmation, PaymentPayload, PaymentReport
from khata.web.answers import AR_ERRORS, ar_answer, documented
from khata.web.deps import Now, Session
from khata.web.lean import lean_get

router = APIRouter(tags=["payments"], responses=AR_ERRORS)
_PAYMENT = documented(ArEnvelope[PaymentPayload])


@router.post("/api/v0/payment", summary="Report a payment against invoices", responses=_PAYMENT)
async def report_payment(
    body: PaymentReport, session: Session, caller: Caller, now: Now
) -> Response:
    payment = await service.report_payment(session, caller=caller, data=body, now=now)
    return ar_answer(
        await service.payment_payload(session, payment, time_zone=caller.seller.time_zone)
    )


@lean_get(
    router,
    "/api/v0/payment/{paymentId}",
    summary="A reported payment and its invoices",
    responses=_PAYMENT,
)
async def get_payment(paymentId: str, request: Request) -> Response:
    async with reading(request) as read:
        payload = await service.get_payment_payload(
            read.connection,
            seller_id=read.seller_id,
            time_zone=read.time_zone,
            payment_id=paymentId,
        )
    return ar_answer(payload)


@router.post(
    "/api/v0/invoice/payment-confirmation",
    summary="Payment Confirmation Request",
    responses=_PAYMENT,
)
async def confirm_payment(
    body: PaymentConfirmation, session: Session, caller: Caller, now: Now
) -> Response:
    payment = await service.confirm_payment(session, caller=caller, data=body, now=now)
    return ar_answer(
        await service.payment_payload(session, payment, time_zone=caller.seller.time_zone)
    )
