"""DSO's figures equal the direct computation over the invoices whatever happens to them: for
random invoices and payments, then random changes (cancelled, deleted, restored, re-dated,
re-priced, closed, re-opened, an allocation removed), the figures DSO reads (on PostgreSQL the
receivable_day ledger its triggers keep, folded now and then) equal receivables and credit
sales summed from the invoices, and the hand model of the rules, on both databases."""

import random
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from khata.kit.ids import new_customer_id
from khata.models import Customer, Invoice, PaymentAllocation
from khata.report import views
from tests.bulk.factories import csv_bytes, invoice_row, upload
from tests.credit.support import credited, write_off
from tests.invoice.ar_factories import confirm, report_payment
from tests.invoice.commerce_factories import bulk
from tests.order.factories import post_order
from tests.report.factories import close, invoice, noon, pay
from tests.report.test_properties import PlannedInvoice, _day, _rows, planned_invoices
from tests.support import (
    PINNED_TODAY,
    Clock,
    Database,
    SellerContext,
    create_customer,
    create_seller,
)

NOW = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)


def _spans(offsets: list[int]) -> list[tuple[date, date]]:
    """Consecutive spans cut at the sorted days of `offsets` (the first from day -10)."""
    days = sorted({_day(offset) for offset in offsets})
    starts = [_day(-10), *(day + timedelta(days=1) for day in days[:-1])]
    return list(zip(starts, days, strict=True))


async def _figures(
    database: Database, seller_id: str, spans: list[tuple[date, date]]
) -> tuple[list[int], list[int]]:
    async with database.session_factory() as session, session.begin():
        read = await views.dso_figures(session, seller_id=seller_id, spans=spans)
        ends = [end for _, end in spans]
        direct = (
            await views.receivables_on(session, seller_id=seller_id, ends=ends),
            await views.credit_sales(
                session, seller_id=seller_id, starts=[s for s, _ in spans], end=ends[-1]
            ),
        )
    assert read == direct
    return read


def _model(
    plans: list[PlannedInvoice], spans: list[tuple[date, date]]
) -> tuple[list[int], list[int]]:
    receivables: list[int] = []
    sales: list[int] = []
    for start, end in spans:
        owed = sold = 0
        for plan in plans:
            if plan.deleted or plan.cancelled or plan.invoice_date > end:
                continue
            if start <= plan.invoice_date:
                sold += plan.receivable
            if plan.closed_on is not None and plan.closed_on <= end:
                continue
            owed += plan.receivable - sum(p for day, p in plan.payments if day <= end)
        receivables.append(owed)
        sales.append(sold)
    return receivables, sales


