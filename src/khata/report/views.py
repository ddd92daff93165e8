"""Read-side queries of the reports over the invoice, payment and payment_allocation tables.

A read-side module: the tables stay owned by their domains and nothing here writes.

An invoice counts on a day D when it is neither deleted nor cancelled, its invoice date is on
or before D and it had not stopped being open by D (settled_on, the day it was paid in full or
closed, is after D or unset); what it owes on D is its receivable less the allocations accepted
on or before D. Every figure is summed in SQL over the report indexes (models/invoice.py).
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Date,
    Select,
    String,
    Subquery,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from khata.invoice import repository as invoice_repository
from khata.kit.sql import one_of_named
from khata.models import (
    CreditNote,
    Invoice,
    Payment,
    PaymentAllocation,
    ReceivableDay,
    WriteOff,
)
from khata.models.invoice import ReceivableStatus
from khata.report.rules import AgingBasis


def _day(day: date | BindParameter[date]) -> ColumnElement[date]:
    """A date written into the statement: each day gets its own plan, as the rows on either side
    of it differ by orders of magnitude (a generic plan would guess one shape for all). A named
    parameter (a statement built once, `_day_parameter`) is written in at each execution."""
    if isinstance(day, BindParameter):
        return day
    return literal(day, Date, literal_execute=True)


def _day_parameter(name: str) -> BindParameter[date]:
    return bindparam(name, type_=Date, literal_execute=True)


def _counted(seller_id: str | BindParameter[str]) -> list[ColumnElement[bool]]:
    """The seller's invoices a report may count at all (the report indexes' own condition)."""
    return [
        Invoice.seller_id == seller_id,
        Invoice.deleted == false(),
        # Inline, not a parameter: only a constant lets PostgreSQL use the partial indexes.
        Invoice.receivable_status
        != literal(ReceivableStatus.CANCELLED.value, literal_execute=True),
    ]


def _open_branches(
    seller_id: str | BindParameter[str],
    *,
    dated_by: date | BindParameter[date],
    open_after: date | BindParameter[date],
) -> list[list[ColumnElement[bool]]]:
    """The invoices dated by `dated_by` and still open after `open_after`, as two reads: those
    still open today (settled_on unset, ix_invoice_report_open) and those settled later (a range
    of ix_invoice_report_settled). PostgreSQL reads `settled_on IS NULL OR settled_on > x` as a
    scan of every row."""
    dated = [*_counted(seller_id), Invoice.invoice_date <= _day(dated_by)]
    return [
        [*dated, Invoice.settled_on.is_(None)],
        [*dated, Invoice.settled_on > _day(open_after)],
    ]


def _union(
    columns: Sequence[Any], branches: list[list[ColumnElement[bool]]], *more: Any
) -> Subquery:
    return union_all(*[select(*columns).where(*branch, *more) for branch in branches]).subquery()


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _report_plans(session: AsyncSession) -> None:
    """PostgreSQL planner settings for this transaction's report statements (SET LOCAL, so one
    call covers every statement after it in the transaction):
    - plans made for the values (db.plan_for_values says why);
    - no JIT: compiling these large aggregates costs seconds, more than running them;
    - no parallel workers: each branch of the aging reads tens of thousands of index entries,
      too few to pay for starting a Gather's workers once per branch, and the workers take the
      cores the server's own requests need."""
    if _is_postgresql(session):
        await session.execute(
            text(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                "set_config('jit', 'off', true), "
                "set_config('max_parallel_workers_per_gather', '0', true)"
            )
        )


def _paise(total: ColumnElement[Any]) -> ColumnElement[int]:
    """A sum of paise as bigint, 0 for none (PostgreSQL sums bigints as numeric), so the sums
    over it stay bigint arithmetic."""
    return cast(func.coalesce(total, 0), BigInteger)


def _received_by(as_of: date | BindParameter[date]) -> ColumnElement[Any]:
    """What an invoice had received by the end of `as_of`: its allocations accepted by then."""
    return (
        select(_paise(func.sum(PaymentAllocation.amount)))
        .where(
            PaymentAllocation.seller_id == Invoice.seller_id,
            PaymentAllocation.invoice_id == Invoice.id,
            PaymentAllocation.accepted_on <= _day(as_of),
        )
        .scalar_subquery()
    )


@dataclass(frozen=True)
class BucketSum:
    customer_id: str
    bucket: int
    paise: int


