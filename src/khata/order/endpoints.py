"""HTTP endpoints of the order domain (commerce dialect): create, read and list orders."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from khata.auth.deps import Caller
from khata.kit.envelopes import CommerceEnvelope, CommerceListEnvelope
from khata.order import service
from khata.order.schemas import MAX_LIMIT, MAX_PAGE, OrderCreate, OrderPayload
from khata.order.views import order_wire
from khata.web.answers import COMMERCE_ERRORS, commerce_answer, documented
from khata.web.deps import Now, Session

router = APIRouter(tags=["commerce"], responses=COMMERCE_ERRORS)


@router.post(
    "/orders",
    status_code=201,
    summary="Create an order for an active customer",
    responses=documented(CommerceEnvelope[OrderPayload], 201),
)
async def create_order(body: OrderCreate, session: Session, caller: Caller, now: Now) -> Response:
    created = await service.create_order(session, caller=caller, body=body, now=now)
    return commerce_answer(order_wire(created), "Order created successfully", status_code=201)


@router.get(
    "/orders/{order_id}",
    summary="One order with its lines' invoiced quantities",
    responses=documented(CommerceEnvelope[OrderPayload]),
)
async def get_order(order_id: str, session: Session, caller: Caller) -> Response:
    found = await service.get_order(session, seller_id=caller.seller_id, order_id=order_id)
    return commerce_answer(order_wire(found), "Order retrieved successfully")


@router.get(
    "/orders",
    summary="Orders, newest first; count is the number matching",
    responses=documented(CommerceListEnvelope[OrderPayload]),
)
async def list_orders(
    session: Session,
    caller: Caller,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    customer_id: Annotated[str | None, Query(alias="customerId")] = None,
) -> Response:
    found, total = await service.list_orders(
        session, seller_id=caller.seller_id, customer_id=customer_id, page=page, limit=limit
    )
    return commerce_answer([order_wire(o) for o in found], "Orders retrieved successfully", total)
