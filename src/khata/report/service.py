"""Reports: aging as of a day, DSO over intervals, a customer's statement and its e-mail.

Money is summed in integer paise; every date comes in as an argument.
"""

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from khata.auth.service import Caller
from khata.customer import repository as customer_repository
from khata.customer.errors import CustomerNotFound
from khata.delivery import outbox
from khata.document.statement import (
    Statement,
    StatementEntry,
    render_statement_pdf,
    statement_file_name,
)
from khata.invoice.document import recipient_of, supplier_of
from khata.kit.ids import new_object_id
from khata.models import Customer, Seller
from khata.models.delivery import DeliveryKind
from khata.report import rules, views
from khata.report.errors import bad_parameter
from khata.report.rules import AgingBasis, Interval


@dataclass(frozen=True)
class AgingRow:
    customer_id: str
    legal_name: str
    amounts: list[int]  # per bucket, paise

    @property
    def total(self) -> int:
        return sum(self.amounts)


@dataclass(frozen=True)
class Aging:
    as_of: date
    basis: AgingBasis
    labels: list[str]
    rows: list[AgingRow]

    @property
    def totals(self) -> list[int]:
        return [sum(row.amounts[i] for row in self.rows) for i in range(len(self.labels))]


def parse_buckets(text: str | None) -> tuple[int, ...]:
    """`30,60,90` -> (30, 60, 90); refused with the reason when unusable."""
    if text is None or not text.strip():
        return rules.DEFAULT_BUCKETS
    try:
        bounds = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise bad_parameter(
            "buckets", "must be whole days separated by commas, e.g. 30,60,90", text
        ) from None
    problem = rules.bucket_problem(bounds)
    if problem is not None:
        raise bad_parameter("buckets", problem, text)
    return bounds


async def aging(
    session: AsyncSession,
    *,
    seller_id: str,
    as_of: date,
    basis: AgingBasis = AgingBasis.DUE_DATE,
    buckets: Sequence[int] = rules.DEFAULT_BUCKETS,
    customer_ids: Sequence[str] | None = None,
) -> Aging:
    """One row per customer that owed money at the end of `as_of`, largest total first."""
    labels = rules.bucket_labels(buckets)
    sums = await views.open_balances(
        session,
        seller_id=seller_id,
        as_of=as_of,
        floors=rules.bucket_floors(as_of, buckets),
        basis=basis,
        customer_ids=customer_ids,
    )
    amounts: dict[str, list[int]] = {}
    for item in sums:
        amounts.setdefault(item.customer_id, [0] * len(labels))[item.bucket] += item.paise
    owing = {customer: row for customer, row in amounts.items() if sum(row) != 0}
    names = await customer_repository.legal_names_by_ids(session, seller_id, owing)
    rows = [AgingRow(customer, names.get(customer, ""), row) for customer, row in owing.items()]
    rows.sort(key=lambda row: (-row.total, row.customer_id))
    return Aging(as_of=as_of, basis=basis, labels=labels, rows=rows)


@dataclass(frozen=True)
class DsoFigure:
    span: rules.Span
    receivables: int
    credit_sales: int


async def span_figure(
    session: AsyncSession, *, seller_id: str, start: date, end: date
) -> DsoFigure:
    """Receivables at the end of start..end and its credit sales: GET /api/v0/reports/dso's
    `period` figure of that span, from the same reader."""
    [owed], [sold] = await views.dso_figures(session, seller_id=seller_id, spans=[(start, end)])
    return DsoFigure(rules.Span(start, end), owed, sold)


@dataclass(frozen=True)
class Dso:
    start: date
    end: date
    intervals: list[DsoFigure]
    period: DsoFigure


