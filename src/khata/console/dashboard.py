"""The dashboard's figures, from the report services (the same as GET /api/v0/reports/aging
and /dso): outstanding, overdue, the aging buckets, DSO of the last three months, and the
customers most overdue."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from khata.report import rules, service

TOP_OVERDUE = 10


@dataclass(frozen=True)
class Bucket:
    label: str
    paise: int


@dataclass(frozen=True)
class OverdueCustomer:
    customer_id: str
    legal_name: str
    overdue: int
    total: int


@dataclass(frozen=True)
class Dashboard:
    as_of: date
    outstanding: int
    overdue: int
    buckets: list[Bucket]
    dso_start: date
    dso: Decimal | None
    credit_sales: int
    top_overdue: list[OverdueCustomer]


def _three_months_back(today: date) -> date:
    """The first day of the month two months before `today`'s: three calendar months to date."""
    index = today.year * 12 + today.month - 1 - 2
    return date(index // 12, index % 12 + 1, 1)


async def dashboard(session: AsyncSession, *, seller_id: str, today: date) -> Dashboard:
    aging = await service.aging(session, seller_id=seller_id, as_of=today)
    totals = aging.totals
    late = sorted(
        (
            OverdueCustomer(row.customer_id, row.legal_name, row.total - row.amounts[0], row.total)
            for row in aging.rows
            if row.total - row.amounts[0] > 0
        ),
        key=lambda customer: (-customer.overdue, customer.customer_id),
    )
    # DSO of the span, read as GET /api/v0/reports/dso reads its period (the receivable-day
    # ledger on PostgreSQL, not the span's invoices), so both give the same figure
    # (tests/console/test_dashboard.py).
    start = _three_months_back(today)
    span = await service.span_figure(session, seller_id=seller_id, start=start, end=today)
    return Dashboard(
        as_of=today,
        outstanding=sum(totals),
        overdue=sum(totals[1:]),
        buckets=[Bucket(label, paise) for label, paise in zip(aging.labels, totals, strict=True)],
        dso_start=start,
        dso=rules.dso(span.receivables, span.credit_sales, span.span.days),
        credit_sales=span.credit_sales,
        top_overdue=late[:TOP_OVERDUE],
    )
