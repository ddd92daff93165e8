"""HTTP of the console's payments to confirm: every PENDING_CONFIRMATION payment (the buyer's
own reports marked), answered ACCEPT or REJECT through the API's confirm_payment."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from khata.console.web import Console, ConsolePost, ConsoleRoute, page, redirect
from khata.kit.errors import FieldError, ValidationFailed
from khata.payment import service as payment_service
from khata.payment.schemas import PaymentConfirmation
from khata.web.deps import Now, Session

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50


@router.get("/console/payments")
async def payments_page(
    request: Request, session: Session, console: Console, page_number: int = 1
) -> Response:
    number = max(1, page_number)
    waiting, total = await payment_service.awaiting_confirmation(
        session, caller=console.caller, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
    )
    return page(
        request,
        "payments.html.j2",
        nav="payments",
        waiting=waiting,
        total=total,
        page_number=number,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


@router.post("/console/payments/confirm")
async def confirm(
    request: Request,
    session: Session,
    now: Now,
    console: ConsolePost,
    payment: Annotated[str, Form()] = "",
    response: Annotated[str, Form()] = "",
    remarks: Annotated[str, Form()] = "",
) -> Response:
    try:
        answer = PaymentConfirmation.model_validate(
            {"paymentId": payment, "response": response, "remarks": remarks.strip() or None}
        )
    except ValidationError as exc:
        problems = [FieldError(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
        raise ValidationFailed(problems) from None
    await payment_service.confirm_payment(session, caller=console.caller, data=answer, now=now)
    return redirect(request, "/console/payments")
