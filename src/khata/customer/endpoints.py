"""AR dialect customer endpoints: create, read, PATCH, (de)activate, delete, search, history."""

from typing import Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response

from khata.audit import service as audit
from khata.audit.schemas import AuditEntryPayload
from khata.auth.deps import Caller, reading
from khata.customer import service
from khata.customer.repository import CustomerFilter
from khata.customer.schemas import (
    CustomerCreate,
    CustomerPage,
    CustomerPayload,
    CustomerSearch,
    CustomerUpdate,
    KeyContactPayload,
)
from khata.customer.wire import contact_to_wire, customer_to_wire
from khata.kit.envelopes import ArEnvelope
from khata.kit.pagination import MAX_OFFSET
from khata.web.answers import AR_ERRORS, ar_answer, documented
from khata.web.deps import Now, Session
from khata.web.lean import lean_get

router = APIRouter(tags=["customers"], responses=AR_ERRORS)
_CUSTOMER = documented(ArEnvelope[CustomerPayload])

MAX_PAGE = 5000


@router.post(
    "/api/v0/customer", summary="Create a customer with its key contacts", responses=_CUSTOMER
)
async def create_customer(
    body: CustomerCreate, session: Session, caller: Caller, now: Now
) -> Response:
    view = await service.create_customer(session, caller=caller, data=body, now=now)
    return ar_answer(customer_to_wire(view, caller.seller.time_zone))


@router.post(
    "/api/v0/customer/search",
    summary="Search customers, one page at a time",
    responses=documented(ArEnvelope[CustomerPage]),
)
async def search_customers(
    session: Session,
    caller: Caller,
    body: CustomerSearch | None = Body(default=None),
    limit: int = Query(default=100, ge=1, le=MAX_PAGE),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    order_by: str = Query(default="createdOn", alias="orderBy"),
    direction: Literal["ASC", "DESC", "asc", "desc"] = Query(default="DESC"),
) -> Response:
    filters = body or CustomerSearch()
    views, total = await service.search_customers(
        session,
        caller=caller,
        where=CustomerFilter(
            customer_ids=filters.customer_ids,
            legal_name=filters.legal_name,
            pan_or_gstin=filters.pan_or_gstin,
            unique_ref_no=filters.unique_ref_no,
            state=filters.state,
            status=filters.status,
            deleted=filters.deleted,
        ),
        limit=limit,
        offset=offset,
        order_by=order_by,
        descending=direction.upper() == "DESC",
    )
    time_zone = caller.seller.time_zone
    return ar_answer(
        {
            "customers": [customer_to_wire(v, time_zone) for v in views],
            "totalCount": total,
            "limit": limit,
            "offset": offset,
        }
    )


@lean_get(router, "/api/v0/customer/{customerId}", summary="One customer", responses=_CUSTOMER)
async def get_customer(customerId: str, request: Request) -> Response:
    async with reading(request) as read:
        view = await service.get_customer(
            read.connection, seller_id=read.seller_id, customer_id=customerId
        )
    return ar_answer(customer_to_wire(view, read.time_zone))


@router.patch(
    "/api/v0/customer/{customerId}",
    summary="Change a customer (absent = unchanged)",
    responses=_CUSTOMER,
)
async def update_customer(
    customerId: str,
    body: CustomerUpdate,
    session: Session,
    caller: Caller,
    now: Now,
) -> Response:
    view = await service.update_customer(
        session, caller=caller, customer_id=customerId, changes=body, now=now
    )
    return ar_answer(customer_to_wire(view, caller.seller.time_zone))


@router.put(
    "/api/v0/customer/activate/{customerId}", summary="Activate a customer", responses=_CUSTOMER
)
async def activate_customer(
    customerId: str,
    session: Session,
    caller: Caller,
    now: Now,
) -> Response:
    view = await service.activate(session, caller=caller, customer_id=customerId, now=now)
    return ar_answer(customer_to_wire(view, caller.seller.time_zone))


@router.put(
    "/api/v0/customer/deactivate/{customerId}", summary="Deactivate a customer", responses=_CUSTOMER
)
async def deactivate_customer(
    customerId: str,
    session: Session,
    caller: Caller,
    now: Now,
) -> Response:
    view = await service.deactivate(session, caller=caller, customer_id=customerId, now=now)
    return ar_answer(customer_to_wire(view, caller.seller.time_zone))


@router.delete(
    "/api/v0/customer/{customerId}", summary="Delete a customer (soft)", responses=_CUSTOMER
)
async def delete_customer(
    customerId: str,
    session: Session,
    caller: Caller,
    now: Now,
) -> Response:
    view = await service.delete_customer(session, caller=caller, customer_id=customerId, now=now)
    return ar_answer(customer_to_wire(view, caller.seller.time_zone))


@router.get(
    "/api/v0/customer/{customerId}/contacts",
    summary="A customer's key contacts",
    responses=documented(ArEnvelope[list[KeyContactPayload]]),
)
async def get_contacts(customerId: str, session: Session, caller: Caller) -> Response:
    contacts = await service.list_contacts(session, caller=caller, customer_id=customerId)
    return ar_answer([contact_to_wire(c) for c in contacts])


@router.get(
    "/api/v0/customer/{customerId}/history",
    summary="Audit trail of a customer",
    responses=documented(ArEnvelope[list[AuditEntryPayload]]),
)
async def get_history(customerId: str, session: Session, caller: Caller) -> Response:
    entries = await service.history(session, caller=caller, customer_id=customerId)
    return ar_answer([audit.to_wire(e, caller.seller.time_zone) for e in entries])