async def dso(
    session: AsyncSession, *, seller_id: str, start: date, end: date, interval: Interval
) -> Dso:
    """Receivables at each interval's end, credit sales in it, and their DSO; and the same for
    the whole period (receivables at its end, all its sales, all its days)."""
    if start > end:
        raise bad_parameter("from", "must not be after to", start.isoformat())
    if rules.interval_count(start, end, interval) > rules.MAX_INTERVALS:
        raise bad_parameter("to", f"at most {rules.MAX_INTERVALS} intervals", end.isoformat())
    spans = rules.intervals(start, end, interval)
    receivables, sales = await views.dso_figures(
        session, seller_id=seller_id, spans=[(span.start, span.end) for span in spans]
    )
    figures = [
        DsoFigure(span, owed, sold)
        for span, owed, sold in zip(spans, receivables, sales, strict=True)
    ]
    period = DsoFigure(rules.Span(start, end), receivables[-1], sum(sales))
    return Dso(start=start, end=end, intervals=figures, period=period)


@dataclass(slots=True)  # not frozen: its running balance is filled in place (thousands a year)
class StatementLine:
    day: date
    kind: str  # INVOICE | PAYMENT | CREDIT_NOTE | WRITE_OFF | CLOSED
    reference: str
    invoice_id: str | None
    payment_id: str | None
    debit: int
    credit: int
    balance: int = 0


@dataclass(frozen=True)
class CustomerStatement:
    customer: Customer
    start: date
    end: date
    opening: int
    lines: list[StatementLine]
    aging: Aging

    @property
    def closing(self) -> int:
        return self.lines[-1].balance if self.lines else self.opening


# Within a day: invoices before the money that settles them.
_KIND_ORDER = {"INVOICE": 0, "PAYMENT": 1, "CREDIT_NOTE": 2, "WRITE_OFF": 3, "CLOSED": 4}


