"""The dashboard's figures, from the report services (the same as GET /api/v0/reports/aging
and /dso): outstanding, overdue, the aging buckets, DSO of the last three months, and the
customers most overdue."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from khata.report import rules, service
from khata.report.rules import Interval

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
class MonthDso:
    start: date
    end: date
    dso: Decimal | None


@dataclass(frozen=True)
class Dashboard:
    as_of: date
    outstanding: int
    overdue: int
    buckets: list[Bucket]
    dso_start: date
    dso: Decimal | None
    months: list[MonthDso]
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
    start = _three_months_back(today)
    figures = await service.dso(
        session, seller_id=seller_id, start=start, end=today, interval=Interval.MONTH
    )
    months = [
        MonthDso(f.span.start, f.span.end, rules.dso(f.receivables, f.credit_sales, f.span.days))
        for f in figures.intervals
    ]
    period = figures.period
    return Dashboard(
        as_of=today,
        outstanding=sum(totals),
        overdue=sum(totals[1:]),
        buckets=[Bucket(label, paise) for label, paise in zip(aging.labels, totals, strict=True)],
        dso_start=start,
        dso=rules.dso(period.receivables, period.credit_sales, period.span.days),
        months=months,
        top_overdue=late[:TOP_OVERDUE],
    )
