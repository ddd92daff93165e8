"""Invoice search, a read-side query module: one query for the page (customer names and line
items included) and one count, for POST /api/v0/invoice/search.

Shaped for a million invoices per seller (bench/reads.py): the page's keys come from one
index walk in the asked order (every orderBy has an index `(seller_id, <column>, id)` on live
invoices, models/invoice.py), and only those 100 rows are then read whole, joined to their
customer and lines; the count reads the same narrow indexes. Customer filters become a list of
customer ids first (a trigram index finds a name part on PostgreSQL, a LIKE on SQLite's small
customer table does), so neither statement joins the seller's invoices to customers."""

from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession

from khata.db import plan_for_values
from khata.invoice import cursor as cursors
from khata.invoice import repository
from khata.invoice.ar_schemas import InvoiceSearch
from khata.invoice.ar_views import (
    NOT_OVERDUE_STATUSES,
    decode_lines,
    invoice_payload,
    legal_name_column,
    lines_column,
)
from khata.invoice.status import ReceivableStatus
from khata.invoice.validation import amount_paise
from khata.kit.errors import FieldError, ValidationFailed
from khata.kit.pagination import MAX_OFFSET
from khata.kit.timeutil import local_date
from khata.models import Customer, Invoice, InvoiceTally

MAX_LIMIT = 5000
DEFAULT_LIMIT = 100
ORDER_COLUMNS: dict[str, Any] = {
    "createdOn": Invoice.created_at,
    "dueDate": Invoice.due_date,
    "invoiceDate": Invoice.invoice_date,
    "baseAmount": Invoice.base_amount,
    "balanceAmount": Invoice.balance_amount,
    "netAmount": Invoice.net_amount,
    "invoiceNumber": Invoice.invoice_number,
    "entityId": Invoice.entity_id,
    "dispatchedOn": Invoice.dispatched_at,
}
# The orderBy columns that may be NULL (not yet dispatched): the databases put NULLs at
# different ends, so a cursor's "after" is written per dialect for them.
NULLABLE_ORDERS = frozenset({"dispatchedOn"})


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int
    order_by: str
    descending: bool


def page_of(
    limit: int | None, offset: int | None, order_by: str | None, direction: str | None
) -> Page:
    errors: list[FieldError] = []
    limit = DEFAULT_LIMIT if limit is None else limit
    offset = 0 if offset is None else offset
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}", limit))
    if not 0 <= offset <= MAX_OFFSET:
        errors.append(FieldError("offset", f"must be between 0 and {MAX_OFFSET}", offset))
    order_by = order_by or "createdOn"
    if order_by not in ORDER_COLUMNS:
        allowed = ", ".join(ORDER_COLUMNS)
        errors.append(FieldError("orderBy", f"must be one of {allowed}", order_by))
    direction = (direction or "DESC").upper()
    if direction not in ("ASC", "DESC"):
        errors.append(FieldError("direction", "must be ASC or DESC", direction))
    if errors:
        raise ValidationFailed(errors)
    return Page(limit=limit, offset=offset, order_by=order_by, descending=direction == "DESC")


def _start_of(day: date, time_zone: str) -> datetime | None:
    """When the seller's calendar day begins, in UTC. At the ends of the calendar the instant
    falls outside what a datetime holds: None (no lower bound at all) before 0001-01-01 UTC,
    the last representable instant after 9999-12-31 UTC."""
    try:
        return datetime.combine(day, time.min, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)
    except OverflowError:
        return None if day.year == 1 else datetime.max.replace(tzinfo=UTC)


# Table = Invoice or InvoiceTally: the filters on the tally's keys read the same column names.
Table = type[Invoice] | type[InvoiceTally]
# The filters the tally's keys answer; any other filter set and the invoices are counted.
_KEY_FILTERS = frozenset(
    {
        "receivableStatuses",
        "customerIds",
        "customerLegalName",
        "customerDeleted",
        "createdVia",
        "buyerResponseStatuses",
        "dispatched",
        "overdue",
    }
)
# A seller's tally rows are folded into one per key once there are more than this.
FOLD_TALLY_AT = 2000


