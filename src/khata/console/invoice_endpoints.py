"""HTTP of the console's invoices: the search page, its CSV export, select-and-dispatch, and
one invoice's page (document, PDF, payments, deliveries, history, status change). Every
action is the API's service call: search_invoices, dispatch_invoices, change_status."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from khata.audit import service as audit
from khata.console.filters import ORDERS, PAGE_SIZE, STATUSES, SearchForm, read_form, search_of
from khata.console.web import Console, ConsolePost, ConsoleRoute, notice, page, redirect, secured
from khata.delivery import service as delivery_service
from khata.document import html as document_html
from khata.invoice import search as invoice_search
from khata.invoice import service as invoice_service
from khata.invoice.ar_schemas import StatusChange
from khata.invoice.document import invoice_pdf, load_tax_invoice
from khata.invoice.status import LABELS, REQUESTABLE_TRANSITIONS
from khata.kit.errors import FieldError, ValidationFailed
from khata.payment import service as payment_service
from khata.report.wire import CSV_MEDIA_TYPE, csv_bytes
from khata.web.answers import PDF_MEDIA_TYPE, download
from khata.web.deps import AppSettings, LinkBase, Now, Session

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
# The export reads the filtered list in the search's largest pages, up to this many rows.
EXPORT_PAGE = invoice_search.MAX_LIMIT
EXPORT_MAX = 100_000
_CSV_COLUMNS = (
    "invoiceNumber",
    "invoiceId",
    "customerId",
    "customerLegalName",
    "invoiceDate",
    "dueDate",
    "netAmount",
    "totalReceived",
    "balanceAmount",
    "receivableStatus",
    "overdue",
    "dispatched",
    "buyerResponse",
)


def _form(request: Request) -> SearchForm:
    params = request.query_params
    return read_form({key: params.getlist(key) for key in params})


async def _search(
    session: Session,
    console: Console,
    now: Now,
    link_base: str,
    form: SearchForm,
    *,
    secret: str,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    caller = console.caller
    order = form.values.get("order") or None
    direction = form.values.get("direction") or None
    found = await invoice_search.search_invoices(
        session,
        seller_id=caller.seller_id,
        time_zone=caller.seller.time_zone,
        filters=search_of(form),
        page=invoice_search.page_of(limit, offset, order, direction),
        secret=secret,
        now=now,
        public_base_url=link_base,
    )
    return found.invoices, found.total


@router.get("/console/invoices")
async def invoices_page(
    request: Request,
    session: Session,
    now: Now,
    console: Console,
    link_base: LinkBase,
    settings: AppSettings,
) -> Response:
    form = _form(request)
    offset = (form.page - 1) * PAGE_SIZE
    try:
        found, total = await _search(
            session,
            console,
            now,
            link_base,
            form,
            secret=settings.cursor_secret,
            limit=PAGE_SIZE,
            offset=offset,
        )
        problem, status = "", 200
    except ValidationFailed as exc:
        found, total, problem, status = [], 0, exc.message, 400
    return page(
        request,
        "invoices.html.j2",
        nav="invoices",
        status=status,
        form=form,
        invoices=found,
        total=total,
        first=offset + 1,
        pages=max(1, -(-total // PAGE_SIZE)),
        statuses=STATUSES,
        orders=ORDERS,
        problem=problem,
    )


def _csv_row(invoice: dict[str, Any]) -> list[Any]:
    answer = invoice.get("buyerResponse") or {}
    cells = {
        **invoice,
        "receivableStatus": invoice["receivableStatus"]["name"],
        "buyerResponse": answer.get("status", ""),
    }
    return [cells.get(column) if cells.get(column) is not None else "" for column in _CSV_COLUMNS]


@router.get("/console/invoices.csv")
async def invoices_csv(
    request: Request,
    session: Session,
    now: Now,
    console: Console,
    link_base: LinkBase,
    settings: AppSettings,
) -> Response:
    """The filtered list (every page of it, up to EXPORT_MAX rows) in the search's order."""
    form = _form(request)
    rows: list[list[Any]] = []
    total = EXPORT_PAGE
    while len(rows) < min(total, EXPORT_MAX):
        found, total = await _search(
            session,
            console,
            now,
            link_base,
            form,
            secret=settings.cursor_secret,
            limit=EXPORT_PAGE,
            offset=len(rows),
        )
        if not found:
            break
        rows.extend(_csv_row(invoice) for invoice in found)
    body = csv_bytes(_CSV_COLUMNS, rows[:EXPORT_MAX])
    return secured(download(body, media_type=CSV_MEDIA_TYPE, file_name="invoices.csv"))


