"""AR dialect invoice endpoints: create, read, update, search, collection, status, history."""

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from khata.audit import service as audit
from khata.audit.schemas import AuditEntryPayload
from khata.auth.deps import Caller, reading
from khata.invoice import search as invoice_search
from khata.invoice import service
from khata.invoice.ar_schemas import (
    BatchPayload,
    BulkDelete,
    BulkDispatch,
    InvoiceCreate,
    InvoicePage,
    InvoicePayload,
    InvoiceSearch,
    InvoiceUpdate,
    StatusChange,
)
from khata.invoice.ar_views import one_invoice_payload, payment_link
from khata.invoice.document import invoice_pdf
from khata.invoice.service import BatchResult
from khata.invoice.status import status_wire
from khata.kit.envelopes import ArEnvelope
from khata.kit.timeutil import enkash_timestamp
from khata.web.answers import (
    AR_ERRORS,
    PDF_MEDIA_TYPE,
    TAX_INVOICE_PDF,
    ar_answer,
    documented,
    download,
)
from khata.web.deps import AppSettings, LinkBase, Now, Session
from khata.web.lean import lean_get

router = APIRouter(tags=["invoices"], responses=AR_ERRORS)
_INVOICE = documented(ArEnvelope[InvoicePayload])
_BATCH = documented(ArEnvelope[BatchPayload])


async def _payload(
    session: Session, caller: Caller, invoice: Any, now: Now, link_base: str
) -> dict[str, Any]:
    return await one_invoice_payload(
        session,
        invoice,
        time_zone=caller.seller.time_zone,
        now=now,
        public_base_url=link_base,
    )


@router.post("/api/v0/invoice", summary="createInvoice", responses=_INVOICE)
async def create_invoice(
    body: InvoiceCreate,
    session: Session,
    caller: Caller,
    now: Now,
    settings: AppSettings,
    link_base: LinkBase,
) -> Response:
    invoice = await service.create_invoice(
        session, caller=caller, data=body, now=now, settings=settings
    )
    return ar_answer(await _payload(session, caller, invoice, now, link_base))


@router.post(
    "/api/v0/invoice/search",
    summary="searchCollectionInvoices",
    responses=documented(ArEnvelope[InvoicePage]),
)
async def search_invoices(
    session: Session,
    caller: Caller,
    now: Now,
    link_base: LinkBase,
    settings: AppSettings,
    body: InvoiceSearch | None = None,
    limit: int | None = Query(default=None),
    offset: int | None = Query(default=None),
    orderBy: str | None = Query(default=None),
    direction: str | None = Query(default=None),
    cursor: str | None = Query(
        default=None,
        description="nextCursor or prevCursor of an earlier answer to the same search (same "
        "filters, orderBy and direction): the page just after (before) it, however deep, and "
        "no row skipped or repeated when invoices come and go in between. Not with offset.",
    ),
) -> Response:
    page = invoice_search.page_of(limit, offset, orderBy, direction)
    found = await invoice_search.search_invoices(
        session,
        seller_id=caller.seller_id,
        time_zone=caller.seller.time_zone,
        filters=body or InvoiceSearch(),
        page=page,
        cursor=cursor,
        secret=settings.cursor_secret,
        now=now,
        public_base_url=link_base,
    )
    return ar_answer(
        {
            "invoices": found.invoices,
            "totalCount": found.total,
            "limit": page.limit,
            "offset": page.offset,
            "nextCursor": found.next_cursor,
            "prevCursor": found.prev_cursor,
        }
    )


