"""GET /api/v0/seller: the caller's own seller profile (a first authenticated call to try)."""

from typing import Any

from fastapi import APIRouter

from khata.kit.deps import Caller
from khata.kit.envelopes import ar_ok
from khata.kit.timeutil import enkash_timestamp

router = APIRouter(tags=["auth"])


@router.get("/api/v0/seller", summary="The seller of the access token")
async def get_own_seller(caller: Caller) -> dict[str, Any]:
    seller = caller.seller
    return ar_ok(
        {
            "sellerId": seller.id,
            "legalName": seller.legal_name,
            "gstin": seller.gstin,
            "state": seller.state_code,
            "currency": seller.currency,
            "timeZone": seller.time_zone,
            "paymentTermsDays": seller.payment_terms_days,
            "invoicePrefix": seller.invoice_prefix,
            "createdOn": enkash_timestamp(seller.created_at, seller.time_zone),
            "principal": {
                "id": caller.principal.id,
                "name": caller.principal.name,
                "type": caller.principal.type,
            },
        }
    )
