"""HTTP endpoints of credit notes and write-offs: the AR dialect's `/api/v0/...` and the
commerce mirror `POST /invoices/{id}/credit-notes`."""

from fastapi import APIRouter
from fastapi.responses import Response

from khata.auth.deps import Caller
from khata.credit import service, views
from khata.credit.document import credit_note_pdf
from khata.credit.schemas import (
    CommerceCreditNotePayload,
    CreditNoteCreate,
    CreditNotePayload,
    WriteOffCreate,
)
from khata.invoice.ar_schemas import InvoicePayload
from khata.invoice.ar_views import one_invoice_payload
from khata.kit.envelopes import ArEnvelope, CommerceEnvelope
from khata.web.answers import (
    AR_ERRORS,
    COMMERCE_ERRORS,
    PDF_MEDIA_TYPE,
    ar_answer,
    commerce_answer,
    documented,
    download,
    file_download,
)
from khata.web.deps import LinkBase, Now, Session

router = APIRouter(tags=["credit notes"], responses=AR_ERRORS)
commerce_router = APIRouter(tags=["commerce"], responses=COMMERCE_ERRORS)
_NOTE = documented(ArEnvelope[CreditNotePayload])
CREDIT_NOTE_PDF = file_download("The GST credit note (CGST Act s. 34), an A4 PDF", PDF_MEDIA_TYPE)


@router.post(
    "/api/v0/invoice/{invoiceId}/credit-note",
    summary="Issue a credit note against an invoice",
    responses=_NOTE,
)
async def create_credit_note(
    invoiceId: str, body: CreditNoteCreate, session: Session, caller: Caller, now: Now
) -> Response:
    issued = await service.create_credit_note(
        session, caller=caller, invoice_id=invoiceId, data=body, now=now
    )
    (payload,) = await views.ar_payloads(session, [issued.note], time_zone=caller.seller.time_zone)
    return ar_answer(payload)


@router.get(
    "/api/v0/invoice/{invoiceId}/credit-notes",
    summary="The credit notes of an invoice, oldest first",
    responses=documented(ArEnvelope[list[CreditNotePayload]]),
)
async def list_credit_notes(invoiceId: str, session: Session, caller: Caller) -> Response:
    notes = await service.credit_notes_of(session, caller, invoiceId)
    return ar_answer(await views.ar_payloads(session, notes, time_zone=caller.seller.time_zone))


@router.get("/api/v0/credit-note/{creditNoteId}", summary="One credit note", responses=_NOTE)
async def get_credit_note(creditNoteId: str, session: Session, caller: Caller) -> Response:
    note = await service.load_credit_note(session, caller, creditNoteId)
    (payload,) = await views.ar_payloads(session, [note], time_zone=caller.seller.time_zone)
    return ar_answer(payload)


@router.get(
    "/api/v0/credit-note/{creditNoteId}/pdf",
    summary="The GST credit note as a PDF",
    response_class=Response,
    responses=CREDIT_NOTE_PDF,
)
async def credit_note_document(creditNoteId: str, session: Session, caller: Caller) -> Response:
    pdf = await credit_note_pdf(session, caller, creditNoteId)
    return download(pdf.content, media_type=PDF_MEDIA_TYPE, file_name=pdf.file_name)


@router.post(
    "/api/v0/invoice/{invoiceId}/write-off",
    summary="Write off an invoice's balance (or part of it) as bad debt",
    responses=documented(ArEnvelope[InvoicePayload]),
)
async def write_off(
    invoiceId: str,
    body: WriteOffCreate,
    session: Session,
    caller: Caller,
    now: Now,
    link_base: LinkBase,
) -> Response:
    invoice = await service.write_off(
        session, caller=caller, invoice_id=invoiceId, data=body, now=now
    )
    payload = await one_invoice_payload(
        session, invoice, time_zone=caller.seller.time_zone, now=now, public_base_url=link_base
    )
    return ar_answer(payload)


@commerce_router.post(
    "/invoices/{invoice_id}/credit-notes",
    status_code=201,
    summary="Issue a credit note against an invoice",
    responses=documented(CommerceEnvelope[CommerceCreditNotePayload], 201),
)
async def create_commerce_credit_note(
    invoice_id: str, body: CreditNoteCreate, session: Session, caller: Caller, now: Now
) -> Response:
    issued = await service.create_credit_note(
        session, caller=caller, invoice_id=invoice_id, data=body, now=now
    )
    data = await views.commerce_payload(session, issued.note)
    return commerce_answer(data, "Credit note created successfully", status_code=201)