def _conditions(
    filters: InvoiceSearch, *, seller_id: str, time_zone: str, now: datetime
) -> list[ColumnElement[bool]]:
    errors: list[FieldError] = []
    conditions: list[ColumnElement[bool]] = [
        Invoice.seller_id == seller_id,
        # Written as the live-invoice indexes' predicate, so the planner sees they apply.
        Invoice.deleted == false(),
        *_key_conditions(filters, Invoice, seller_id, errors),
    ]
    conditions += _amount_conditions(filters, errors)
    conditions += _stamp_conditions(filters, time_zone)
    if filters.dueDateFrom is not None:
        conditions.append(Invoice.due_date >= filters.dueDateFrom)
    if filters.dueDateTo is not None:
        conditions.append(Invoice.due_date <= filters.dueDateTo)
    if filters.overdue is not None:
        overdue = and_(Invoice.due_date < local_date(now, time_zone), _open_invoice())
        conditions.append(overdue if filters.overdue else not_(overdue))
    for flag, column in (
        (filters.credited, Invoice.total_credited),
        (filters.writtenOff, Invoice.total_written_off),
    ):
        if flag is not None:
            conditions.append(column > 0 if flag else column == 0)
    if errors:
        raise ValidationFailed(errors)
    return conditions


def _open_invoice() -> ColumnElement[bool]:
    """Something still to collect (the tally's `open`, written by the same rule in SQL)."""
    return and_(Invoice.balance_amount > 0, Invoice.receivable_status.not_in(NOT_OVERDUE_STATUSES))


def _key_conditions(
    filters: InvoiceSearch, table: Table, seller_id: str, errors: list[FieldError]
) -> list[ColumnElement[bool]]:
    """The filters on status, customer, via, dispatch and buyer response, on either table."""
    conditions: list[ColumnElement[bool]] = []
    if filters.receivableStatuses:
        unknown = [s for s in filters.receivableStatuses if s not in set(ReceivableStatus)]
        if unknown:
            errors.append(FieldError("receivableStatuses", "has unknown statuses", unknown))
        conditions.append(table.receivable_status.in_(filters.receivableStatuses))
    if filters.customerIds:
        conditions.append(table.customer_id.in_(filters.customerIds))
    if filters.customerLegalName:
        # autoescape: a "%" or "_" in the name is a character to find, not a wildcard.
        name = filters.customerLegalName.strip().lower()
        named = func.lower(Customer.legal_name).contains(name, autoescape=True)
        conditions.append(_customer_is(table, seller_id, named))
    if filters.customerDeleted is not None:
        deleted = Customer.deleted.is_(filters.customerDeleted)
        conditions.append(_customer_is(table, seller_id, deleted))
    if filters.dispatched is not None:
        conditions.append(table.dispatched.is_(filters.dispatched))
    if filters.createdVia:
        conditions.append(table.via.in_(filters.createdVia))
    if filters.buyerResponseStatuses:
        conditions.append(_buyer_response_condition(table, filters.buyerResponseStatuses))
    return conditions


def _customer_is(
    table: Table, seller_id: str, condition: ColumnElement[bool]
) -> ColumnElement[bool]:
    """Rows of the seller's customers that meet `condition`: the customers are found first
    (a few among a seller's customers), then their invoices through the customer index."""
    return table.customer_id.in_(
        select(Customer.id).where(Customer.seller_id == seller_id, condition)
    )


def _buyer_response_condition(table: Table, statuses: Sequence[str]) -> ColumnElement[bool]:
    """Rows whose buyer answered with one of `statuses`; NONE: not answered."""
    answered = [status for status in statuses if status != "NONE"]
    condition: ColumnElement[bool] = table.buyer_response.in_(answered)
    if "NONE" in statuses:
        condition = or_(condition, table.buyer_response.is_(None))
    return condition


