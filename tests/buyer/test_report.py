"""A payment the buyer reports from the page: an OFFPLATFORM payment awaiting the seller's
confirmation, marked as the buyer's, under the API's money and allocation rules."""

from typing import Any

import httpx

from tests.buyer.support import Linked, dispatched_invoice, report, take_payments
from tests.invoice.ar_factories import confirm, get_invoice, report_payment
from tests.support import Database, SellerContext, create_customer


async def _reported_payment(
    client: httpx.AsyncClient, seller: SellerContext, linked: Linked
) -> dict[str, Any]:
    """The payment the buyer's report made, found through the invoice's history."""
    history = await client.get(
        f"/api/v0/invoice/{linked.invoice_id}/history", headers=seller.headers
    )
    entries = [e for e in history.json()["payload"] if e["action"] == "PAYMENT_REPORTED"]
    assert len(entries) == 1
    assert entries[0]["changedBy"]["type"] == "buyer"
    payment_id = entries[0]["after"]["paymentId"]
    got = await client.get(f"/api/v0/payment/{payment_id}", headers=seller.headers)
    assert got.status_code == 200
    payload: dict[str, Any] = got.json()["payload"]
    return payload


async def test_reported_payment_awaits_confirmation_then_the_page_says_paid(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    await take_payments(database, seller.seller_id)
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)

    posted = await report(client, linked, "1,180.00", utr="UTR-ABC-123", mode="UPI")

    assert posted.status_code == 303
    assert posted.headers["location"] == linked.path
    page = (await client.get(linked.path)).text
    assert "Payment reported, awaiting confirmation" in page
    assert "<svg" not in page and 'action="' + linked.path + '/payment"' not in page
    payment = await _reported_payment(client, seller, linked)
    assert payment["reportedByBuyer"] is True
    assert payment["type"] == "OFFPLATFORM" and payment["status"] == "PENDING_CONFIRMATION"
    assert (payment["utr"], payment["mode"], payment["paidOn"]) == (
        "UTR-ABC-123",
        "UPI",
        "2026-11-20",
    )
    assert payment["amount"] == 1180.0
    invoice = await get_invoice(client, seller, linked.invoice_id)
    assert invoice["receivableStatus"]["name"] == "PAYMENT_INITIATED"

    accepted = await confirm(client, seller, payment["paymentId"])

    assert accepted.status_code == 200, accepted.text
    page = (await client.get(linked.path)).text
    assert ">Paid<" in page and "awaiting confirmation" not in page and "<form" not in page


async def test_partial_report_leaves_the_rest_open_with_a_upi_request_for_it(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    await take_payments(database, seller.seller_id)
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)

    assert (await report(client, linked, "180")).status_code == 303

    page = (await client.get(linked.path)).text
    assert "Payment reported, awaiting confirmation" in page
    assert "am=1000.00" in page and "Pay ₹1,000.00" in page
    too_much = await report(client, linked, "1000.01", utr="SECOND-UTR")
    assert too_much.status_code == 422
    assert "more than what is left to pay on this invoice (₹1,000.00)" in too_much.text


async def test_report_above_the_balance_is_refused_on_the_page(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)

    refused = await report(client, linked, "5000", utr="UTR-TOO-MUCH")

    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    assert "more than what is left to pay on this invoice (₹1,180.00)" in refused.text
    assert 'value="UTR-TOO-MUCH"' in refused.text  # the form comes back as typed
    invoice = await get_invoice(client, seller, linked.invoice_id)
    assert invoice["receivableStatus"]["name"] == "SENT_TO_BUYER"


async def test_amounts_and_fields_follow_the_api_rules(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    for amount, message in (
        ("abc", "Amount: must be a number"),
        ("-5", "Amount: must not be negative"),
        ("NaN", "Amount: must be a finite number"),
        ("0", "Amount: must be greater than 0"),
        ("", "Amount: is required"),
    ):
        refused = await report(client, linked, amount)
        assert refused.status_code == 400, amount
        assert message in refused.text, amount
    future = await report(client, linked, "100", paid_on="2026-11-22")
    assert "Date paid: cannot be in the future" in future.text
    assert "UTR / reference" in (await report(client, linked, "100", utr="")).text
    assert "Mode: one of" in (await report(client, linked, "100", mode="BITCOIN")).text
    invoice = await get_invoice(client, seller, linked.invoice_id)
    assert invoice["receivableStatus"]["name"] == "SENT_TO_BUYER"

    # More than 2 decimals round half-up to paise, as in the API.
    assert (await report(client, linked, "100.005")).status_code == 303
    payment = await _reported_payment(client, seller, linked)
    assert payment["amount"] == 100.01


async def test_a_payment_the_seller_reports_is_not_the_buyers(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)

    made = await report_payment(client, seller, [(linked.invoice_id, 100.0)])

    assert made.status_code == 200
    assert made.json()["payload"]["reportedByBuyer"] is False


async def test_rejected_report_reopens_the_invoice_on_the_page(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    await report(client, linked, "1180")
    payment = await _reported_payment(client, seller, linked)

    rejected = await confirm(client, seller, payment["paymentId"], "REJECT")

    assert rejected.status_code == 200
    page = (await client.get(linked.path)).text
    assert "awaiting confirmation" not in page and "Report payment" in page


async def test_a_second_report_of_money_already_reported_is_refused_with_its_reason(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    linked = await dispatched_invoice(client, seller, customer_id)
    page = (await client.get(linked.path)).text  # opened before the first report went in
    await report(client, linked, "1180")

    token = page.split('name="csrf" value="')[1].split('"')[0]
    again = await client.post(
        f"{linked.path}/payment",
        data={"csrf": token, "utr": "UTR-TWICE", "amount": "1180", "paid_on": "2026-11-20",
              "mode": "NEFT"},
    )  # fmt: skip

    assert again.status_code == 422
    assert "more than what is left to pay on this invoice (₹0.00)" in again.text