def _bucket_conditions(
    aged: Any, floors: Sequence[BindParameter[date]]
) -> list[ColumnElement[bool]]:
    """Whether `aged` falls in each bucket of rules.bucket_floors (descending floors: bucket 0
    from the first floor on, the last before the last floor)."""
    if not floors:
        return [true()]
    conditions: list[ColumnElement[bool]] = [aged >= floors[0]]
    conditions += [and_(aged >= floors[i], aged < floors[i - 1]) for i in range(1, len(floors))]
    return [*conditions, aged < floors[-1]]


def _per_customer(
    buckets: list[ColumnElement[bool]],
    amount: ColumnElement[Any],
    *where: Any,
    rows: Any = None,
) -> Select[*tuple[Any, ...]]:
    """`amount` summed per customer, one column per bucket; of the invoices' `rows` (credit
    notes, write-offs: seller_id, invoice_id) when given, as PostgreSQL then reads those few
    and looks their invoices up, instead of every open invoice to find the few with any."""
    sums = [func.sum(amount).filter(bucket).label(f"b{i}") for i, bucket in enumerate(buckets)]
    query = select(Invoice.customer_id.label("customer"), *sums)
    if rows is not None:
        query = query.select_from(rows).join(
            Invoice, and_(Invoice.seller_id == rows.seller_id, Invoice.id == rows.invoice_id)
        )
    return query.where(*where).group_by(Invoice.customer_id)


async def open_balances(
    session: AsyncSession,
    *,
    seller_id: str,
    as_of: date,
    floors: Sequence[date],
    basis: AgingBasis,
    customer_ids: Sequence[str] | None = None,
) -> list[BucketSum]:
    """What each customer owed at the end of `as_of`, per aging bucket (rules.bucket_floors),
    in one statement (`_open_balances_statement`)."""
    dialect = session.get_bind().dialect.name
    statement = _open_balances_statement(dialect, basis, len(floors), customer_ids is not None)
    parameters: dict[str, Any] = {"seller_id": seller_id, "as_of": as_of}
    parameters |= {f"floor{index}": floor for index, floor in enumerate(floors)}
    if customer_ids is not None:
        parameters["customer_ids"] = list(dict.fromkeys(customer_ids))
    await _report_plans(session)
    result = await session.execute(statement, parameters)
    return [
        BucketSum(customer, index, int(paise))
        for customer, *amounts in result
        for index, paise in enumerate(amounts)
        if paise
    ]


@functools.cache
def _open_balances_statement(
    dialect: str, basis: AgingBasis, floor_count: int, by_customer: bool
) -> Select[*tuple[Any, ...]]:
    """The aging's statement, built once per shape (building it took longer than running it):
    the receivable of every open invoice (index columns only, so PostgreSQL may split the scan
    over parallel workers), less what the few invoices paid in steps had received and what
    credit notes and write-offs had taken by then. Grouped per customer with a sum per bucket:
    PostgreSQL guesses (customer, bucket) groups from the distinct due dates (80,000 at a
    million invoices, for 1,000) and then sorts every open invoice to group them."""
    aged = Invoice.due_date if basis is AgingBasis.DUE_DATE else Invoice.invoice_date
    floors = [_day_parameter(f"floor{index}") for index in range(floor_count)]
    buckets = _bucket_conditions(aged, floors)
    wanted = [one_of_named(dialect, Invoice.customer_id, "customer_ids")] if by_customer else []
    as_of = _day_parameter("as_of")
    seller_id = bindparam("seller_id", type_=String)
    parts: list[Select[*tuple[Any, ...]]] = []
    for branch in _open_branches(seller_id, dated_by=as_of, open_after=as_of):
        where = [*branch, *wanted]
        parts += [
            _per_customer(buckets, Invoice.net_amount - Invoice.tds, *where),
            # ix_invoice_report_stepped's condition, so only that small index is read.
            _per_customer(
                buckets,
                -_received_by(as_of),
                *where,
                Invoice.first_paid_on.is_not(None),
                or_(Invoice.settled_on.is_(None), Invoice.first_paid_on < Invoice.settled_on),
                Invoice.first_paid_on <= as_of,
            ),
            _per_customer(
                buckets,
                -CreditNote.amount,
                *where,
                CreditNote.credit_date <= as_of,
                rows=CreditNote,
            ),
            _per_customer(
                buckets, -WriteOff.amount, *where, WriteOff.written_off_on <= as_of, rows=WriteOff
            ),
        ]
    rows = union_all(*parts).subquery()
    columns = [func.coalesce(func.sum(rows.c[f"b{i}"]), 0) for i in range(len(buckets))]
    return select(rows.c.customer, *columns).group_by(rows.c.customer)


