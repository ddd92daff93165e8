"""Payments over HTTP: report, read, accept, reject, repeats, and the money to the paisa."""

import httpx

from tests.invoice.ar_factories import (
    confirm,
    create_invoice,
    dispatch,
    get_invoice,
    report_payment,
)
from tests.support import Database, SellerContext, create_customer


async def test_partial_then_full_payment_moves_money_and_status(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        client, seller, customer_id, baseAmount=1000, cgst=90, sgst=90, tds=10.01
    )
    invoice_id = invoice["invoiceId"]
    assert invoice["balanceAmount"] == 1169.99
    await dispatch(client, seller, invoice_id)

    reported = await report_payment(client, seller, [(invoice_id, 400.33)], payment_id="P-1")
    assert reported.status_code == 200, reported.text
    payment = reported.json()["payload"]
    assert payment["status"] == "PENDING_CONFIRMATION"
    assert payment["amount"] == 400.33
    assert payment["invoices"][0]["receivableStatus"]["name"] == "PAYMENT_INITIATED"
    shown = await get_invoice(client, seller, invoice_id)
    assert shown["receivableStatus"]["name"] == "PAYMENT_INITIATED"
    assert shown["balanceAmount"] == 1169.99  # nothing moves before confirmation

    accepted = await confirm(client, seller, "P-1", invoiceIds=[invoice_id], type="OFFPLATFORM")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["payload"]["status"] == "ACCEPTED"
    shown = await get_invoice(client, seller, invoice_id)
    assert shown["receivableStatus"]["name"] == "PARTIALLY_PAID"
    assert (shown["totalReceived"], shown["balanceAmount"]) == (400.33, 769.66)

    # The repeat is a no-op with the same answer; the contradiction is refused.
    again = await confirm(client, seller, "P-1", invoiceIds=[invoice_id], type="OFFPLATFORM")
    assert again.status_code == 200
    assert again.json()["payload"] == accepted.json()["payload"]
    contradiction = await confirm(client, seller, "P-1", "REJECT")
    assert contradiction.status_code == 422
    assert contradiction.json()["errorResponse"]["errorMessage"] == (
        "Payment P-1 is already ACCEPTED"
    )
    assert (await get_invoice(client, seller, invoice_id))["totalReceived"] == 400.33

    rest = await report_payment(client, seller, [(invoice_id, 769.66)], payment_id="P-2")
    assert rest.status_code == 200, rest.text
    assert (await confirm(client, seller, "P-2")).status_code == 200
    shown = await get_invoice(client, seller, invoice_id)
    assert shown["receivableStatus"] == {"name": "PAID", "label": "Paid"}
    assert (shown["totalReceived"], shown["balanceAmount"]) == (1169.99, 0)
    assert shown["overdue"] is False

    paid_again = await report_payment(client, seller, [(invoice_id, 1)])
    assert paid_again.status_code == 422
    assert "is PAID and takes no payment" in paid_again.json()["errorResponse"]["errorMessage"]