async def statement(
    session: AsyncSession, *, seller_id: str, customer_id: str, start: date, end: date
) -> CustomerStatement:
    """Opening balance (owed at the end of the day before `start`), each invoice, accepted
    payment and closing that counts in start..end in date order with the running balance, and
    the aging as of `end`. Nothing counts for an invoice before its invoice date, so a payment
    accepted (or a closing) before it is dated on the invoice date."""
    if start > end:
        raise bad_parameter("from", "must not be after to", start.isoformat())
    customer = await customer_repository.get_customer(session, seller_id, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    before = await aging(
        session, seller_id=seller_id, as_of=start - timedelta(days=1), customer_ids=[customer_id]
    )
    lines = await _statement_lines(session, seller_id, customer_id, start, end)
    opening = sum(row.total for row in before.rows)
    balance = opening
    for line in lines:
        balance += line.debit - line.credit
        line.balance = balance
    at_end = await aging(session, seller_id=seller_id, as_of=end, customer_ids=[customer_id])
    return CustomerStatement(customer, start, end, opening, lines, at_end)


async def _statement_lines(
    session: AsyncSession, seller_id: str, customer_id: str, start: date, end: date
) -> list[StatementLine]:
    lines: list[StatementLine] = []
    invoices = await views.statement_invoices(
        session, seller_id=seller_id, customer_id=customer_id, start=start, end=end
    )
    payments = await views.statement_payments(
        session, seller_id=seller_id, customer_id=customer_id, start=start, end=end
    )
    for invoice in invoices:
        if invoice.invoice_date >= start:
            lines.append(
                StatementLine(
                    invoice.invoice_date,
                    "INVOICE",
                    invoice.invoice_number,
                    invoice.id,
                    None,
                    invoice.receivable,
                    0,
                )
            )
        if invoice.closed_on is not None and invoice.balance > 0:
            closed = max(invoice.closed_on, invoice.invoice_date)
            if start <= closed <= end:
                lines.append(
                    StatementLine(
                        closed,
                        "CLOSED",
                        invoice.invoice_number,
                        invoice.id,
                        None,
                        0,
                        invoice.balance,
                    )
                )
    for paid in payments:
        day = max(paid.accepted_on, paid.invoice_date)
        if start <= day <= end:
            lines.append(
                StatementLine(
                    day,
                    "PAYMENT",
                    paid.payment_ref,
                    paid.invoice_id,
                    paid.payment_ref,
                    0,
                    paid.amount,
                )
            )
    lines += await _reductions(session, seller_id, customer_id, start, end)
    lines.sort(key=lambda line: (line.day, _KIND_ORDER[line.kind], line.reference))
    return lines


async def _reductions(
    session: AsyncSession,
    seller_id: str,
    customer_id: str,
    start: date,
    end: date,
) -> list[StatementLine]:
    """Credit notes dated in the period and write-offs made in it, each a credit."""
    credits = await views.statement_credits(
        session, seller_id=seller_id, customer_id=customer_id, start=start, end=end
    )
    lines = [
        StatementLine(
            note.credit_date,
            "CREDIT_NOTE",
            note.credit_note_number,
            note.invoice_id,
            None,
            0,
            note.amount,
        )
        for note in credits
    ]
    write_offs = await views.statement_write_offs(
        session, seller_id=seller_id, customer_id=customer_id, start=start, end=end
    )
    lines += [
        StatementLine(
            written.written_off_on,
            "WRITE_OFF",
            written.invoice_number,
            written.invoice_id,
            None,
            0,
            written.amount,
        )
        for written in write_offs
    ]
    return lines


def statement_document(seller: Seller, report: CustomerStatement) -> Statement:
    """The statement as khata.document renders it, in the tax invoice's look."""
    return Statement(
        supplier=supplier_of(seller),
        recipient=recipient_of(report.customer),
        start=report.start,
        end=report.end,
        opening=report.opening,
        entries=tuple(
            StatementEntry(
                day=line.day,
                kind=line.kind,
                reference=line.reference,
                debit=line.debit,
                credit=line.credit,
                balance=line.balance,
            )
            for line in report.lines
        ),
        closing=report.closing,
        aging=tuple(
            zip(
                report.aging.labels,
                report.aging.rows[0].amounts
                if report.aging.rows
                else [0] * len(report.aging.labels),
                strict=True,
            )
        ),
    )


async def statement_pdf(seller: Seller, report: CustomerStatement) -> tuple[str, bytes]:
    doc = statement_document(seller, report)
    # Tens of milliseconds of CPU: in a thread, so other requests are not held up meanwhile.
    content = await asyncio.to_thread(render_statement_pdf, doc)
    return statement_file_name(report.customer.legal_name, report.start, report.end), content


async def send_statement(
    session: AsyncSession,
    *,
    caller: Caller,
    customer_id: str,
    start: date,
    end: date,
    now: datetime,
) -> list[str]:
    """Queue the statement PDF by e-mail to each of the customer's mail-enabled key contacts;
    answers their addresses. Each request queues its own messages once (a repeat of the same
    request with its Idempotency-Key replays the answer, queueing nothing)."""
    report = await statement(
        session, seller_id=caller.seller_id, customer_id=customer_id, start=start, end=end
    )
    contacts = await customer_repository.active_contacts(session, caller.seller_id, customer_id)
    file_name, content = await statement_pdf(caller.seller, report)
    request_id = new_object_id(now.timestamp())
    subject = (
        f"Statement of account from {caller.seller.legal_name}: "
        f"{start.isoformat()} to {end.isoformat()}"
    )
    body = (
        f"Dear {report.customer.legal_name},\n\nPlease find attached your statement of account "
        f"from {start.isoformat()} to {end.isoformat()}.\n\n{caller.seller.legal_name}\n"
    )
    attachment = {
        "fileName": file_name,
        "mediaType": "application/pdf",
        "base64": base64.b64encode(content).decode("ascii"),
    }
    messages = [
        outbox.OutgoingMessage(
            kind=DeliveryKind.STATEMENT.value,
            channel=outbox.EMAIL,
            recipient=contact.email,
            dedupe_key=f"statement:{customer_id}:{request_id}:{contact.id}",
            invoice_ids=[],
            customer_id=customer_id,
            key_contact_id=contact.id,
            subject=subject,
            body=body,
            context={"attachment": attachment},
        )
        for contact in contacts
        if contact.mail_enabled and contact.email
    ]
    await outbox.queue(session, seller_id=caller.seller_id, messages=messages, now=now)
    return [message.recipient for message in messages]