def _amount_conditions(
    filters: InvoiceSearch, errors: list[FieldError]
) -> list[ColumnElement[bool]]:
    """The amount bounds, inclusive; a bound that is not an amount goes to `errors`."""
    conditions: list[ColumnElement[bool]] = []
    for field, column, upper in (
        ("baseAmountFrom", Invoice.base_amount, False),
        ("baseAmountTo", Invoice.base_amount, True),
        ("balanceAmountFrom", Invoice.balance_amount, False),
        ("balanceAmountTo", Invoice.balance_amount, True),
    ):
        paise = amount_paise(field, getattr(filters, field), errors)
        if paise is not None:
            conditions.append(column <= paise if upper else column >= paise)
    return conditions


def _stamp_conditions(filters: InvoiceSearch, time_zone: str) -> list[ColumnElement[bool]]:
    """The creation and dispatch date ranges: the seller's calendar days, inclusive at both
    ends, on timestamps stored in UTC."""
    conditions: list[ColumnElement[bool]] = []
    stamps: tuple[tuple[date | None, date | None, Any], ...] = (
        (filters.createdOnFrom, filters.createdOnTo, Invoice.created_at),
        (filters.dispatchedOnFrom, filters.dispatchedOnTo, Invoice.dispatched_at),
    )
    for start, end, stamp in stamps:
        if start is not None or end is not None:
            # A range asks for invoices that have the date, however wide the range is.
            conditions.append(stamp.is_not(None))
        lower = _start_of(start, time_zone) if start is not None else None
        if lower is not None:
            conditions.append(stamp >= lower)
        # The day after 9999-12-31 does not exist: such an end excludes nothing.
        if end is not None and end < date.max:
            day_after = _start_of(end + timedelta(days=1), time_zone)
            if day_after is not None:
                conditions.append(stamp < day_after)
    return conditions


_LEGAL_NAME = "page_customer_legal_name"
_LINES = "page_line_items"


def _keys(conditions: list[ColumnElement[bool]], page: Page) -> Select[Any]:
    """The page's ids (and orderBy values): one ordered walk of the orderBy column's index."""
    column = ORDER_COLUMNS[page.order_by]
    return (
        select(Invoice.id, column.label("key"))
        .where(*conditions)
        .order_by(*_order(page))
        .limit(page.limit)
        .offset(page.offset)
    )


def _order(page: Page) -> tuple[Any, Any]:
    column = ORDER_COLUMNS[page.order_by]
    return (column.desc(), Invoice.id.desc()) if page.descending else (column, Invoice.id)


def _page_statement(
    conditions: list[ColumnElement[bool]],
    page: Page,
    dialect: str,
    regions: Sequence[ColumnElement[bool]] = (),
) -> Select[Any]:
    """The page: its keys first, from one walk of the orderBy column's index (an index-only
    scan however deep the offset), then those rows whole with customer name and lines.
    `regions`: a cursor page's parts of the order, in walk order (the dispatched and the NULL
    dispatchedOn rows), each walked from its own index range and the page taken from the first
    rows of all; none or one, a single walk."""
    if len(regions) <= 1:
        keys = _keys([*conditions, *regions], page).subquery("page_keys")
    else:
        parts = [
            _keys([*conditions, region], page).subquery(f"part_{n}")
            for n, region in enumerate(regions)
        ]
        joined = union_all(
            *(
                select(part.c.id, part.c.key, literal(n).label("part"))
                for n, part in enumerate(parts)
            )
        ).subquery("parts")
        ranks = (
            (joined.c.key.desc(), joined.c.id.desc())
            if page.descending
            else (joined.c.key, joined.c.id)
        )
        keys = (
            select(joined.c.id)
            .order_by(joined.c.part, *ranks)
            .limit(page.limit)
            .subquery("page_keys")
        )
    # Plain rows, not ORM objects: a page of 5,000 spends a third of its time making and
    # reading instances otherwise. A row has the invoice's attributes by the same names.
    return (
        select(
            *Invoice.__table__.c,
            legal_name_column().label(_LEGAL_NAME),
            lines_column(dialect).label(_LINES),
        )
        .join(keys, keys.c.id == Invoice.id)
        .where(conditions[0])
        .order_by(*_order(page))
    )


