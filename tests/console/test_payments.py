"""Payments to confirm over HTTP: the buyer's own report is listed and marked, ACCEPT makes the
invoice PAID, REJECT returns it to where it was, and another seller's payment is not there."""

import httpx

from tests.buyer.support import dispatched_invoice, report, take_payments
from tests.console.support import csrf_of, signed_in_csrf
from tests.support import Database, SellerContext, create_customer


async def test_accepting_a_buyer_reported_payment_makes_the_invoice_paid(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
) -> None:
    await take_payments(database, seller.seller_id)
    customer = await create_customer(database, seller.seller_id)
    paid = await dispatched_invoice(client, seller, customer, invoiceNumber="PAY-ME")
    refused = await dispatched_invoice(client, seller, customer, invoiceNumber="NOT-PAID")
    assert (await report(client, paid, utr="UTR-ACCEPT-1")).status_code == 303
    assert (await report(client, refused, utr="UTR-REJECT-1")).status_code == 303
    await signed_in_csrf(client, seller)

    listed = await client.get("/console/payments")
    assert listed.status_code == 200
    assert "2 waiting" in listed.text and listed.text.count("Reported by the buyer") == 2
    assert "UTR-ACCEPT-1" in listed.text and "PAY-ME" in listed.text
    ref = listed.text.split('name="payment" value="')[1].split('"')[0]

    accepted = await client.post(
        "/console/payments/confirm",
        data={"csrf": csrf_of(listed.text), "payment": ref, "response": "ACCEPT", "remarks": "ok"},
    )
    assert accepted.status_code == 303
    shown = await client.get(f"/console/invoices/{paid.invoice_id}")
    assert 'id="status">Paid' in shown.text and "ACCEPTED" in shown.text

    listed = await client.get("/console/payments")
    assert "1 waiting" in listed.text and "UTR-REJECT-1" in listed.text
    ref = listed.text.split('name="payment" value="')[1].split('"')[0]
    rejected = await client.post(
        "/console/payments/confirm",
        data={"csrf": csrf_of(listed.text), "payment": ref, "response": "REJECT", "remarks": "no"},
    )
    assert rejected.status_code == 303
    shown = await client.get(f"/console/invoices/{refused.invoice_id}")
    assert 'id="status">Sent to buyer' in shown.text
    assert "0 waiting" in (await client.get("/console/payments")).text

    # The other seller's console sees none of it, and cannot answer this seller's payment.
    client.cookies.clear()
    csrf = await signed_in_csrf(client, other_seller)
    assert "0 waiting" in (await client.get("/console/payments")).text
    foreign = await client.post(
        "/console/payments/confirm",
        data={"csrf": csrf, "payment": ref, "response": "ACCEPT"},
    )
    assert foreign.status_code == 404 and "Not found" in foreign.text