@router.post("/console/invoices/dispatch")
async def dispatch(
    request: Request, session: Session, now: Now, settings: AppSettings, console: ConsolePost
) -> Response:
    chosen = [str(v) for v in (await request.form()).getlist("invoice")]
    if not chosen:
        return notice(request, "Nothing dispatched", "Select at least one invoice.", status=400)
    if len(chosen) > 1000:
        return notice(request, "Nothing dispatched", "Dispatch at most 1,000 at once.", status=400)
    results = await invoice_service.dispatch_invoices(
        session,
        caller=console.caller,
        invoice_ids=chosen,
        partial_payment_allowed=None,
        now=now,
        settings=settings,
    )
    return page(request, "dispatched.html.j2", nav="invoices", results=results)


@router.get("/console/invoices/{invoice_id}")
async def invoice_page(
    invoice_id: str,
    request: Request,
    session: Session,
    now: Now,
    console: Console,
    link_base: LinkBase,
) -> Response:
    caller = console.caller
    time_zone = caller.seller.time_zone
    payload = await invoice_service.invoice_payload(
        session,
        seller_id=caller.seller_id,
        time_zone=time_zone,
        invoice_id=invoice_id,
        now=now,
        public_base_url=link_base,
    )
    invoice = await invoice_service.load_invoice(session, caller, invoice_id)
    doc = await load_tax_invoice(session, caller.seller, invoice)
    payments = await payment_service.payments_of_invoice(
        session, caller=caller, invoice_id=invoice.id
    )
    deliveries = await delivery_service.deliveries_of_invoice(
        session, seller_id=caller.seller_id, invoice_id=invoice.id
    )
    history = await audit.history(
        session,
        seller_id=caller.seller_id,
        entity_type=invoice_service.ENTITY,
        entity_id=invoice.id,
    )
    return page(
        request,
        "invoice.html.j2",
        nav="invoices",
        invoice=payload,
        doc=doc,
        no_payment=document_html.Payment(upi_uri=None, qr_svg=None),
        payments=payments,
        deliveries=[delivery_service.delivery_wire(d, time_zone) for d in deliveries],
        history=[audit.to_wire(entry, time_zone) for entry in reversed(history)],
        transitions=[
            (name, LABELS[name])
            for name in sorted(REQUESTABLE_TRANSITIONS.get(invoice.receivable_status, ()))
        ],
    )


@router.get("/console/invoices/{invoice_id}/pdf")
async def invoice_document(invoice_id: str, session: Session, console: Console) -> Response:
    pdf = await invoice_pdf(session, console.caller.seller, invoice_id)
    return secured(download(pdf.content, media_type=PDF_MEDIA_TYPE, file_name=pdf.file_name))


@router.post("/console/invoices/{invoice_id}/status")
async def change_status(
    invoice_id: str,
    request: Request,
    session: Session,
    now: Now,
    console: ConsolePost,
    current_status: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    new_status: Annotated[str, Form()] = "",
    remarks: Annotated[str, Form()] = "",
) -> Response:
    """The API's optimistic change: refused when the invoice changed since the page was read."""
    try:
        change = StatusChange.model_validate(
            {
                "invoiceId": invoice_id,
                "statusTransition": {"currentStatus": current_status, "newStatus": new_status},
                "objectVersion": {"currentVersion": version},
                "remarks": remarks.strip() or None,
            }
        )
    except ValidationError as exc:
        problems = [FieldError(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
        raise ValidationFailed(problems) from None
    await invoice_service.change_status(session, caller=console.caller, data=change, now=now)
    return redirect(request, f"/console/invoices/{invoice_id}")
