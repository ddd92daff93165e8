"""GET and PATCH /api/v0/seller: the caller's own seller profile and settings."""

from typing import Any

from fastapi import APIRouter

from khata.auth.deps import Caller
from khata.kit.envelopes import ar_ok
from khata.seller import service
from khata.seller.schemas import SellerUpdate, seller_to_wire
from khata.web.deps import Now, Session

router = APIRouter(tags=["auth"])


@router.get("/api/v0/seller", summary="The seller of the access token")
async def get_own_seller(caller: Caller) -> dict[str, Any]:
    return ar_ok(seller_to_wire(caller.seller, caller.principal))


@router.patch("/api/v0/seller", summary="Change the seller's settings (admin principals)")
async def update_own_seller(
    body: SellerUpdate, session: Session, caller: Caller, now: Now
) -> dict[str, Any]:
    seller = await service.update_seller(session, caller=caller, changes=body, now=now)
    return ar_ok(seller_to_wire(seller, caller.principal))