async def _change_at_random(database: Database, seller_id: str, seed: int) -> None:
    """Writes every kind the write paths make, each its own statement, on random invoices."""
    chance = random.Random(seed)
    async with database.session_factory() as session, session.begin():
        ids = list(
            (await session.scalars(select(Invoice.id).where(Invoice.seller_id == seller_id))).all()
        )
        mine = Invoice.seller_id == seller_id
        for invoice_id in chance.sample(ids, k=min(len(ids), 4)):
            one = (mine, Invoice.id == invoice_id)
            changes: list[dict[str, object]] = [
                {"receivable_status": "CANCELLED"},
                {"receivable_status": "SENT_TO_BUYER", "deleted": False},
                {"deleted": True},
                {"invoice_date": _day(chance.randint(0, 150))},
                {"net_amount": chance.randint(1, 10_000_00), "tds": chance.randint(0, 100)},
                {"settled_on": _day(chance.randint(0, 250)), "receivable_status": "CLOSED"},
                {"settled_on": None, "receivable_status": "PARTIALLY_PAID"},
            ]
            await session.execute(update(Invoice).where(*one).values(chance.choice(changes)))
        allocation = await session.scalar(
            select(PaymentAllocation.id).where(PaymentAllocation.seller_id == seller_id).limit(1)
        )
        if allocation is not None and chance.random() < 0.5:
            await session.execute(
                delete(PaymentAllocation).where(
                    PaymentAllocation.seller_id == seller_id, PaymentAllocation.id == allocation
                )
            )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(planned_invoices(), min_size=1, max_size=10),
    end_offsets=st.lists(st.integers(min_value=-5, max_value=260), min_size=1, max_size=5),
    seed=st.integers(0, 2**32),
)
async def test_dso_figures_equal_the_invoices_through_random_writes(
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    plans: list[PlannedInvoice],
    end_offsets: list[int],
    seed: int,
) -> None:
    # Folding after a few rows: the reads below fold the ledger again and again.
    monkeypatch.setattr(views, "FOLD_DAYS_AT", 3)
    seller = await create_seller(database)
    customer_id = new_customer_id()
    async with database.session_factory() as session, session.begin():
        session.add(
            Customer(
                seller_id=seller.seller_id, id=customer_id, legal_name="Ledger Ltd",
                status="ACTIVE", deleted=False, version=1, created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
        await session.flush()
        for plan in plans:
            for row in _rows(seller.seller_id, customer_id, plan, NOW):
                session.add(row)
            await session.flush()
    spans = _spans(end_offsets)
    assert await _figures(database, seller.seller_id, spans) == _model(plans, spans)
    for step in range(3):
        await _change_at_random(database, seller.seller_id, seed + step)
        await _figures(database, seller.seller_id, spans)


async def test_dso_figures_equal_the_invoices_through_every_write_path(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    """Each write path of the API in turn: AR create, bulk file, invoices from orders, PATCH
    of date and amount, payments (partial, in full, pending, rejected), close, cancel, delete."""
    customer = await create_customer(database, seller.seller_id)
    today = PINNED_TODAY
    spans = [
        (today - timedelta(days=90), today - timedelta(days=61)),
        (today - timedelta(days=60), today - timedelta(days=31)),
        (today - timedelta(days=30), today - timedelta(days=1)),
        (today, today + timedelta(days=40)),
    ]

    async def same() -> list[int]:
        receivables, _ = await _figures(database, seller.seller_id, spans)
        return list(receivables)

    first = await invoice(client, seller, customer, dated=today - timedelta(days=70), amount=500)
    second = await invoice(client, seller, customer, dated=today - timedelta(days=40), amount=700)
    third = await invoice(client, seller, customer, dated=today - timedelta(days=20), amount=900)
    fourth = await invoice(client, seller, customer, dated=today, amount=300, tds=10)
    assert (await same())[-1] == (500 + 700 + 900 + 300 - 10) * 100
    due = (today + timedelta(days=30)).isoformat()
    rows = [
        invoice_row(
            f"BULK-{n}",
            customer,
            invoiceDate=(today - timedelta(days=n * 9)).isoformat(),
            dueDate=due,
        )
        for n in range(6)
    ]
    uploaded = await upload(client, seller.headers, csv_bytes(rows))
    assert uploaded.json()["payload"]["success_count"] == 6, uploaded.text
    order = await post_order(
        client, seller, customer, [{"sku": "A-1", "name": "Widget", "quantity": 2,
                                    "unitPrice": 100, "taxRate": 18}],
    )  # fmt: skip
    assert (await bulk(client, seller, [order["id"]])).status_code == 201
    await same()
    patched = await client.patch(
        f"/api/v0/invoice/{second}",
        json={"invoiceDate": (today - timedelta(days=80)).isoformat(), "baseAmount": 750},
        headers=seller.headers,
    )
    assert patched.status_code == 200, patched.text
    await same()
    await pay(client, seller, clock, [(first, 200)], on=today - timedelta(days=50))
    await pay(client, seller, clock, [(first, 300), (second, 750)], on=today - timedelta(days=25))
    await pay(client, seller, clock, [(third, 100)], on=today - timedelta(days=5), answer="REJECT")
    pending = await report_payment(client, seller, [(third, 400)])
    assert pending.status_code == 200, pending.text
    figures = await same()
    accepted = await confirm(client, seller, pending.json()["payload"]["paymentId"])
    assert accepted.status_code == 200, accepted.text
    assert (await same())[-1] == figures[-1] - 400 * 100
    await close(client, seller, clock, third, on=today - timedelta(days=2))
    await same()
    for status in ("CANCELLED",):
        shown = (await client.get(f"/api/v0/invoice/{fourth}", headers=seller.headers)).json()
        changed = await client.post(
            "/api/v0/invoice/status-change",
            json={
                "invoiceId": fourth,
                "statusTransition": {"currentStatus": "CREATED", "newStatus": status},
                "objectVersion": {"currentVersion": shown["payload"]["version"]},
                "remarks": "raised twice",
            },
            headers=seller.headers,
        )
        assert changed.status_code == 200, changed.text
    await same()
    found = await client.post(
        "/api/v0/invoice/search", json={"createdVia": ["BULK_UPLOAD"]}, headers=seller.headers
    )
    doomed = [i["invoiceId"] for i in found.json()["payload"]["invoices"]][:3]
    deleted = await client.post(
        "/api/v0/invoice/bulk/delete", json={"invoiceIds": doomed}, headers=seller.headers
    )
    assert deleted.json()["payload"]["successCount"] == 3, deleted.text
    await same()
    response = await client.get(
        "/api/v0/reports/dso",
        params={"from": spans[0][0].isoformat(), "to": spans[-1][1].isoformat()},
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["payload"]["period"]["receivables"] * 100 == (await same())[-1]


async def test_dso_figures_equal_the_invoices_through_credit_notes_and_write_offs(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    """A credit note dated back, one that settles its invoice, a partial write-off that a
    later payment settles, and a full write-off: each counted from its own day."""
    customer = await create_customer(database, seller.seller_id)
    today = PINNED_TODAY
    spans = [
        (today - timedelta(days=60), today - timedelta(days=31)),
        (today - timedelta(days=30), today - timedelta(days=11)),
        (today - timedelta(days=10), today),
    ]

    async def receivables() -> list[int]:
        figures, _ = await _figures(database, seller.seller_id, spans)
        return list(figures)

    dated_back = await invoice(
        client, seller, customer, dated=today - timedelta(days=50), amount=1000
    )
    settled = await invoice(client, seller, customer, dated=today - timedelta(days=40), amount=400)
    part = await invoice(client, seller, customer, dated=today - timedelta(days=35), amount=600)
    whole = await invoice(client, seller, customer, dated=today - timedelta(days=20), amount=300)
    assert await receivables() == [2000_00, 2300_00, 2300_00]
    clock.fixed = noon(today - timedelta(days=5))
    await credited(
        client, seller, dated_back, amount=250, date=(today - timedelta(days=25)).isoformat()
    )
    await credited(
        client, seller, settled, amount=400, date=(today - timedelta(days=8)).isoformat()
    )
    clock.fixed = noon(today - timedelta(days=15))
    assert (await write_off(client, seller, part, amount=100)).status_code == 200
    clock.fixed = noon(today - timedelta(days=3))
    assert (await write_off(client, seller, whole)).status_code == 200
    clock.fixed = None
    await pay(client, seller, clock, [(part, 500)], on=today - timedelta(days=2))
    # Last span: 1,000 - 250 credited; the others credited, written off, paid to nothing.
    assert await receivables() == [2000_00, 2300_00 - 250_00 - 100_00, 750_00]


async def test_dso_figures_count_each_partial_write_off_from_its_own_day(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    """Two partial write-offs on different days, then the rest paid: after each step the
    ledger equals the direct sum, and a span ending between them counts only the first."""
    customer = await create_customer(database, seller.seller_id)
    today = PINNED_TODAY
    spans = [
        (today - timedelta(days=60), today - timedelta(days=16)),
        (today - timedelta(days=15), today - timedelta(days=11)),
        (today - timedelta(days=10), today - timedelta(days=6)),
        (today - timedelta(days=5), today),
    ]

    async def receivables() -> list[int]:
        figures, _ = await _figures(database, seller.seller_id, spans)
        return list(figures)

    part = await invoice(client, seller, customer, dated=today - timedelta(days=40), amount=1000)
    assert await receivables() == [1000_00] * 4
    clock.fixed = noon(today - timedelta(days=15))
    assert (await write_off(client, seller, part, amount=200)).status_code == 200
    assert await receivables() == [1000_00, 800_00, 800_00, 800_00]
    clock.fixed = noon(today - timedelta(days=8))
    assert (await write_off(client, seller, part, amount=300)).status_code == 200
    assert await receivables() == [1000_00, 800_00, 500_00, 500_00]
    clock.fixed = None
    await pay(client, seller, clock, [(part, 500)], on=today - timedelta(days=3))
    assert await receivables() == [1000_00, 800_00, 500_00, 0]