def _first_end_on_or_after(column: Any, ends: Sequence[date]) -> ColumnElement[Any]:
    """The index of the first of the ascending `ends` on or after `column`'s date (len(ends)
    when after them all)."""
    return case(
        *[(column <= _day(end), literal(index)) for index, end in enumerate(ends)],
        else_=literal(len(ends)),
    )


async def receivables_on(
    session: AsyncSession, *, seller_id: str, ends: Sequence[date]
) -> list[int]:
    """The seller's total receivables at the end of each of the ascending days `ends`, in two
    grouped queries whatever their number. An invoice is open at ends[k] for k from the first
    end on or after its invoice date up to (not including) the first end on or after the day it
    stopped being open; an allocation takes its amount off the ends on or after its acceptance
    within that range. Only invoices paid in more than one step (or partly, then closed) need
    their allocations: one that a single payment settled was open in full until that day."""
    count = len(ends)
    opens = _first_end_on_or_after(Invoice.invoice_date, ends)
    stops = case(
        (Invoice.settled_on.is_(None), literal(count)),
        else_=_first_end_on_or_after(Invoice.settled_on, ends),
    )
    branches = _open_branches(seller_id, dated_by=ends[-1], open_after=ends[0])
    totals = [0] * count
    owing = _union(
        [
            opens.label("opens"),
            stops.label("stops"),
            (Invoice.net_amount - Invoice.tds).label("owed"),
        ],
        branches,
    )
    await _report_plans(session)
    owed = await session.execute(
        select(owing.c.opens, owing.c.stops, func.sum(owing.c.owed)).group_by(
            owing.c.opens, owing.c.stops
        )
    )
    for first, stop, paise in owed:
        for index in range(int(first), int(stop)):
            totals[index] += int(paise)
    for query in (
        _paid_in_steps(branches, ends, lateral=_is_postgresql(session)),
        _credited_in_steps(branches, ends),
    ):
        for first, stop, taken, paise in await session.execute(query):
            for index in range(max(int(first), int(taken)), int(stop)):
                totals[index] -= int(paise)
    return totals


def _credited_in_steps(
    branches: list[list[ColumnElement[bool]]], ends: Sequence[date]
) -> Select[int, int, int, int]:
    """Credit notes and write-offs by the (opens, stops, dated) end indexes of the invoices
    that have any (few), as `_paid_in_steps` gives allocations."""
    count = len(ends)
    opens = _first_end_on_or_after(Invoice.invoice_date, ends)
    stops = case(
        (Invoice.settled_on.is_(None), literal(count)),
        else_=_first_end_on_or_after(Invoice.settled_on, ends),
    )
    last = _day(ends[-1])
    joined = and_(
        CreditNote.seller_id == Invoice.seller_id,
        CreditNote.invoice_id == Invoice.id,
        CreditNote.credit_date <= last,
    )
    written_off = and_(
        WriteOff.seller_id == Invoice.seller_id,
        WriteOff.invoice_id == Invoice.id,
        WriteOff.written_off_on <= last,
    )
    credits = [
        select(
            opens.label("opens"),
            stops.label("stops"),
            _first_end_on_or_after(CreditNote.credit_date, ends).label("dated"),
            CreditNote.amount.label("amount"),
        )
        .select_from(Invoice)
        .join(CreditNote, joined)
        .where(*branch, Invoice.total_credited > 0)
        for branch in branches
    ]
    write_offs = [
        select(
            opens.label("opens"),
            stops.label("stops"),
            _first_end_on_or_after(WriteOff.written_off_on, ends).label("dated"),
            WriteOff.amount.label("amount"),
        )
        .select_from(Invoice)
        .join(WriteOff, written_off)
        .where(*branch, Invoice.total_written_off > 0)
        for branch in branches
    ]
    taken = union_all(*credits, *write_offs).subquery()
    return select(taken.c.opens, taken.c.stops, taken.c.dated, func.sum(taken.c.amount)).group_by(
        taken.c.opens, taken.c.stops, taken.c.dated
    )


