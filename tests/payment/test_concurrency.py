"""Concurrent payments and status changes against one invoice: nothing is over-allocated and
of two changes from the same version exactly one wins (PostgreSQL row locks; SQLite's
serialised writers must give the same answers)."""

import asyncio
from collections import Counter

import httpx

from tests.invoice.ar_factories import (
    confirm,
    create_invoice,
    dispatch,
    get_invoice,
    report_payment,
)
from tests.support import Database, SellerContext, create_customer


async def test_twenty_concurrent_payments_never_over_allocate(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, baseAmount=1000, cgst=0, sgst=0)
    invoice_id = invoice["invoiceId"]
    reports = await asyncio.gather(
        *(
            report_payment(client, seller, [(invoice_id, 100.01)], payment_id=f"C-{n}")
            for n in range(20)
        )
    )
    statuses = Counter(response.status_code for response in reports)
    assert statuses == Counter({200: 9, 422: 11}), [r.text for r in reports if r.status_code >= 500]
    accepted_ids = [r.json()["payload"]["paymentId"] for r in reports if r.status_code == 200]

    # 20 confirmations at once: each accepted payment confirmed twice, concurrently.
    confirmations = await asyncio.gather(
        *(confirm(client, seller, payment_id) for payment_id in accepted_ids * 2),
        *(confirm(client, seller, "C-missing") for _ in range(2)),
    )
    assert [c.status_code for c in confirmations[:-2]] == [200] * 18
    assert [c.status_code for c in confirmations[-2:]] == [404, 404]
    assert {c.json()["payload"]["status"] for c in confirmations[:-2]} == {"ACCEPTED"}
    shown = await get_invoice(client, seller, invoice_id)
    assert shown["totalReceived"] == 900.09
    assert shown["balanceAmount"] == 99.91
    assert shown["receivableStatus"]["name"] == "PARTIALLY_PAID"


async def test_concurrent_confirmations_of_competing_payments_stop_at_the_balance(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, baseAmount=500, cgst=0, sgst=0)
    invoice_id = invoice["invoiceId"]
    for n in range(5):
        response = await report_payment(client, seller, [(invoice_id, 100)], payment_id=f"K-{n}")
        assert response.status_code == 200
    answers = await asyncio.gather(
        *(
            confirm(client, seller, f"K-{n % 5}", "ACCEPT" if n < 10 else "REJECT")
            for n in range(20)
        )
    )
    # Per payment, whichever answer came first wins; the other is a contradiction (422).
    final = {}
    for n, answer in enumerate(answers):
        assert answer.status_code in (200, 422), answer.text
        if answer.status_code == 200:
            final[f"K-{n % 5}"] = answer.json()["payload"]["status"]
    assert len(final) == 5
    accepted = sum(1 for status in final.values() if status == "ACCEPTED")
    shown = await get_invoice(client, seller, invoice_id)
    assert shown["totalReceived"] == 100 * accepted
    assert shown["balanceAmount"] == 500 - 100 * accepted
    expected = {5: "PAID", 0: "CREATED"}.get(accepted, "PARTIALLY_PAID")
    assert shown["receivableStatus"]["name"] == expected


async def test_two_status_changes_from_the_same_version_one_wins(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    await dispatch(client, seller, invoice["invoiceId"])
    shown = await get_invoice(client, seller, invoice["invoiceId"])

    def change(new: str) -> dict[str, object]:
        return {
            "invoiceId": shown["invoiceId"],
            "statusTransition": {"currentStatus": "SENT_TO_BUYER", "newStatus": new},
            "objectVersion": {"currentVersion": shown["version"]},
            "remarks": "race",
        }

    for _ in range(3):
        answers = await asyncio.gather(
            client.post(
                "/api/v0/invoice/status-change", json=change("CANCELLED"), headers=seller.headers
            ),
            client.post(
                "/api/v0/invoice/status-change", json=change("CLOSED"), headers=seller.headers
            ),
        )
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [200, 422], [a.text for a in answers]
        winner = next(a for a in answers if a.status_code == 200).json()["payload"]
        assert winner["version"] == shown["version"] + 1
        after = await get_invoice(client, seller, shown["invoiceId"])
        assert after["receivableStatus"]["name"] == winner["receivableStatus"]["name"]
        assert after["version"] == shown["version"] + 1
        # Next round on a fresh invoice.
        invoice = await create_invoice(client, seller, customer_id)
        await dispatch(client, seller, invoice["invoiceId"])
        shown = await get_invoice(client, seller, invoice["invoiceId"])