async def test_rejection_restores_status_and_balance(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    created = await create_invoice(client, seller, customer_id, baseAmount=500, cgst=0, sgst=0)
    sent = await create_invoice(client, seller, customer_id, baseAmount=300, cgst=0, sgst=0)
    await dispatch(client, seller, sent["invoiceId"])
    reported = await report_payment(
        client,
        seller,
        [(created["invoiceId"], 200), (sent["invoiceId"], 300)],
        payment_id="P-R",
    )
    assert reported.status_code == 200, reported.text
    assert [i["amount"] for i in reported.json()["payload"]["invoices"]] == [200, 300]
    rejected = await confirm(client, seller, "P-R", "REJECT", remarks="no such credit")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["payload"]["status"] == "REJECTED"
    assert rejected.json()["payload"]["remarks"] == "no such credit"
    first = await get_invoice(client, seller, created["invoiceId"])
    second = await get_invoice(client, seller, sent["invoiceId"])
    assert first["receivableStatus"]["name"] == "CREATED"
    assert second["receivableStatus"]["name"] == "SENT_TO_BUYER"
    assert (first["balanceAmount"], second["balanceAmount"]) == (500, 300)
    assert (first["totalReceived"], second["totalReceived"]) == (0, 0)
    assert (await confirm(client, seller, "P-R", "REJECT")).status_code == 200
    assert (await confirm(client, seller, "P-R", "ACCEPT")).status_code == 422
    # The balance is free again for a new payment.
    again = await report_payment(client, seller, [(sent["invoiceId"], 300)])
    assert again.status_code == 200


async def test_onplatform_payments_cannot_be_rejected(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, baseAmount=100, cgst=0, sgst=0)
    reported = await report_payment(
        client, seller, [(invoice["invoiceId"], 100)], payment_type="ONPLATFORM", payment_id="ON-1"
    )
    assert reported.status_code == 200
    refused = await confirm(client, seller, "ON-1", "REJECT")
    assert refused.status_code == 422
    assert refused.json()["errorResponse"]["errorMessage"] == (
        "Only OFFPLATFORM payments can be rejected"
    )
    wrong_type = await confirm(client, seller, "ON-1", "ACCEPT", type="OFFPLATFORM")
    assert wrong_type.status_code == 422
    wrong_invoices = await confirm(client, seller, "ON-1", "ACCEPT", invoiceIds=["x" * 24])
    assert wrong_invoices.status_code == 422
    assert (await confirm(client, seller, "ON-1", "ACCEPT")).status_code == 200
    shown = await get_invoice(client, seller, invoice["invoiceId"])
    assert shown["receivableStatus"]["name"] == "PAID"


async def test_allocations_never_exceed_the_balance_counting_pending_payments(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, baseAmount=1000, cgst=0, sgst=0)
    invoice_id = invoice["invoiceId"]
    too_much = await report_payment(client, seller, [(invoice_id, 1000.01)])
    assert too_much.status_code == 422
    assert too_much.json()["errorResponse"]["errorMessage"] == (
        f"Amount for invoice {invoice_id} exceeds what is left to pay (1000.00)"
    )
    assert (await report_payment(client, seller, [(invoice_id, 600)], payment_id="A")).is_success
    over = await report_payment(client, seller, [(invoice_id, 400.01)])
    assert over.status_code == 422
    assert "(400.00)" in over.json()["errorResponse"]["errorMessage"]
    assert (await report_payment(client, seller, [(invoice_id, 400)], payment_id="B")).is_success
    # Accepting one leaves the invoice waiting on the other.
    assert (await confirm(client, seller, "A")).status_code == 200
    shown = await get_invoice(client, seller, invoice_id)
    assert shown["receivableStatus"]["name"] == "PAYMENT_INITIATED"
    assert shown["balanceAmount"] == 400
    assert (await confirm(client, seller, "B", "REJECT")).status_code == 200
    shown = await get_invoice(client, seller, invoice_id)
    assert shown["receivableStatus"]["name"] == "PARTIALLY_PAID"
    assert (shown["totalReceived"], shown["balanceAmount"]) == (600, 400)


async def test_partial_payment_only_where_allowed(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        client, seller, customer_id, baseAmount=250, cgst=0, sgst=0, partialPaymentAllowed=False
    )
    partial = await report_payment(client, seller, [(invoice["invoiceId"], 100)])
    assert partial.status_code == 422
    assert partial.json()["errorResponse"]["errorMessage"] == (
        f"Invoice {invoice['invoiceId']} does not allow partial payment: pay 250.00 in full"
    )
    full = await report_payment(client, seller, [(invoice["invoiceId"], 250)])
    assert full.status_code == 200


async def test_report_validation_and_not_found(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    invoice_id = invoice["invoiceId"]
    body = {
        "paymentId": "V-1",
        "type": "OFFPLATFORM",
        "amount": 100,
        "invoices": [{"invoiceId": invoice_id, "amount": 90}],
    }
    response = await client.post("/api/v0/payment", json=body, headers=seller.headers)
    assert response.status_code == 400
    assert response.json()["errorResponse"]["apiSubErrors"][0]["field"] == "amount"
    body["invoices"] = [{"invoiceId": invoice_id, "amount": -100}]
    response = await client.post("/api/v0/payment", json=body, headers=seller.headers)
    assert response.status_code == 400
    assert response.json()["errorResponse"]["apiSubErrors"][0] == {
        "field": "invoices[0].amount",
        "message": "must not be negative",
        "rejectedValue": -100,
    }
    body["invoices"] = [{"invoiceId": invoice_id, "amount": 100}]
    body["type"] = "CASH"
    response = await client.post("/api/v0/payment", json=body, headers=seller.headers)
    assert response.status_code == 400
    # Another seller sees neither the invoice nor the payment.
    body["type"] = "OFFPLATFORM"
    response = await client.post("/api/v0/payment", json=body, headers=other_seller.headers)
    assert response.status_code == 404
    assert response.json()["errorResponse"]["errorMessage"] == f"Invoice not found: {invoice_id}"
    assert (await client.post("/api/v0/payment", json=body, headers=seller.headers)).is_success
    duplicate = await client.post("/api/v0/payment", json=body, headers=seller.headers)
    assert duplicate.status_code == 422
    assert duplicate.json()["errorResponse"]["errorMessage"] == "Payment already reported: V-1"
    shown = await client.get("/api/v0/payment/V-1", headers=seller.headers)
    assert shown.status_code == 200
    assert shown.json()["payload"]["invoices"][0]["invoiceId"] == invoice_id
    assert (
        await client.get("/api/v0/payment/V-1", headers=other_seller.headers)
    ).status_code == 404
    assert (await confirm(client, other_seller, "V-1")).status_code == 404


async def test_cancelled_and_deleted_invoices_take_no_payment(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    cancelled = await create_invoice(client, seller, customer_id)
    deleted = await create_invoice(client, seller, customer_id)
    response = await client.post(
        "/api/v0/invoice/status-change",
        json={
            "invoiceId": cancelled["invoiceId"],
            "statusTransition": {"currentStatus": "CREATED", "newStatus": "CANCELLED"},
            "objectVersion": {"currentVersion": 1},
        },
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    response = await client.post(
        "/api/v0/invoice/bulk/delete",
        json={"invoiceIds": [deleted["invoiceId"]]},
        headers=seller.headers,
    )
    assert response.json()["payload"]["successCount"] == 1
    refused = await report_payment(client, seller, [(cancelled["invoiceId"], 10)])
    assert refused.status_code == 422
    assert "is CANCELLED and takes no payment" in refused.json()["errorResponse"]["errorMessage"]
    gone = await report_payment(client, seller, [(deleted["invoiceId"], 10)])
    assert gone.status_code == 404


async def test_amounts_lock_once_money_moves_and_history_records_it(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, baseAmount=100, cgst=0, sgst=0)
    invoice_id = invoice["invoiceId"]
    path = f"/api/v0/invoice/{invoice_id}"
    assert (await report_payment(client, seller, [(invoice_id, 30)], payment_id="H-1")).is_success
    locked = await client.patch(path, json={"baseAmount": 90}, headers=seller.headers)
    assert locked.status_code == 422
    assert locked.json()["errorResponse"]["errorMessage"] == (
        "Amounts cannot change once a payment is received or pending"
    )
    assert (await confirm(client, seller, "H-1")).status_code == 200
    locked = await client.patch(path, json={"tds": 1}, headers=seller.headers)
    assert locked.status_code == 422
    # Other fields still change.
    described = await client.patch(path, json={"description": "late"}, headers=seller.headers)
    assert described.status_code == 200
    assert described.json()["payload"]["balanceAmount"] == 70

    history = await client.get(f"{path}/history", headers=seller.headers)
    entries = history.json()["payload"]
    assert [e["action"] for e in entries] == [
        "CREATED",
        "PAYMENT_REPORTED",
        "PAYMENT_ACCEPTED",
        "UPDATED",
    ]
    accepted = entries[2]
    assert accepted["before"]["balanceAmount"] == 100
    assert accepted["after"]["balanceAmount"] == 70
    assert accepted["after"]["paymentId"] == "H-1"
    assert entries[3]["after"] == {"description": "late"}
    assert described.json()["payload"]["version"] == 4