def _paid_in_steps(
    branches: list[list[ColumnElement[bool]]], ends: Sequence[date], *, lateral: bool
) -> Select[int, int, int, int]:
    """Allocations by the (opens, stops, accepted) end indexes of invoices paid in more than
    one step, or partly and then closed; accepted by the last end. With `lateral` (PostgreSQL)
    each such invoice's allocations are read from ix_payment_allocation_report: a hash join
    would read every allocation of the seller for the few hundred thousand invoices that
    qualify by far fewer rows."""
    count = len(ends)
    opens = _first_end_on_or_after(Invoice.invoice_date, ends)
    stops = case(
        (Invoice.settled_on.is_(None), literal(count)),
        else_=_first_end_on_or_after(Invoice.settled_on, ends),
    )
    last = _day(ends[-1])
    if lateral:
        allocations: Any = (
            select(PaymentAllocation.accepted_on, PaymentAllocation.amount)
            .where(
                PaymentAllocation.seller_id == Invoice.seller_id,
                PaymentAllocation.invoice_id == Invoice.id,
                PaymentAllocation.accepted_on <= last,
            )
            # OFFSET 0 keeps PostgreSQL from flattening the lateral into that hash join.
            .offset(0)
            .lateral()
        )
        joined: ColumnElement[bool] = true()
    else:
        allocations = PaymentAllocation.__table__
        joined = and_(
            allocations.c.seller_id == Invoice.seller_id,
            allocations.c.invoice_id == Invoice.id,
            allocations.c.accepted_on <= last,
        )
    selects = [
        select(
            opens.label("opens"),
            stops.label("stops"),
            _first_end_on_or_after(allocations.c.accepted_on, ends).label("accepted"),
            allocations.c.amount.label("amount"),
        )
        .select_from(Invoice)
        .join(allocations, joined)
        .where(
            *branch,
            # ix_invoice_report_stepped's own condition, so PostgreSQL reads only that index.
            Invoice.first_paid_on.is_not(None),
            or_(Invoice.settled_on.is_(None), Invoice.first_paid_on < Invoice.settled_on),
            Invoice.first_paid_on <= last,
        )
        for branch in branches
    ]
    paid = union_all(*selects).subquery()
    return select(paid.c.opens, paid.c.stops, paid.c.accepted, func.sum(paid.c.amount)).group_by(
        paid.c.opens, paid.c.stops, paid.c.accepted
    )


async def credit_sales(
    session: AsyncSession, *, seller_id: str, starts: Sequence[date], end: date
) -> list[int]:
    """Net amount of the invoices dated in each interval: starts[i] up to the next start (the
    last up to `end`)."""
    interval = case(
        *[
            (Invoice.invoice_date >= _day(start), literal(index))
            for index, start in reversed(list(enumerate(starts)))
        ],
        else_=literal(-1),
    )
    await _report_plans(session)
    result = await session.execute(
        select(interval, func.sum(Invoice.net_amount))
        .where(*_counted(seller_id), Invoice.invoice_date.between(_day(starts[0]), _day(end)))
        .group_by(interval)
    )
    sums = [0] * len(starts)
    for index, paise in result:
        sums[int(index)] = int(paise)
    return sums


# A seller's ledger rows are folded into one per day once there are more than this.
FOLD_DAYS_AT = 5000


async def dso_figures(
    session: AsyncSession, *, seller_id: str, spans: Sequence[tuple[date, date]]
) -> tuple[list[int], list[int]]:
    """DSO's figures, the one place they are read: receivables at the end of each span and
    credit sales in it. On PostgreSQL from the receivable_day ledger its triggers keep (a row
    per day, not the invoices open at some end); elsewhere from the invoices themselves, by
    the same definition (receivables_on, credit_sales), which the tests hold the ledger to."""
    ends = [end for _, end in spans]
    if not _is_postgresql(session):
        receivables = await receivables_on(session, seller_id=seller_id, ends=ends)
        starts = [start for start, _ in spans]
        sales = await credit_sales(session, seller_id=seller_id, starts=starts, end=ends[-1])
        return receivables, sales
    # One row: each span's figures summed by PostgreSQL, not the ledger's days sent over.
    day, owed, sold = ReceivableDay.day, ReceivableDay.owed, ReceivableDay.sales
    sums = [
        figure
        for start, end in spans
        for figure in (
            func.sum(owed).filter(day <= end),
            func.sum(sold).filter(day.between(start, end)),
        )
    ]
    statement = select(func.count(), *sums).where(
        ReceivableDay.seller_id == seller_id, ReceivableDay.day <= ends[-1]
    )
    pieces, *sums_found = (await session.execute(statement)).one()
    if pieces > FOLD_DAYS_AT:
        await invoice_repository.fold_receivable_days(session, seller_id)
    figures = [int(figure or 0) for figure in sums_found]
    return figures[0::2], figures[1::2]


@dataclass(frozen=True)
class StatementInvoice:
    id: str
    invoice_number: str
    invoice_date: date
    receivable: int
    closed_on: date | None
    balance: int  # now; a closed invoice's balance is what its closing took away


