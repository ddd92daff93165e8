"""Never over-credit: credit notes, write-offs and payments racing on one invoice lock its row
(as payments do), so together they never take its balance below zero."""

import asyncio
from collections import Counter

import httpx

from tests.credit.support import credit, write_off
from tests.invoice.ar_factories import create_invoice, get_invoice, report_payment
from tests.support import Database, SellerContext, create_customer


async def test_twenty_concurrent_credits_and_payments_never_take_the_balance_below_zero(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, baseAmount=1000, cgst=0, sgst=0)
    invoice_id = invoice["invoiceId"]
    requests = [
        credit(client, seller, invoice_id, amount=100.01)
        if n % 2
        else report_payment(client, seller, [(invoice_id, 100.01)], payment_id=f"R-{n}")
        for n in range(19)
    ]
    requests.append(write_off(client, seller, invoice_id, amount=100.01))
    answers = await asyncio.gather(*requests)
    codes = Counter(answer.status_code for answer in answers)
    assert codes == Counter({200: 9, 422: 11}), [a.text for a in answers if a.status_code >= 500]

    shown = await get_invoice(client, seller, invoice_id)
    credits = [a for a in answers[1:19:2] if a.status_code == 200]
    written = 100.01 if answers[-1].status_code == 200 else 0
    assert shown["totalCredited"] == round(100.01 * len(credits), 2)
    assert shown["totalWrittenOff"] == written
    assert shown["balanceAmount"] == round(1000 - shown["totalCredited"] - written, 2)
    assert shown["balanceAmount"] >= 0
    numbers = sorted(int(a.json()["payload"]["creditNoteNumber"][3:]) for a in credits)
    assert numbers == list(range(1, len(credits) + 1))  # gap-free series


async def test_line_credits_racing_commerce_invoicing_of_the_same_order_stay_consistent(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    from tests.invoice.commerce_factories import get_order
    from tests.order.factories import post_order

    customer_id = await create_customer(database, seller.seller_id)
    line = {"sku": "W", "name": "Widget", "quantity": 10, "unitPrice": 10, "taxRate": 18}
    order = await post_order(client, seller, customer_id, [line])
    line_id = order["lineItems"][0]["id"]
    one_unit = {"orderId": order["id"], "lineItems": [{"lineItemId": line_id, "quantity": 1}]}
    made = await client.post(
        "/invoices",
        json={"orderId": order["id"], "lineItems": [{"lineItemId": line_id, "quantity": 5}]},
        headers=seller.headers,
    )
    invoice_id = made.json()["data"]["id"]
    answers = await asyncio.gather(
        *(
            credit(client, seller, invoice_id, lineItems=[{"lineItemId": line_id, "quantity": 1}])
            if n % 2
            else client.post("/invoices", json=one_unit, headers=seller.headers)
            for n in range(16)
        )
    )
    assert all(a.status_code < 500 for a in answers), [a.text for a in answers]
    credited = sum(1 for a in answers[1::2] if a.status_code == 200)
    invoiced = sum(1 for a in answers[0::2] if a.status_code == 201)
    assert credited == 5  # every unit of the first invoice, never more
    shown = await get_order(client, seller, order["id"])
    assert shown["lineItems"][0]["invoicedQuantity"] == 5 - credited + invoiced <= 10
    first = await get_invoice(client, seller, invoice_id)
    assert first["balanceAmount"] == 0 and first["receivableStatus"]["name"] == "PAID"