def _batch_wire(results: list[BatchResult], caller: Caller, link_base: str) -> dict[str, Any]:
    entries = []
    for result in results:
        entry: dict[str, Any] = {
            "invoiceId": result.invoice_id,
            "success": result.ok,
            "message": result.message,
        }
        if result.ok and result.invoice is not None:
            invoice = result.invoice
            # The same {name, label} shape as the invoice payload, so clients parse it once.
            entry["receivableStatus"] = status_wire(invoice.receivable_status)
            entry["version"] = invoice.version
            if invoice.dispatched_at is not None and not invoice.deleted:
                entry["dispatchedOn"] = enkash_timestamp(
                    invoice.dispatched_at, caller.seller.time_zone
                )
                entry["paymentLink"] = payment_link(link_base, invoice.payment_link_key)
        entries.append(entry)
    succeeded = sum(1 for result in results if result.ok)
    return {
        "results": entries,
        "successCount": succeeded,
        "failureCount": len(results) - succeeded,
    }


@router.post(
    "/api/v0/invoice/bulk/dispatch", summary="Dispatch Invoice Collection", responses=_BATCH
)
async def dispatch_invoices(
    body: BulkDispatch,
    session: Session,
    caller: Caller,
    now: Now,
    settings: AppSettings,
    link_base: LinkBase,
) -> Response:
    results = await service.dispatch_invoices(
        session,
        caller=caller,
        invoice_ids=body.invoiceIds,
        partial_payment_allowed=body.partialPaymentAllowed,
        now=now,
        settings=settings,
    )
    return ar_answer(_batch_wire(results, caller, link_base))


@router.post("/api/v0/invoice/bulk/delete", summary="Delete Invoice Collection", responses=_BATCH)
async def delete_invoices(
    body: BulkDelete,
    session: Session,
    caller: Caller,
    now: Now,
    link_base: LinkBase,
) -> Response:
    results = await service.delete_invoices(
        session, caller=caller, invoice_ids=body.invoiceIds, now=now
    )
    return ar_answer(_batch_wire(results, caller, link_base))


@router.post(
    "/api/v0/invoice/status-change", summary="Change Invoice Status Request", responses=_INVOICE
)
async def change_status(
    body: StatusChange,
    session: Session,
    caller: Caller,
    now: Now,
    link_base: LinkBase,
) -> Response:
    invoice = await service.change_status(session, caller=caller, data=body, now=now)
    return ar_answer(await _payload(session, caller, invoice, now, link_base))


@lean_get(router, "/api/v0/invoice/{invoiceId}", summary="getInvoice", responses=_INVOICE)
async def get_invoice(invoiceId: str, request: Request) -> Response:
    async with reading(request) as read:
        payload = await service.invoice_payload(
            read.connection,
            seller_id=read.seller_id,
            time_zone=read.time_zone,
            invoice_id=invoiceId,
            now=read.now,
            public_base_url=read.link_base,
        )
    return ar_answer(payload)


@router.patch("/api/v0/invoice/{invoiceId}", summary="updateInvoice", responses=_INVOICE)
async def update_invoice(
    invoiceId: str,
    body: InvoiceUpdate,
    session: Session,
    caller: Caller,
    now: Now,
    link_base: LinkBase,
) -> Response:
    invoice = await service.update_invoice(
        session, caller=caller, invoice_id=invoiceId, data=body, now=now
    )
    return ar_answer(await _payload(session, caller, invoice, now, link_base))


@router.get(
    "/api/v0/invoice/{invoiceId}/history",
    summary="Audit history of an invoice",
    responses=documented(ArEnvelope[list[AuditEntryPayload]]),
)
async def invoice_history(invoiceId: str, session: Session, caller: Caller) -> Response:
    invoice = await service.load_invoice(session, caller, invoiceId)
    entries = await audit.history(
        session, seller_id=caller.seller_id, entity_type=service.ENTITY, entity_id=invoice.id
    )
    return ar_answer([audit.to_wire(entry, caller.seller.time_zone) for entry in entries])


@router.get(
    "/api/v0/invoice/{invoiceId}/pdf",
    summary="The invoice's GST tax invoice as a PDF",
    response_class=Response,
    responses=TAX_INVOICE_PDF,
)
async def invoice_document(invoiceId: str, session: Session, caller: Caller) -> Response:
    pdf = await invoice_pdf(session, caller.seller, invoiceId)
    return download(pdf.content, media_type=PDF_MEDIA_TYPE, file_name=pdf.file_name)