def _shorter_walk(page: Page, count: int) -> Page:
    """The page as read from the nearer end: past the middle, the same rows come from walking
    the index the other way (id breaks ties, so the order is total and reverses exactly)."""
    from_end = count - page.offset - page.limit
    if page.offset >= count or from_end >= page.offset:
        return page
    return Page(
        limit=page.limit + min(from_end, 0),
        offset=max(from_end, 0),
        order_by=page.order_by,
        descending=not page.descending,
    )


def _tally_answers(filters: InvoiceSearch) -> bool:
    return all(
        getattr(filters, name) is None
        for name in InvoiceSearch.model_fields
        if name not in _KEY_FILTERS
    )


async def _tally_count(
    session: AsyncSession, filters: InvoiceSearch, *, seller_id: str, today: date
) -> int:
    """The live invoices the key filters match, summed from the tally (a few hundred rows,
    not a million); the seller's rows are folded when they have piled up. Overdue is the open
    ones less those not due yet, which are counted: a due-date range from today on."""
    keys = _key_conditions(filters, InvoiceTally, seller_id, [])
    count: Any = func.coalesce(func.sum(InvoiceTally.live).filter(and_(true(), *keys)), 0)
    if filters.overdue is not None:
        open_ones = func.sum(InvoiceTally.live).filter(and_(InvoiceTally.open.is_(True), *keys))
        not_due = (
            select(func.count())
            .select_from(Invoice)
            .where(
                Invoice.seller_id == seller_id,
                Invoice.deleted == false(),
                Invoice.due_date >= today,
                _open_invoice(),
                *_key_conditions(filters, Invoice, seller_id, []),
            )
            .scalar_subquery()
        )
        overdue = func.coalesce(open_ones, 0) - not_due
        count = overdue if filters.overdue else count - overdue
    total, pieces = (
        await session.execute(
            select(count, func.count()).where(InvoiceTally.seller_id == seller_id)
        )
    ).one()
    if pieces > FOLD_TALLY_AT:
        await repository.fold_invoice_tally(session, seller_id)
    return int(total)


def _beyond(
    page: Page, after: cursors.Cursor, *, descending: bool, dialect: str
) -> list[ColumnElement[bool]]:
    """The rows strictly past `after` in the walk's order, as the parts of the order they lie
    in: a row comparison on the orderBy index's (column, id), where the index walk starts.
    A NULL dispatchedOn sorts last going up on PostgreSQL and first on SQLite (as their index
    walks have it), so past a dispatched row may come the NULLs, and past a NULL the rest."""
    column = ORDER_COLUMNS[page.order_by]
    key, row = tuple_(column, Invoice.id), tuple_(after.value, after.invoice_id)
    past_id = Invoice.id < after.invoice_id if descending else Invoice.id > after.invoice_id
    past: ColumnElement[bool] = key < row if descending else key > row
    if page.order_by not in NULLABLE_ORDERS:
        return [past]
    nulls_last = (dialect == "postgresql") != descending
    if after.value is None:
        nulls_past = and_(column.is_(None), past_id)
        return [nulls_past] if nulls_last else [nulls_past, column.is_not(None)]
    return [past, column.is_(None)] if nulls_last else [past]


@dataclass(frozen=True)
class Found:
    """A search's answer: the page's invoice payloads, the count of all that match, and the
    cursors of the pages just after and just before this one (None at either end)."""

    invoices: list[dict[str, Any]]
    total: int
    next_cursor: str | None
    prev_cursor: str | None


async def _count(
    session: AsyncSession,
    filters: InvoiceSearch,
    conditions: list[ColumnElement[bool]],
    *,
    seller_id: str,
    time_zone: str,
    now: datetime,
) -> int:
    if session.get_bind().dialect.name == "postgresql":
        if _tally_answers(filters):
            today = local_date(now, time_zone)
            return await _tally_count(session, filters, seller_id=seller_id, today=today)
        wide = _wide_range(filters)
        if wide is not None:
            alone, column = wide
            ranged = _conditions(alone, seller_id=seller_id, time_zone=time_zone, now=now)[2:]
            statement = _count_by_outside(
                filters, conditions, ranged, column=column, seller_id=seller_id
            )
            return int((await session.execute(statement)).scalar_one())
    statement = select(func.count()).select_from(Invoice).where(*conditions)
    return int((await session.execute(statement)).scalar_one())


