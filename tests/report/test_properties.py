"""Property tests of the aging: the buckets split every day count into exactly one bucket the
way the SQL does, and for random invoices and payments (on both databases) the aging total is
the sum of the balances of the invoices open on asOf, each in its one bucket."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khata.kit.ids import new_customer_id, new_object_id
from khata.models import Customer, Invoice, Payment, PaymentAllocation
from khata.report import rules, service, views
from tests.support import Database, create_seller

BASE = date(2026, 1, 1)

bucket_lists = st.lists(
    st.integers(min_value=1, max_value=400), min_size=1, max_size=rules.MAX_BUCKETS, unique=True
).map(sorted)


@given(bucket_lists, st.integers(min_value=-500, max_value=1000))
def test_every_day_count_falls_in_exactly_one_bucket_as_the_sql_picks_it(
    buckets: list[int], days: int
) -> None:
    as_of = date(2026, 6, 30)
    aged = as_of - timedelta(days=days)
    floors = rules.bucket_floors(as_of, buckets)
    # Bucket j holds the dates from floors[j] (inclusive) up to floors[j-1] (exclusive).
    holding = [
        j
        for j in range(len(floors) + 1)
        if (j == 0 or aged < floors[j - 1]) and (j == len(floors) or aged >= floors[j])
    ]
    assert holding == [rules.bucket_index(days, buckets)]
    assert len(rules.bucket_labels(buckets)) == len(floors) + 1


@dataclass
class PlannedInvoice:
    invoice_date: date
    due_date: date
    receivable: int
    payments: list[tuple[date, int]] = field(default_factory=list)  # (accepted on, paise)
    closed_on: date | None = None
    deleted: bool = False
    cancelled: bool = False


def _day(offset: int) -> date:
    return BASE + timedelta(days=offset)


@st.composite
def planned_invoices(draw: st.DrawFn) -> PlannedInvoice:
    dated = draw(st.integers(min_value=0, max_value=120))
    receivable = draw(st.integers(min_value=1, max_value=10_000_00))
    planned = PlannedInvoice(_day(dated), _day(dated + draw(st.integers(0, 60))), receivable)
    kind = draw(st.sampled_from(["open", "open", "paid", "closed", "deleted", "cancelled"]))
    planned.deleted, planned.cancelled = kind == "deleted", kind == "cancelled"
    if kind in ("open", "paid", "closed"):
        left = receivable
        for offset in sorted(draw(st.lists(st.integers(0, 200), max_size=3))):
            paise = left if kind == "paid" else draw(st.integers(1, max(1, left)))
            paise = min(paise, left)
            if paise:
                planned.payments.append((_day(offset), paise))
                left -= paise
        if kind == "closed" and left > 0:
            last = max((day for day, _ in planned.payments), default=_day(dated))
            planned.closed_on = last + timedelta(days=draw(st.integers(0, 60)))
    return planned


def _rows(seller_id: str, customer_id: str, planned: PlannedInvoice, now: datetime) -> list[object]:
    invoice_id = new_object_id()
    received = sum(paise for _, paise in planned.payments)
    paid_off = (
        planned.payments[-1][0] if planned.payments and received == planned.receivable else None
    )
    status = "PAID" if paid_off else "PARTIALLY_PAID" if received else "SENT_TO_BUYER"
    if planned.closed_on:
        status = "CLOSED"
    elif planned.cancelled:
        status = "CANCELLED"
    rows: list[object] = [
        Invoice(
            seller_id=seller_id, id=invoice_id, entity_id=int(invoice_id[-8:], 16),
            invoice_number=f"P-{invoice_id}", customer_id=customer_id,
            invoice_date=planned.invoice_date, due_date=planned.due_date,
            base_amount=planned.receivable, cgst=0, sgst=0, igst=0, tds=0, gst_exclusive=True,
            net_amount=planned.receivable, total_received=received,
            balance_amount=planned.receivable - received, receivable_status=status,
            via="API", meta_fields=[], deleted=planned.deleted, version=1,
            closed_on=planned.closed_on,
            first_paid_on=planned.payments[0][0] if planned.payments else None,
            settled_on=planned.closed_on or paid_off, created_at=now, updated_at=now,
        )
    ]  # fmt: skip
    for day, paise in planned.payments:
        payment_id = new_object_id()
        at = datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC)
        rows.append(
            Payment(
                seller_id=seller_id, id=payment_id, payment_ref=f"R-{payment_id}",
                type="OFFPLATFORM", amount=paise, status="ACCEPTED", confirmed_at=at,
                created_at=at, updated_at=at,
            )
        )  # fmt: skip
        rows.append(
            PaymentAllocation(
                seller_id=seller_id, id=new_object_id(), payment_id=payment_id,
                invoice_id=invoice_id, amount=paise, accepted_on=day,
            )
        )  # fmt: skip
    return rows


def _expected(plans: list[PlannedInvoice], as_of: date, buckets: list[int]) -> list[int]:
    """Per bucket: the balance on asOf of each invoice open then, by the rules' bucket."""
    sums = [0] * (len(buckets) + 2)
    for plan in plans:
        if plan.deleted or plan.cancelled or plan.invoice_date > as_of:
            continue
        if plan.closed_on is not None and plan.closed_on <= as_of:
            continue
        balance = plan.receivable - sum(p for day, p in plan.payments if day <= as_of)
        if balance > 0:
            sums[rules.bucket_index((as_of - plan.due_date).days, buckets)] += balance
    return sums


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(planned_invoices(), min_size=1, max_size=12),
    as_of_offset=st.integers(min_value=-5, max_value=260),
    buckets=bucket_lists,
    end_offsets=st.lists(st.integers(min_value=-5, max_value=260), min_size=1, max_size=4),
)
async def test_aging_total_is_the_sum_of_open_balances_on_as_of(
    database: Database,
    plans: list[PlannedInvoice],
    as_of_offset: int,
    buckets: list[int],
    end_offsets: list[int],
) -> None:
    """...and DSO's receivables at any days are those days' aging totals (one seller each)."""
    seller = await create_seller(database)
    now = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)
    customer_id = new_customer_id()
    async with database.session_factory() as session, session.begin():
        session.add(
            Customer(
                seller_id=seller.seller_id, id=customer_id, legal_name="Property Ltd",
                status="ACTIVE", deleted=False, version=1, created_at=now, updated_at=now,
            )
        )  # fmt: skip
        await session.flush()
        for plan in plans:
            for row in _rows(seller.seller_id, customer_id, plan, now):
                session.add(row)
            await session.flush()
    as_of = _day(as_of_offset)
    async with database.session_factory() as session:
        report = await service.aging(
            session,
            seller_id=seller.seller_id,
            as_of=as_of,
            buckets=buckets,
            customer_ids=[customer_id],
        )
        ends = sorted({_day(offset) for offset in end_offsets})
        receivables = await views.receivables_on(session, seller_id=seller.seller_id, ends=ends)
    expected = _expected(plans, as_of, buckets)
    if sum(expected) == 0:
        assert report.rows == []
    else:
        [row] = report.rows
        assert row.amounts == expected
    assert receivables == [sum(_expected(plans, end, buckets)) for end in ends]
