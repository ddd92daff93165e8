"""Which change writes which event, with the AR payload of its object as data, in the change's
own transaction: a rollback leaves no event. invoice.overdue once per invoice, the day after its
due date, however many schedulers run; bulk files tell one bulk_job.completed."""

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from khata.auth.service import Caller
from khata.config import Settings
from khata.invoice import service as invoice_service
from khata.invoice.ar_schemas import InvoiceCreate
from khata.models import Principal, Seller, WebhookDelivery, WebhookEvent
from khata.reminder.scheduler import schedule_due_work
from tests.bulk.factories import csv_bytes, invoice_row, upload
from tests.buyer.support import answer, dispatched_invoice
from tests.invoice.ar_factories import (
    confirm,
    create_invoice,
    dispatch,
    get_invoice,
    invoice_body,
    report_payment,
)
from tests.invoice.commerce_factories import bulk
from tests.order.factories import post_order
from tests.support import Clock, Database, SellerContext, create_customer
from tests.webhook.receiver import Receiver
from tests.webhook.support import T0, create_endpoint, deliver


async def _events(database: Database, seller_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The seller's events in the order written: (type, data)."""
    async with database.session_factory() as session:
        rows = await session.execute(
            select(WebhookEvent.type, WebhookEvent.body)
            .where(WebhookEvent.seller_id == seller_id)
            .order_by(WebhookEvent.created_at, WebhookEvent.id)
        )
        return [(event_type, json.loads(body)["data"]) for event_type, body in rows]


async def _types(database: Database, seller_id: str) -> list[str]:
    return [event_type for event_type, _ in await _events(database, seller_id)]


async def test_invoice_life_writes_its_events_with_the_payload_after_each_change(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    clock.fixed = T0
    await create_endpoint(client, seller, receiver)
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    invoice_id = invoice["invoiceId"]
    await dispatch(client, seller, invoice_id)
    first = await report_payment(client, seller, [(invoice_id, 500)], payment_id="PAY-A")
    assert (await confirm(client, seller, "PAY-A")).status_code == 200
    await report_payment(client, seller, [(invoice_id, 100)], payment_id="PAY-R")
    assert (await confirm(client, seller, "PAY-R", "REJECT")).status_code == 200
    await report_payment(client, seller, [(invoice_id, 680)], payment_id="PAY-B")
    await confirm(client, seller, "PAY-B")

    events = await _events(database, seller.seller_id)
    assert [t for t, _ in events] == [
        "invoice.created",
        "invoice.dispatched",
        "payment.reported",
        "payment.accepted",
        "invoice.partially_paid",
        "payment.reported",
        "payment.rejected",
        "payment.reported",
        "payment.accepted",
        "invoice.paid",
    ]
    by_type = {t: data for t, data in events}
    assert events[0][1]["version"] == 1 and events[0][1]["dispatched"] is False
    assert by_type["invoice.dispatched"]["dispatched"] is True
    assert events[4][1]["balanceAmount"] == 680 and events[4][1]["totalReceived"] == 500
    paid = await get_invoice(client, seller, invoice_id)
    assert {k: v for k, v in by_type["invoice.paid"].items() if k != "paymentLink"} == {
        k: v for k, v in paid.items() if k != "paymentLink"
    }
    payment = first.json()["payload"]
    assert events[2][1]["paymentId"] == payment["paymentId"] == "PAY-A"
    assert events[2][1]["status"] == "PENDING_CONFIRMATION"
    assert events[3][1]["status"] == "ACCEPTED" and events[6][1]["status"] == "REJECTED"

    await deliver(database, T0)
    assert sorted(r.body["type"] for r in receiver.received) == sorted(t for t, _ in events)
    assert all(r.valid for r in receiver.received)


async def test_cancel_and_the_buyers_dispute_and_acceptance_are_told(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, receiver: Receiver
) -> None:
    await create_endpoint(
        client, seller, receiver, ["invoice.cancelled", "invoice.disputed", "invoice.accepted"]
    )
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    assert (await answer(client, linked, "DISPUTE", "wrong rate")).status_code == 303
    assert (await answer(client, linked, "ACCEPT")).status_code == 303
    invoice = await get_invoice(client, seller, linked.invoice_id)
    body = {
        "invoiceId": linked.invoice_id,
        "statusTransition": {
            "currentStatus": invoice["receivableStatus"]["name"],
            "newStatus": "CANCELLED",
        },
        "objectVersion": {"currentVersion": invoice["version"]},
        "remarks": "order withdrawn",
    }
    changed = await client.post("/api/v0/invoice/status-change", json=body, headers=seller.headers)
    assert changed.status_code == 200, changed.text

    events = await _events(database, seller.seller_id)
    assert [t for t, _ in events] == ["invoice.disputed", "invoice.accepted", "invoice.cancelled"]
    assert events[0][1]["buyerResponse"]["status"] == "DISPUTED"
    assert events[0][1]["buyerResponse"]["reason"] == "wrong rate"
    assert events[2][1]["receivableStatus"]["name"] == "CANCELLED"


async def test_a_seller_without_endpoints_stores_no_events(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    await create_invoice(client, seller, customer_id)
    assert await _types(database, seller.seller_id) == []


async def _caller(database: Database, seller: SellerContext) -> Caller:
    async with database.session_factory() as session:
        the_seller = await session.get(Seller, seller.seller_id)
        principal = await session.get(Principal, (seller.seller_id, seller.principal_id))
        assert the_seller is not None and principal is not None
        return Caller(seller=the_seller, principal=principal)


async def test_a_rolled_back_change_leaves_no_event_and_a_committed_one_leaves_one(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, receiver: Receiver
) -> None:
    await create_endpoint(client, seller, receiver)
    customer_id = await create_customer(database, seller.seller_id)
    caller = await _caller(database, seller)
    settings = Settings(database_url=database.url)

    async def create(number: str) -> None:
        data = InvoiceCreate.model_validate(invoice_body(customer_id, invoiceNumber=number))
        async with database.session_factory() as session, session.begin():
            await invoice_service.create_invoice(
                session, caller=caller, data=data, now=T0, settings=settings
            )
            written = await session.scalar(
                select(func.count()).where(WebhookEvent.seller_id == seller.seller_id)
            )
            assert written == 1  # inside the transaction, the event is there
            if number == "ROLLED-BACK":
                raise LookupError("a later step of the same request fails")

    with pytest.raises(LookupError):
        await create("ROLLED-BACK")
    assert await _types(database, seller.seller_id) == []
    async with database.session_factory() as session:
        deliveries = select(func.count()).where(WebhookDelivery.seller_id == seller.seller_id)
        assert await session.scalar(deliveries) == 0
    await create("COMMITTED")
    assert await _types(database, seller.seller_id) == ["invoice.created"]


async def test_a_request_refused_after_its_event_was_written_leaves_none(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, receiver: Receiver
) -> None:
    """Over HTTP: a create refused (a duplicate invoice number) writes no event."""
    await create_endpoint(client, seller, receiver)
    customer_id = await create_customer(database, seller.seller_id)
    made = await create_invoice(client, seller, customer_id)
    again = await client.post(
        "/api/v0/invoice",
        json=invoice_body(customer_id, invoiceNumber=made["invoiceNumber"]),
        headers=seller.headers,
    )
    assert again.status_code >= 400
    assert await _types(database, seller.seller_id) == ["invoice.created"]


async def test_overdue_is_told_once_the_day_after_the_due_date(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, receiver: Receiver
) -> None:
    await create_endpoint(client, seller, receiver, ["invoice.overdue"])
    customer_id = await create_customer(database, seller.seller_id)
    due = await create_invoice(client, seller, customer_id, dueDate="2026-11-20")
    await create_invoice(client, seller, customer_id, dueDate="2026-11-21")  # due today
    await create_invoice(client, seller, customer_id, dueDate="2026-11-01")  # long ago
    async with database.session_factory() as session, session.begin():
        await schedule_due_work(session, now=T0)  # 2026-11-21 12:00 IST
    events = await _events(database, seller.seller_id)
    assert [(t, d["invoiceId"]) for t, d in events] == [("invoice.overdue", due["invoiceId"])]
    assert events[0][1]["overdue"] is True

    for hours in (1, 2, 30):
        async with database.session_factory() as session, session.begin():
            await schedule_due_work(session, now=T0 + timedelta(hours=hours))
    types = await _events(database, seller.seller_id)
    # The next day the one due on the 21st is told; the first never again.
    assert [d["dueDate"] for _, d in types] == ["2026-11-20", "2026-11-21"]


async def test_two_schedulers_at_once_tell_overdue_once(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, receiver: Receiver
) -> None:
    await create_endpoint(client, seller, receiver, ["invoice.overdue"])
    customer_id = await create_customer(database, seller.seller_id)
    for _ in range(5):
        await create_invoice(client, seller, customer_id, dueDate="2026-11-19")

    async def scheduler() -> None:
        async with database.session_factory() as session, session.begin():
            await schedule_due_work(session, now=T0)

    await asyncio.gather(scheduler(), scheduler())
    assert await _types(database, seller.seller_id) == ["invoice.overdue"] * 5


async def test_a_bulk_file_is_told_by_one_bulk_job_completed(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, receiver: Receiver
) -> None:
    await create_endpoint(client, seller, receiver)
    customer = await create_customer(database, seller.seller_id)
    rows = [invoice_row(f"BULK-{n}", customer) for n in range(3)]
    response = await upload(client, seller.headers, csv_bytes(rows), "march.csv")
    assert response.status_code == 200, response.text

    events = await _events(database, seller.seller_id)
    assert [t for t, _ in events] == ["bulk_job.completed"]
    data = events[0][1]
    answered = response.json()["payload"]
    assert data["jobId"] == answered["jobId"] and data["success_count"] == 3
    assert {k: v for k, v in data.items() if not k.endswith("_url")} == {
        k: v for k, v in answered.items() if not k.endswith("_url")
    }


async def test_invoices_made_from_orders_are_each_told_as_created(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, receiver: Receiver
) -> None:
    """POST /invoices/bulk (the integrator's order system): one invoice.created per invoice,
    its data the AR payload."""
    await create_endpoint(client, seller, receiver, ["invoice.created"])
    customer_id = await create_customer(database, seller.seller_id)
    orders = [(await post_order(client, seller, customer_id))["id"] for _ in range(2)]
    made = await bulk(client, seller, orders)
    assert made.status_code in (200, 201), made.text

    events = await _events(database, seller.seller_id)
    assert [t for t, _ in events] == ["invoice.created"] * 2
    for _, data in events:
        shown = await get_invoice(client, seller, data["invoiceId"])
        assert data == shown and len(data["lineItems"]) == 3