# The range filters a wide range of is counted from the outside: columns never NULL, each with
# a search index, and the key filters that index carries. With other key filters (a customer's
# invoices, say) the walk outside the range would read the heap for every row it passes.
_RANGES: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("createdOnFrom", "createdOnTo", frozenset({"receivableStatuses", "dispatched"})),
    ("dueDateFrom", "dueDateTo", frozenset({"receivableStatuses"})),
    ("baseAmountFrom", "baseAmountTo", frozenset()),
    ("balanceAmountFrom", "balanceAmountTo", frozenset()),
)
# Up to this many invoices in the range, they are counted: a narrow range (a week of due
# dates) costs the walk of its own entries, not of the 100,000 outside it.
INSIDE_AT_MOST = 25_000
# Past this many invoices outside the range, the range itself is counted.
OUTSIDE_AT_MOST = 50_000


def _wide_range(filters: InvoiceSearch) -> tuple[InvoiceSearch, Any] | None:
    """The one range filter of a search whose other filters its index carries, alone, and the
    column it ranges over (an orderBy's, "dueDateFrom" is "dueDate"'s); None for any other
    search."""
    given = {name for name in InvoiceSearch.model_fields if getattr(filters, name) is not None}
    for start, end, carried in _RANGES:
        if given & {start, end} and not given - {start, end} - carried:
            alone = InvoiceSearch.model_validate({start: getattr(filters, start),
                                                  end: getattr(filters, end)})  # fmt: skip
            return alone, ORDER_COLUMNS[start.removesuffix("From")]
    return None


def _count_by_outside(
    filters: InvoiceSearch,
    conditions: list[ColumnElement[bool]],
    ranged: list[ColumnElement[bool]],
    *,
    column: Any,
    seller_id: str,
) -> Select[Any]:
    """One statement counting a range filter with key filters: the invoices in the range, when
    an index walk stopped at INSIDE_AT_MOST finds fewer; else the tally's count of the key
    filters less the invoices outside the range, when those are few (each side of the range
    an index walk stopped at OUTSIDE_AT_MOST); else the invoices in the range, counted.
    PostgreSQL evaluates each of the later subqueries only once its branch is taken. The
    stopped walk goes in `column`'s order, which keeps it on that column's index: unordered,
    the planner may read the table itself until it has found enough rows."""
    keys = _key_conditions(filters, Invoice, seller_id, [])
    live = [Invoice.seller_id == seller_id, Invoice.deleted == false(), *keys]
    sides = [
        select(literal(1)).select_from(Invoice).where(*live, not_(condition)).limit(OUTSIDE_AT_MOST)
        for condition in ranged
    ]
    outside = select(func.count().label("n")).select_from(union_all(*sides).subquery()).subquery()
    tally_keys = _key_conditions(filters, InvoiceTally, seller_id, [])
    tally = (
        select(func.coalesce(func.sum(InvoiceTally.live).filter(and_(true(), *tally_keys)), 0))
        .where(InvoiceTally.seller_id == seller_id)
        .scalar_subquery()
    )
    counted = select(func.count()).select_from(Invoice).where(*conditions).scalar_subquery()
    by_outside = (
        select(case((outside.c.n < OUTSIDE_AT_MOST, tally - outside.c.n), else_=counted))
        .select_from(outside)
        .scalar_subquery()
    )
    first = (
        select(literal(1))
        .select_from(Invoice)
        .where(*conditions)
        .order_by(column)
        .limit(INSIDE_AT_MOST)
    )
    inside = select(func.count().label("n")).select_from(first.subquery()).subquery()
    return select(case((inside.c.n < INSIDE_AT_MOST, inside.c.n), else_=by_outside)).select_from(
        inside
    )


