"""POST/GET/PATCH /api/v0/invoice over HTTP: the payload, the amount rules, the errors."""

from datetime import UTC, datetime

import httpx

from tests.invoice.ar_factories import create_invoice, invoice_body
from tests.support import Clock, Database, SellerContext, create_customer

PAYLOAD_KEYS = {
    "invoiceId", "invoiceNumber", "externalId", "sellerId", "entityId", "customerId",
    "customerLegalName", "invoiceDate", "dueDate", "description", "poNumber", "baseAmount",
    "cgst", "sgst", "igst", "tds", "netAmount", "totalReceived", "balanceAmount",
    "totalCredited", "totalWrittenOff", "writtenOff", "writtenOffOn", "writtenOffReason",
    "gstExclusive", "partialPaymentAllowed", "receivableStatus", "approvalStatus", "overdue",
    "dispatched", "dispatchedOn", "paymentLink", "via", "buyerResponse", "lineItems", "version",
    "createdBy",
    "createdByName", "createdOn", "modifiedBy", "modifiedByName", "modifiedOn",
}  # fmt: skip


async def test_create_answers_the_full_payload_with_gst_on_top(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    clock.fixed = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)
    customer_id = await create_customer(database, seller.seller_id, legal_name="Acme Buyers")
    body = invoice_body(
        customer_id,
        invoiceNumber="AR-0001",
        baseAmount=3000.555,
        cgst=270.05,
        sgst=270.05,
        tds=30.01,
        description="November supplies",
        poNumber="PO-77",
        externalId="ext-1",
    )
    response = await client.post("/api/v0/invoice", json=body, headers=seller.headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["errorResponse"] is None and answer["response_code"] == 200
    invoice = answer["payload"]
    assert set(invoice) == PAYLOAD_KEYS
    assert invoice["baseAmount"] == 3000.56  # rounded half-up to the paisa
    assert invoice["netAmount"] == 3540.66
    assert invoice["balanceAmount"] == 3510.65
    assert invoice["totalReceived"] == 0
    assert invoice["entityId"] == "1"
    assert invoice["customerLegalName"] == "Acme Buyers"
    assert invoice["receivableStatus"] == {"name": "CREATED", "label": "Created"}
    assert invoice["approvalStatus"] == {"name": "APPROVED", "label": "Approved"}
    assert invoice["via"] == "API"
    assert invoice["version"] == 1
    assert invoice["lineItems"] == []
    assert invoice["dispatched"] is False and invoice["paymentLink"] is None
    assert invoice["createdOn"] == "2026-11-21 12:00:00"  # seller time zone, Asia/Kolkata
    assert invoice["createdByName"] == "test integration"
    assert invoice["overdue"] is False

    again = await client.get(f"/api/v0/invoice/{invoice['invoiceId']}", headers=seller.headers)
    assert again.status_code == 200
    assert again.json()["payload"] == invoice


async def test_gst_inclusive_invoice_nets_to_the_base(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        client, seller, customer_id, baseAmount=1180, cgst=0, sgst=0, igst=180,
        gstExclusive=False, tds=20,
    )  # fmt: skip
    assert invoice["netAmount"] == 1180
    assert invoice["balanceAmount"] == 1160
    assert invoice["gstExclusive"] is False


async def test_overdue_follows_the_request_clock(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, dueDate="2026-11-30")
    path = f"/api/v0/invoice/{invoice['invoiceId']}"
    # 30 Nov 20:00 UTC is already 1 Dec in Kolkata: the due date has passed there.
    clock.fixed = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert (await client.get(path, headers=seller.headers)).json()["payload"]["overdue"] is False
    clock.fixed = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    assert (await client.get(path, headers=seller.headers)).json()["payload"]["overdue"] is True


async def test_bad_amounts_are_validation_errors_naming_the_field(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    cases = [
        ({"baseAmount": -5}, "baseAmount", "must not be negative"),
        ({"cgst": "NaN"}, "cgst", "must be a finite number"),
        ({"tds": "Infinity"}, "tds", "must be a finite number"),
        ({"baseAmount": 0.09}, "baseAmount", "must be at least 0.1"),
        ({"igst": 10}, "igst", "cannot be combined with cgst/sgst on one invoice"),
        ({"cgst": 90, "sgst": 80}, "sgst", "must equal cgst"),
        ({"dueDate": "2026-10-01"}, "dueDate", "must be on or after invoiceDate"),
    ]
    for overrides, field, message in cases:
        body = invoice_body(customer_id, **overrides)
        response = await client.post("/api/v0/invoice", json=body, headers=seller.headers)
        assert response.status_code == 400, (overrides, response.text)
        error = response.json()["errorResponse"]
        assert error["errorType"] == "VALIDATION_ERROR"
        assert {"field": field, "message": message} in [
            {"field": e["field"], "message": e["message"]} for e in error["apiSubErrors"]
        ], (overrides, error)
    raw_nan = (
        f'{{"customerId": "{customer_id}", "invoiceNumber": "N1", "invoiceDate": "2026-11-01", '
        '"dueDate": "2026-11-02", "baseAmount": NaN}'
    )
    response = await client.post(
        "/api/v0/invoice",
        content=raw_nan,
        headers={**seller.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errorResponse"]["apiSubErrors"][0]["field"] == "baseAmount"


async def test_customer_must_be_active_and_the_seller_s_own(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    inactive = await create_customer(database, seller.seller_id, status="INACTIVE")
    deleted = await create_customer(database, seller.seller_id, deleted=True)
    foreign = await create_customer(database, other_seller.seller_id)
    response = await client.post(
        "/api/v0/invoice", json=invoice_body(inactive), headers=seller.headers
    )
    assert response.status_code == 422
    assert response.json()["errorResponse"]["errorType"] == "UNPROCESSABLE_REQUEST"
    for customer_id in (deleted, foreign, "KCNOSUCHCUSTOMER"):
        response = await client.post(
            "/api/v0/invoice", json=invoice_body(customer_id), headers=seller.headers
        )
        assert response.status_code == 404
        assert response.json()["errorResponse"]["errorMessage"] == (
            f"Customer not found: {customer_id}"
        )


async def test_invoice_number_is_unique_per_seller_and_entity_ids_count_up(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    other_customer = await create_customer(database, other_seller.seller_id)
    first = await create_invoice(client, seller, customer_id, invoiceNumber="DUP-1")
    clash = await client.post(
        "/api/v0/invoice",
        json=invoice_body(customer_id, invoiceNumber="DUP-1"),
        headers=seller.headers,
    )
    assert clash.status_code == 422
    assert clash.json()["errorResponse"]["errorMessage"] == "Invoice number already exists: DUP-1"
    second = await create_invoice(client, seller, customer_id)
    assert (first["entityId"], second["entityId"]) == ("1", "2")
    # Another seller may use the same number.
    await create_invoice(client, other_seller, other_customer, invoiceNumber="DUP-1")


async def test_another_seller_s_invoice_is_not_found(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    for path in (f"/api/v0/invoice/{invoice['invoiceId']}", "/api/v0/invoice/nosuchinvoice"):
        response = await client.get(path, headers=other_seller.headers)
        assert response.status_code == 404
        assert response.json()["errorResponse"]["errorType"] == "RECORD_NOT_FOUND"
    response = await client.patch(
        f"/api/v0/invoice/{invoice['invoiceId']}",
        json={"description": "mine now"},
        headers=other_seller.headers,
    )
    assert response.status_code == 404


async def test_patch_recomputes_amounts_and_bumps_version(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    path = f"/api/v0/invoice/{invoice['invoiceId']}"
    response = await client.patch(
        path,
        json={"baseAmount": 2000.005, "cgst": 180, "sgst": 180, "tds": 40, "poNumber": "PO-9"},
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()["payload"]
    assert updated["baseAmount"] == 2000.01
    assert updated["netAmount"] == 2360.01
    assert updated["balanceAmount"] == 2320.01
    assert updated["poNumber"] == "PO-9"
    assert updated["version"] == 2
    # An absent field stays; null clears an optional one.
    response = await client.patch(path, json={"poNumber": None}, headers=seller.headers)
    assert response.json()["payload"]["poNumber"] is None
    assert response.json()["payload"]["baseAmount"] == 2000.01
    response = await client.patch(path, json={"baseAmount": None}, headers=seller.headers)
    assert response.status_code == 400
    response = await client.patch(path, json={"dueDate": "2026-01-01"}, headers=seller.headers)
    assert response.status_code == 400
    assert response.json()["errorResponse"]["apiSubErrors"][0]["field"] == "dueDate"
