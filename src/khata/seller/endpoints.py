"""GET and PATCH /api/v0/seller: the caller's own seller profile and settings."""

from fastapi import APIRouter
from fastapi.responses import Response

from khata.auth.deps import Caller
from khata.kit.envelopes import ArEnvelope
from khata.seller import service
from khata.seller.schemas import SellerPayload, SellerUpdate, seller_to_wire
from khata.web.answers import AR_ERRORS, ar_answer, documented
from khata.web.deps import Now, Session

router = APIRouter(tags=["auth"], responses=AR_ERRORS)
_SELLER = documented(ArEnvelope[SellerPayload])


@router.get("/api/v0/seller", summary="The seller of the access token", responses=_SELLER)
async def get_own_seller(caller: Caller) -> Response:
    return ar_answer(seller_to_wire(caller.seller, caller.principal))


@router.patch(
    "/api/v0/seller", summary="Change the seller's settings (admin principals)", responses=_SELLER
)
async def update_own_seller(
    body: SellerUpdate, session: Session, caller: Caller, now: Now
) -> Response:
    seller = await service.update_seller(session, caller=caller, changes=body, now=now)
    return ar_answer(seller_to_wire(seller, caller.principal))
