"""The buyer's answer to an invoice (ACCEPT, or DISPUTE with a reason): kept on the invoice,
shown in the AR payload and its history, searchable, and a dispute stops the reminders until
the seller changes the invoice's status or the buyer accepts."""

from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from khata.delivery.repository import is_still_due
from khata.models import Customer, DeliveryInvoice, Invoice
from khata.reminder.scheduler import schedule_reminders
from tests.buyer.support import NOON_IST, Linked, answer, dispatched_invoice
from tests.delivery.factories import create_rule
from tests.invoice.ar_factories import dispatch, get_invoice
from tests.support import Clock, Database, SellerContext, create_customer


async def _history_actions(
    client: httpx.AsyncClient, seller: SellerContext, invoice_id: str
) -> list[str]:
    history = await client.get(f"/api/v0/invoice/{invoice_id}/history", headers=seller.headers)
    return [entry["action"] for entry in history.json()["payload"]]


async def test_accept_is_kept_on_the_invoice_shown_in_its_payload_and_history(
    client: httpx.AsyncClient, database: Database, seller: SellerContext, clock: Clock
) -> None:
    clock.fixed = NOON_IST
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    assert (await get_invoice(client, seller, linked.invoice_id))["buyerResponse"] is None

    posted = await answer(client, linked, "ACCEPT")

    assert posted.status_code == 303 and posted.headers["location"] == linked.path
    invoice = await get_invoice(client, seller, linked.invoice_id)
    assert invoice["buyerResponse"] == {
        "status": "ACCEPTED",
        "reason": None,
        "respondedOn": "2026-11-21 12:00:00",
    }
    assert invoice["version"] == 3  # created, dispatched, answered
    assert (await _history_actions(client, seller, linked.invoice_id))[-1] == "BUYER_ACCEPTED"
    assert "Accepted" in (await client.get(linked.path)).text


async def test_dispute_needs_a_reason_of_at_most_500_characters(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)

    empty = await answer(client, linked, "DISPUTE", "   ")
    too_long = await answer(client, linked, "DISPUTE", "x" * 501)
    unknown = await answer(client, linked, "MAYBE")

    assert empty.status_code == 400 and "Say why you dispute the invoice" in empty.text
    assert too_long.status_code == 400 and "at most 500 characters" in too_long.text
    assert unknown.status_code == 400
    assert (await get_invoice(client, seller, linked.invoice_id))["buyerResponse"] is None

    reason = "Goods short by 3 boxes; " + "y" * 476
    assert (await answer(client, linked, "DISPUTE", reason)).status_code == 303
    response = (await get_invoice(client, seller, linked.invoice_id))["buyerResponse"]
    assert response["status"] == "DISPUTED" and response["reason"] == reason
    assert (await _history_actions(client, seller, linked.invoice_id))[-1] == "BUYER_DISPUTED"
    page = (await client.get(linked.path)).text
    assert "Disputed" in page and "Goods short by 3 boxes" in page


async def test_search_filters_by_the_buyers_answer(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    disputed = await dispatched_invoice(client, seller, customer_id)
    accepted = await dispatched_invoice(client, seller, customer_id)
    silent = await dispatched_invoice(client, seller, customer_id)
    await answer(client, disputed, "DISPUTE", "Wrong rate")
    await answer(client, accepted, "ACCEPT")

    async def found(statuses: object) -> set[str]:
        response = await client.post(
            "/api/v0/invoice/search",
            json={"buyerResponseStatuses": statuses},
            headers=seller.headers,
        )
        assert response.status_code == 200, response.text
        return {invoice["invoiceId"] for invoice in response.json()["payload"]["invoices"]}

    assert await found(["DISPUTED"]) == {disputed.invoice_id}
    assert await found("ACCEPTED") == {accepted.invoice_id}
    assert await found(["NONE", "DISPUTED"]) == {silent.invoice_id, disputed.invoice_id}
    bad = await client.post(
        "/api/v0/invoice/search",
        json={"buyerResponseStatuses": ["ANGRY"]},
        headers=seller.headers,
    )
    assert bad.status_code == 400


async def _reminders_queued(database: Database, linked: Linked, now: datetime) -> int:
    """Run the scheduler at `now`; answer how many reminders now speak of the invoice."""
    async with database.session_factory() as session, session.begin():
        await schedule_reminders(session, now=now)
        count = await session.execute(
            select(func.count()).where(DeliveryInvoice.invoice_id == linked.invoice_id)
        )
        return int(count.scalar_one())


async def _still_due(database: Database, seller_id: str, invoice_id: str) -> bool:
    async with database.session_factory() as session:
        invoice = await session.get(Invoice, (seller_id, invoice_id))
        assert invoice is not None
        customer = await session.get(Customer, (seller_id, invoice.customer_id))
        assert customer is not None
        return is_still_due(invoice, customer)


async def test_a_disputed_invoice_gets_no_reminders_until_the_seller_presents_it_again(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    await create_rule(database, seller.seller_id, customer_id, due_date_difference=1)
    linked = await dispatched_invoice(client, seller, customer_id, dueDate="2026-11-30")
    deliveries = await _reminders_queued(database, linked, NOON_IST)  # the dispatch e-mail
    await answer(client, linked, "DISPUTE", "Not ordered")

    reminder_day = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 10:30 in Kolkata, due + 1
    assert await _reminders_queued(database, linked, reminder_day) == deliveries
    assert not await _still_due(database, seller.seller_id, linked.invoice_id)

    # The seller changes its status: presents it again (SENT_TO_BUYER), and the dispute ends.
    await dispatch(client, seller, linked.invoice_id)
    invoice = await get_invoice(client, seller, linked.invoice_id)
    assert invoice["buyerResponse"] is None
    history = await client.get(
        f"/api/v0/invoice/{linked.invoice_id}/history", headers=seller.headers
    )
    assert history.json()["payload"][-1]["after"]["disputeEnded"] is True
    assert await _still_due(database, seller.seller_id, linked.invoice_id)
    assert await _reminders_queued(database, linked, reminder_day) > deliveries + 1


async def test_accepting_after_a_dispute_brings_the_reminders_back(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    await create_rule(database, seller.seller_id, customer_id, due_date_difference=1)
    linked = await dispatched_invoice(client, seller, customer_id, dueDate="2026-11-30")
    deliveries = await _reminders_queued(database, linked, NOON_IST)
    await answer(client, linked, "DISPUTE", "Not ordered")
    reminder_day = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert await _reminders_queued(database, linked, reminder_day) == deliveries

    await answer(client, linked, "ACCEPT")

    assert await _reminders_queued(database, linked, reminder_day) > deliveries


async def test_a_status_change_by_the_seller_ends_the_dispute(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    await answer(client, linked, "DISPUTE", "Wrong GSTIN")
    invoice = await get_invoice(client, seller, linked.invoice_id)

    closed = await client.post(
        "/api/v0/invoice/status-change",
        json={
            "invoiceId": linked.invoice_id,
            "statusTransition": {"currentStatus": "SENT_TO_BUYER", "newStatus": "CLOSED"},
            "objectVersion": {"currentVersion": invoice["version"]},
            "remarks": "Credit note issued",
        },
        headers=seller.headers,
    )

    assert closed.status_code == 200, closed.text
    assert closed.json()["payload"]["buyerResponse"] is None
    history = await client.get(
        f"/api/v0/invoice/{linked.invoice_id}/history", headers=seller.headers
    )
    last = history.json()["payload"][-1]
    assert last["action"] == "STATUS_CHANGED" and last["after"]["disputeEnded"] is True
    page = (await client.get(linked.path)).text
    assert "Closed" in page and "<form" not in page
