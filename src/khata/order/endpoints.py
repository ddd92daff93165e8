"""HTTP endpoints of the order domain (commerce dialect): create, read and list orders."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from khata.auth.deps import Caller
from khata.kit.envelopes import commerce_ok
from khata.order import service
from khata.order.schemas import MAX_LIMIT, MAX_PAGE, OrderCreate
from khata.order.views import order_wire
from khata.web.deps import Now, Session

router = APIRouter(tags=["commerce"])


@router.post("/orders", status_code=201, summary="Create an order for an active customer")
async def create_order(
    body: OrderCreate, session: Session, caller: Caller, now: Now
) -> dict[str, Any]:
    created = await service.create_order(session, caller=caller, body=body, now=now)
    return commerce_ok(order_wire(created), "Order created successfully")


@router.get("/orders/{order_id}", summary="One order with its lines' invoiced quantities")
async def get_order(order_id: str, session: Session, caller: Caller) -> dict[str, Any]:
    found = await service.get_order(session, seller_id=caller.seller_id, order_id=order_id)
    return commerce_ok(order_wire(found), "Order retrieved successfully")


@router.get("/orders", summary="Orders, newest first; count is the number matching")
async def list_orders(
    session: Session,
    caller: Caller,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    customer_id: Annotated[str | None, Query(alias="customerId")] = None,
) -> dict[str, Any]:
    found, total = await service.list_orders(
        session, seller_id=caller.seller_id, customer_id=customer_id, page=page, limit=limit
    )
    return commerce_ok([order_wire(o) for o in found], "Orders retrieved successfully", total)