@dataclass(frozen=True)
class StatementPayment:
    payment_id: str
    payment_ref: str
    invoice_id: str
    invoice_number: str
    invoice_date: date
    accepted_on: date
    amount: int


async def statement_invoices(
    session: AsyncSession, *, seller_id: str, customer_id: str, start: date, end: date
) -> list[StatementInvoice]:
    """The customer's counted invoices dated start..end, or closed in it."""
    result = await session.execute(
        select(
            Invoice.id,
            Invoice.invoice_number,
            Invoice.invoice_date,
            Invoice.net_amount - Invoice.tds,
            Invoice.closed_on,
            Invoice.balance_amount,
        ).where(
            *_counted(seller_id),
            Invoice.customer_id == customer_id,
            Invoice.invoice_date <= end,
            or_(
                Invoice.invoice_date >= start,
                and_(Invoice.closed_on.is_not(None), Invoice.closed_on >= start),
            ),
        )
    )
    return [StatementInvoice(*row) for row in result]


@dataclass(frozen=True)
class StatementCredit:
    credit_note_number: str
    invoice_id: str
    credit_date: date
    amount: int


async def statement_credits(
    session: AsyncSession, *, seller_id: str, customer_id: str, start: date, end: date
) -> list[StatementCredit]:
    """Credit notes on the customer's counted invoices dated start..end."""
    result = await session.execute(
        select(
            CreditNote.credit_note_number,
            CreditNote.invoice_id,
            CreditNote.credit_date,
            CreditNote.amount,
        )
        .join(
            Invoice,
            and_(Invoice.seller_id == CreditNote.seller_id, Invoice.id == CreditNote.invoice_id),
        )
        .where(
            *_counted(seller_id),
            Invoice.customer_id == customer_id,
            CreditNote.credit_date.between(start, end),
        )
    )
    return [StatementCredit(*row) for row in result]


@dataclass(frozen=True)
class StatementWriteOff:
    invoice_number: str
    invoice_id: str
    written_off_on: date
    amount: int


async def statement_write_offs(
    session: AsyncSession, *, seller_id: str, customer_id: str, start: date, end: date
) -> list[StatementWriteOff]:
    """Write-offs on the customer's counted invoices made start..end, each on its own day."""
    result = await session.execute(
        select(
            Invoice.invoice_number, WriteOff.invoice_id, WriteOff.written_off_on, WriteOff.amount
        )
        .join(
            Invoice,
            and_(Invoice.seller_id == WriteOff.seller_id, Invoice.id == WriteOff.invoice_id),
        )
        .where(
            *_counted(seller_id),
            Invoice.customer_id == customer_id,
            Invoice.invoice_date <= end,
            WriteOff.written_off_on.between(start, end),
        )
    )
    return [StatementWriteOff(*row) for row in result]


async def statement_payments(
    session: AsyncSession, *, seller_id: str, customer_id: str, start: date, end: date
) -> list[StatementPayment]:
    """Allocations to the customer's invoices that count start..end: accepted by `end`, on
    invoices dated by `end`, and accepted or dated on or after `start`."""
    result = await session.execute(
        select(
            Payment.id,
            Payment.payment_ref,
            Invoice.id,
            Invoice.invoice_number,
            Invoice.invoice_date,
            PaymentAllocation.accepted_on,
            PaymentAllocation.amount,
        )
        .join(
            Invoice,
            and_(
                Invoice.seller_id == PaymentAllocation.seller_id,
                Invoice.id == PaymentAllocation.invoice_id,
            ),
        )
        .join(
            Payment,
            and_(
                Payment.seller_id == PaymentAllocation.seller_id,
                Payment.id == PaymentAllocation.payment_id,
            ),
        )
        .where(
            *_counted(seller_id),
            Invoice.customer_id == customer_id,
            Invoice.invoice_date <= end,
            # Only invoices with money accepted by `end` and not settled before `start` (unless
            # dated in the period) have allocations here: no index probe for the others.
            Invoice.first_paid_on <= end,
            or_(
                Invoice.settled_on.is_(None),
                Invoice.settled_on >= start,
                Invoice.invoice_date >= start,
            ),
            PaymentAllocation.accepted_on <= end,
            or_(PaymentAllocation.accepted_on >= start, Invoice.invoice_date >= start),
        )
    )
    return [
        StatementPayment(payment, ref, invoice, number, dated, accepted, amount)
        for payment, ref, invoice, number, dated, accepted, amount in result
        if accepted is not None
    ]
