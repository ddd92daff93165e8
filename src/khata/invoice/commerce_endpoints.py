"""HTTP endpoints of invoices made from orders (commerce dialect, seed 000)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from khata.auth.deps import Caller
from khata.invoice import commerce_views, order_invoicing, service
from khata.invoice.commerce_schemas import (
    BULK_REQUEST_SCHEMA,
    CommerceInvoicePayload,
    DeletedInvoice,
    InvoiceCreate,
    parse_order_ids,
)
from khata.invoice.commerce_views import invoice_wire, invoices_answer
from khata.invoice.document import invoice_pdf
from khata.kit.envelopes import CommerceEnvelope, CommerceListEnvelope
from khata.order.schemas import MAX_LIMIT, MAX_PAGE
from khata.web.answers import (
    COMMERCE_ERRORS,
    PDF_MEDIA_TYPE,
    TAX_INVOICE_PDF,
    commerce_answer,
    documented,
    download,
)
from khata.web.deps import Now, Session

router = APIRouter(tags=["commerce"], responses=COMMERCE_ERRORS)
_INVOICE = documented(CommerceEnvelope[CommerceInvoicePayload])


@router.post(
    "/invoices/bulk",
    status_code=201,
    summary="Create one invoice per order (all or nothing)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BULK_REQUEST_SCHEMA}},
        }
    },
    responses=documented(CommerceListEnvelope[CommerceInvoicePayload], 201),
)
async def create_invoices_in_bulk(
    request: Request, session: Session, caller: Caller, now: Now
) -> Response:
    order_ids = parse_order_ids(await request.body())
    drafts = await order_invoicing.create_bulk(session, caller=caller, order_ids=order_ids, now=now)
    # Rendered here, invoice by invoice: FastAPI's encoder would walk every value of a
    # thousand invoices again, and keeping them all as dicts costs full garbage collections.
    body = invoices_answer(
        [(draft.invoice, draft.lines) for draft in drafts], "Invoices created successfully"
    )
    return Response(body, status_code=201, media_type="application/json")


@router.post(
    "/invoices",
    status_code=201,
    summary="Create one invoice from (part of) an order",
    responses=documented(CommerceEnvelope[CommerceInvoicePayload], 201),
)
async def create_invoice(
    body: InvoiceCreate, session: Session, caller: Caller, now: Now
) -> Response:
    draft = await order_invoicing.create_one(session, caller=caller, body=body, now=now)
    return commerce_answer(
        invoice_wire(draft.invoice, draft.lines), "Invoice created successfully", status_code=201
    )


@router.get("/invoices/{invoice_id}", summary="One invoice", responses=_INVOICE)
async def get_invoice(invoice_id: str, session: Session, caller: Caller) -> Response:
    invoice, lines, mails = await commerce_views.get_invoice(
        session, seller_id=caller.seller_id, invoice_id=invoice_id
    )
    return commerce_answer(invoice_wire(invoice, lines, mails), "Invoice retrieved successfully")


@router.get(
    "/invoices",
    summary="Invoices, newest first; count is the number matching",
    responses=documented(CommerceListEnvelope[CommerceInvoicePayload]),
)
async def list_invoices(
    session: Session,
    caller: Caller,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    order_id: Annotated[str | None, Query(alias="orderId")] = None,
    customer_id: Annotated[str | None, Query(alias="customerId")] = None,
) -> Response:
    found, total = await commerce_views.list_invoices(
        session,
        seller_id=caller.seller_id,
        order_id=order_id,
        customer_id=customer_id,
        page=page,
        limit=limit,
    )
    data = [invoice_wire(invoice, lines, mails) for invoice, lines, mails in found]
    return commerce_answer(data, "Invoices retrieved successfully", total)


@router.delete(
    "/invoices/{invoice_id}",
    summary="Delete an invoice with nothing received",
    responses=documented(CommerceEnvelope[DeletedInvoice]),
)
async def delete_invoice(invoice_id: str, session: Session, caller: Caller, now: Now) -> Response:
    deleted = await service.delete_invoice(session, caller=caller, invoice_id=invoice_id, now=now)
    return commerce_answer(
        {"id": deleted.id, "entityId": str(deleted.entity_id)},
        "Invoice deleted successfully",
    )


@router.get(
    "/invoices/{invoice_id}/pdf",
    summary="The invoice's GST tax invoice as a PDF",
    response_class=Response,
    responses=TAX_INVOICE_PDF,
)
async def invoice_document(invoice_id: str, session: Session, caller: Caller) -> Response:
    pdf = await invoice_pdf(session, caller.seller, invoice_id)
    return download(pdf.content, media_type=PDF_MEDIA_TYPE, file_name=pdf.file_name)
