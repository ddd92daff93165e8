"""HTTP of the console's customers: the list (the API's customer search), one customer with
its contacts, reminder rules and open invoices, and its statement downloaded or e-mailed
(the report services of GET /api/v0/customer/{id}/statement and .../statement/send)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from khata.console.web import Console, ConsolePost, ConsoleRoute, notice, page, secured
from khata.customer import service as customer_service
from khata.customer.repository import CustomerFilter
from khata.invoice import search as invoice_search
from khata.invoice.ar_schemas import InvoiceSearch
from khata.invoice.status import ReceivableStatus
from khata.kit.errors import FieldError, ValidationFailed
from khata.kit.timeutil import local_date
from khata.report import rules
from khata.report import service as report_service
from khata.report.wire import CSV_MEDIA_TYPE, csv_bytes, statement_table
from khata.web.answers import PDF_MEDIA_TYPE, download
from khata.web.deps import AppSettings, LinkBase, Now, Session

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50
OPEN_STATUSES = [
    ReceivableStatus.CREATED.value,
    ReceivableStatus.SENT_TO_BUYER.value,
    ReceivableStatus.PAYMENT_INITIATED.value,
    ReceivableStatus.PARTIALLY_PAID.value,
]


@router.get("/console/customers")
async def customers_page(
    request: Request,
    session: Session,
    console: Console,
    name: str = "",
    status: str = "",
    page_number: int = 1,
) -> Response:
    number = max(1, page_number)
    views, total = await customer_service.search_customers(
        session,
        caller=console.caller,
        where=CustomerFilter(
            legal_name=name.strip() or None,
            status=status if status in ("ACTIVE", "INACTIVE") else None,
            deleted=False,
        ),
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
        order_by="legalName",
        descending=False,
    )
    return page(
        request,
        "customers.html.j2",
        nav="customers",
        views=views,
        total=total,
        name=name,
        status_filter=status,
        page_number=number,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


def _period(now: Now, time_zone: str, start: str, end: str) -> tuple[date, date]:
    """The statement's days: `to` defaults to today, `from` to its financial year's start."""
    try:
        last = date.fromisoformat(end) if end else local_date(now, time_zone)
        first = date.fromisoformat(start) if start else rules.financial_year_start(last)
    except ValueError:
        raise ValidationFailed([FieldError("from", "dates are yyyy-mm-dd")]) from None
    return first, last


@router.get("/console/customers/{customer_id}")
async def customer_page(
    customer_id: str,
    request: Request,
    session: Session,
    now: Now,
    console: Console,
    link_base: LinkBase,
    settings: AppSettings,
) -> Response:
    caller = console.caller
    view = await customer_service.get_customer(
        session, seller_id=caller.seller_id, customer_id=customer_id
    )
    found = await invoice_search.search_invoices(
        session,
        seller_id=caller.seller_id,
        time_zone=caller.seller.time_zone,
        filters=InvoiceSearch(receivableStatuses=OPEN_STATUSES, customerIds=[view.customer.id]),
        page=invoice_search.page_of(100, 0, "dueDate", "ASC"),
        secret=settings.cursor_secret,
        now=now,
        public_base_url=link_base,
    )
    first, last = _period(now, caller.seller.time_zone, "", "")
    return page(
        request,
        "customer.html.j2",
        nav="customers",
        view=view,
        invoices=found.invoices,
        total=found.total,
        start=first,
        end=last,
    )


@router.get("/console/customers/{customer_id}/statement")
async def statement_file(
    customer_id: str,
    session: Session,
    now: Now,
    console: Console,
    start: str = "",
    end: str = "",
    format: str = "pdf",
) -> Response:
    seller = console.caller.seller
    first, last = _period(now, seller.time_zone, start, end)
    report = await report_service.statement(
        session, seller_id=seller.id, customer_id=customer_id, start=first, end=last
    )
    if format == "csv":
        headers, rows = statement_table(report)
        name = f"statement_{customer_id}_{first.isoformat()}_{last.isoformat()}.csv"
        return secured(
            download(csv_bytes(headers, rows), media_type=CSV_MEDIA_TYPE, file_name=name)
        )
    file_name, content = await report_service.statement_pdf(seller, report)
    return secured(download(content, media_type=PDF_MEDIA_TYPE, file_name=file_name))


@router.post("/console/customers/{customer_id}/statement/send")
async def send_statement(
    customer_id: str,
    request: Request,
    session: Session,
    now: Now,
    console: ConsolePost,
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
) -> Response:
    first, last = _period(now, console.caller.seller.time_zone, start, end)
    recipients = await report_service.send_statement(
        session, caller=console.caller, customer_id=customer_id, start=first, end=last, now=now
    )
    message = (
        f"The statement from {first.isoformat()} to {last.isoformat()} is queued to "
        + (", ".join(recipients) if recipients else "nobody: no key contact takes e-mail")
        + "."
    )
    return notice(request, "Statement sent", message, status=200)
