"""AR dialect report endpoints: aging, DSO, and a customer's statement (read and e-mailed)."""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from khata.auth.deps import Caller
from khata.kit.envelopes import ArEnvelope
from khata.kit.timeutil import local_date
from khata.report import rules, service
from khata.report.rules import AgingBasis, Interval
from khata.report.schemas import (
    AgingPayload,
    DsoPayload,
    StatementPayload,
    StatementSend,
    StatementSentPayload,
)
from khata.report.wire import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    aging_payload,
    aging_table,
    csv_bytes,
    dso_payload,
    statement_payload,
    statement_table,
    xlsx_bytes,
)
from khata.web.answers import AR_ERRORS, PDF_MEDIA_TYPE, ar_answer, documented, download
from khata.web.deps import Now, Session

router = APIRouter(tags=["reports"], responses=AR_ERRORS)


def _with_downloads(
    model: type[BaseModel], description: str, *media_types: str
) -> dict[int | str, dict[str, Any]]:
    """JSON by default; `format=` picks a download of the same columns instead."""
    answer = documented(model)
    binary = {"schema": {"type": "string", "format": "binary"}}
    answer[200]["content"] = {
        "application/json": {},
        **dict.fromkeys((m.split(";")[0] for m in media_types), binary),
    }
    answer[200]["description"] = description
    return answer


def _customer_ids(values: list[str] | None) -> list[str] | None:
    """Repeated and/or comma separated ids, in one list (None: every customer)."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@router.get(
    "/api/v0/reports/aging",
    summary="Aging: what each customer owed as of a day, by days past due",
    responses=_with_downloads(
        ArEnvelope[AgingPayload],
        "JSON, or the same columns as CSV / XLSX",
        CSV_MEDIA_TYPE,
        XLSX_MEDIA_TYPE,
    ),
)
async def aging(
    session: Session,
    caller: Caller,
    now: Now,
    as_of: Annotated[date | None, Query(alias="asOf")] = None,
    basis: AgingBasis = AgingBasis.DUE_DATE,
    buckets: str | None = None,
    customer_ids: Annotated[list[str] | None, Query(alias="customerIds")] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    day = as_of or local_date(now, caller.seller.time_zone)
    report = await service.aging(
        session,
        seller_id=caller.seller_id,
        as_of=day,
        basis=basis,
        buckets=service.parse_buckets(buckets),
        customer_ids=_customer_ids(customer_ids),
    )
    if format == "json":
        return ar_answer(aging_payload(report))
    headers, rows = aging_table(report)
    name = f"aging_{day.isoformat()}.{format}"
    if format == "csv":
        return download(csv_bytes(headers, rows), media_type=CSV_MEDIA_TYPE, file_name=name)
    content = xlsx_bytes("aging", headers, rows)
    return download(content, media_type=XLSX_MEDIA_TYPE, file_name=name)


@router.get(
    "/api/v0/reports/dso",
    summary="Days sales outstanding per month (or quarter) and for the whole period",
    responses=documented(ArEnvelope[DsoPayload]),
)
async def dso(
    session: Session,
    caller: Caller,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    interval: Interval = Interval.MONTH,
) -> Response:
    report = await service.dso(
        session, seller_id=caller.seller_id, start=start, end=end, interval=interval
    )
    return ar_answer(dso_payload(report, interval.value))


@router.get(
    "/api/v0/customer/{customerId}/statement",
    summary="A customer's statement of account: opening, entries, closing, aging",
    responses=_with_downloads(
        ArEnvelope[StatementPayload], "JSON, or as CSV / PDF", CSV_MEDIA_TYPE, PDF_MEDIA_TYPE
    ),
)
async def statement(
    customerId: str,
    session: Session,
    caller: Caller,
    now: Now,
    start: Annotated[
        date | None, Query(alias="from", description="Default: 1 April of `to`'s financial year")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="Default: today")] = None,
    format: Literal["json", "csv", "pdf"] = "json",
) -> Response:
    end = end or local_date(now, caller.seller.time_zone)
    start = start or rules.financial_year_start(end)
    report = await service.statement(
        session, seller_id=caller.seller_id, customer_id=customerId, start=start, end=end
    )
    if format == "json":
        return ar_answer(statement_payload(report))
    if format == "pdf":
        file_name, content = await service.statement_pdf(caller.seller, report)
        return download(content, media_type=PDF_MEDIA_TYPE, file_name=file_name)
    headers, rows = statement_table(report)
    name = f"statement_{customerId}_{start.isoformat()}_{end.isoformat()}.csv"
    return download(csv_bytes(headers, rows), media_type=CSV_MEDIA_TYPE, file_name=name)


@router.post(
    "/api/v0/customer/{customerId}/statement/send",
    summary="E-mail the statement PDF to the customer's mail-enabled key contacts",
    responses=documented(ArEnvelope[StatementSentPayload]),
)
async def send_statement(
    customerId: str, body: StatementSend, session: Session, caller: Caller, now: Now
) -> Response:
    recipients = await service.send_statement(
        session, caller=caller, customer_id=customerId, start=body.from_, end=body.to, now=now
    )
    return ar_answer(
        {
            "customerId": customerId,
            "from": body.from_.isoformat(),
            "to": body.to.isoformat(),
            "recipients": recipients,
        },
        f"Statement queued to {len(recipients)} recipient(s)",
    )
