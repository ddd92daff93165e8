"""HTTP endpoints of the delivery domain: the messages sent (or to be sent) for an invoice."""

from typing import Any

from fastapi import APIRouter

from khata.auth.deps import Caller
from khata.delivery import service
from khata.kit.envelopes import ar_ok
from khata.web.deps import Session

router = APIRouter(tags=["deliveries"])


@router.get(
    "/api/v0/invoice/{invoiceId}/deliveries",
    summary="Messages (dispatch and reminders) of an invoice and their states",
)
async def invoice_deliveries(invoiceId: str, session: Session, caller: Caller) -> dict[str, Any]:
    deliveries = await service.deliveries_of_invoice(
        session, seller_id=caller.seller_id, invoice_id=invoiceId
    )
    return ar_ok([service.delivery_wire(d, caller.seller.time_zone) for d in deliveries])
