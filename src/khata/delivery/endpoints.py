"""HTTP endpoints of the delivery domain: the messages sent (or to be sent) for an invoice."""

from fastapi import APIRouter
from fastapi.responses import Response

from khata.auth.deps import Caller
from khata.delivery import service
from khata.delivery.schemas import DeliveryPayload
from khata.kit.envelopes import ArEnvelope
from khata.web.answers import AR_ERRORS, ar_answer, documented
from khata.web.deps import Session

router = APIRouter(tags=["deliveries"], responses=AR_ERRORS)


@router.get(
    "/api/v0/invoice/{invoiceId}/deliveries",
    summary="Messages (dispatch and reminders) of an invoice and their states",
    responses=documented(ArEnvelope[list[DeliveryPayload]]),
)
async def invoice_deliveries(invoiceId: str, session: Session, caller: Caller) -> Response:
    deliveries = await service.deliveries_of_invoice(
        session, seller_id=caller.seller_id, invoice_id=invoiceId
    )
    return ar_answer([service.delivery_wire(d, caller.seller.time_zone) for d in deliveries])