@lru_cache(maxsize=8)
def _row_shape(names: tuple[str, ...]) -> type[tuple[Any, ...]]:
    return namedtuple("InvoicePageRow", names)


def _plain(result: Result[Any]) -> list[Any]:
    """The page's rows as named tuples: the payload reads some 40 attributes of each, which a
    SQLAlchemy Row answers ten times slower (a page of 5,000 is 200,000 reads)."""
    shape: Any = _row_shape(tuple(result.keys()))
    return [shape._make(row) for row in result]


async def _offset_rows(
    session: AsyncSession, conditions: list[ColumnElement[bool]], page: Page, count: int
) -> tuple[list[Any], bool, bool]:
    """The page at an offset, read from the nearer end; and whether rows lie after and before."""
    walk = _shorter_walk(page, count)
    dialect = session.get_bind().dialect.name
    rows = _plain(await session.execute(_page_statement(conditions, walk, dialect)))
    if walk.descending != page.descending:
        rows.reverse()
    return rows, page.offset + len(rows) < count, page.offset > 0


async def _keyset_rows(
    session: AsyncSession,
    conditions: list[ColumnElement[bool]],
    page: Page,
    after: cursors.Cursor,
) -> tuple[list[Any], bool, bool]:
    """The page just past (or, backward, just before) the cursor's row, one more row read to
    tell whether another page follows; and whether rows lie after and before it."""
    dialect = session.get_bind().dialect.name
    descending = page.descending != after.backward
    walk = Page(limit=page.limit + 1, offset=0, order_by=page.order_by, descending=descending)
    regions = _beyond(page, after, descending=descending, dialect=dialect)
    statement = _page_statement(conditions, walk, dialect, regions)
    rows = _plain(await session.execute(statement))
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    if after.backward:
        rows.reverse()
        return rows, bool(rows), more
    return rows, more, bool(rows)


def _cursor_at(row: Any, page: Page, *, backward: bool) -> cursors.Cursor:
    value = getattr(row, ORDER_COLUMNS[page.order_by].key)
    return cursors.Cursor(value=value, invoice_id=row.id, backward=backward)


async def search_invoices(
    session: AsyncSession,
    *,
    seller_id: str,
    time_zone: str,
    filters: InvoiceSearch,
    page: Page,
    cursor: str | None = None,
    secret: str,
    now: datetime,
    public_base_url: str,
) -> Found:
    """The page and the total count: exactly two statements, the count first (it says from
    which end an offset page is nearer). With a cursor, the page is the rows just past it."""
    conditions = _conditions(filters, seller_id=seller_id, time_zone=time_zone, now=now)
    search = cursors.fingerprint(
        seller_id=seller_id, filters=filters, order_by=page.order_by, descending=page.descending
    )
    after = None
    if cursor is not None:
        if page.offset:
            raise ValidationFailed([FieldError("offset", "cannot go with a cursor", page.offset)])
        after = cursors.decode(cursor, search=search, order_by=page.order_by, secret=secret)
    await plan_for_values(session)
    count = await _count(
        session, filters, conditions, seller_id=seller_id, time_zone=time_zone, now=now
    )
    if after is None:
        rows, more_after, more_before = await _offset_rows(session, conditions, page, count)
    else:
        rows, more_after, more_before = await _keyset_rows(session, conditions, page, after)
    payloads = [
        invoice_payload(
            cast(Invoice, row),  # a row of the invoice's columns, read by the same names
            customer_legal_name=getattr(row, _LEGAL_NAME),
            line_items=decode_lines(getattr(row, _LINES)),
            time_zone=time_zone,
            now=now,
            public_base_url=public_base_url,
        )
        for row in rows
    ]
    next_cursor = prev_cursor = None
    if rows and more_after:
        at = _cursor_at(rows[-1], page, backward=False)
        next_cursor = cursors.encode(at, search=search, secret=secret)
    if rows and more_before:
        at = _cursor_at(rows[0], page, backward=True)
        prev_cursor = cursors.encode(at, search=search, secret=secret)
    return Found(payloads, count, next_cursor, prev_cursor)
