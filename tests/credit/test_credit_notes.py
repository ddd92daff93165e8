"""Credit notes by amount: their own number series, GST reversed in the invoice's kind and
proportion to the paisa, the invoice's balance and status at once, and the refusals (over
what remains, bad amounts, statuses that take none, another seller's ids)."""

import httpx

from tests.credit.support import credit, credited
from tests.invoice.ar_factories import confirm, create_invoice, get_invoice, report_payment
from tests.support import Database, SellerContext, create_customer


async def test_amount_credit_splits_cgst_sgst_like_the_invoice_and_numbers_in_series(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)  # 1000 + 90 + 90
    invoice_id = invoice["invoiceId"]

    first = await credited(client, seller, invoice_id, amount=100.01, date="2026-11-20")
    # Tax share 180 x 100.01 / 1180 = 15.2557.. -> 15.26, halved; the rest is taxable value.
    assert (first["taxableAmount"], first["cgst"], first["sgst"], first["igst"]) == (
        84.75,
        7.63,
        7.63,
        0.0,
    )
    assert first["amount"] == 100.01
    assert first["creditNoteNumber"] == "CN-1"
    assert first["creditDate"] == "2026-11-20"
    assert first["invoice"]["balanceAmount"] == 1079.99
    assert first["invoice"]["receivableStatus"]["name"] == "CREATED"

    second = await credited(client, seller, invoice_id, amount=0.03)
    assert second["creditNoteNumber"] == "CN-2"
    assert round(second["taxableAmount"] + second["cgst"] + second["sgst"], 2) == 0.03

    shown = await get_invoice(client, seller, invoice_id)
    assert shown["totalCredited"] == 100.04
    assert shown["balanceAmount"] == 1079.96
    assert shown["totalWrittenOff"] == 0.0
    assert shown["writtenOff"] is False

    listed = await client.get(f"/api/v0/invoice/{invoice_id}/credit-notes", headers=seller.headers)
    assert [n["creditNoteNumber"] for n in listed.json()["payload"]] == ["CN-1", "CN-2"]
    one = await client.get(f"/api/v0/credit-note/{first['creditNoteId']}", headers=seller.headers)
    assert one.status_code == 200
    assert one.json()["payload"]["reason"] == "Goods returned"


async def test_igst_invoice_credited_in_steps_reverses_exactly_its_tax_and_is_paid(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id, state="27")
    invoice = await create_invoice(
        client, seller, customer_id, baseAmount=999.99, cgst=0, sgst=0, igst=180.01
    )
    invoice_id = invoice["invoiceId"]
    notes = [
        await credited(client, seller, invoice_id, amount=amount)
        for amount in (333.33, 333.33, 0.01, 513.33)
    ]
    assert all(note["cgst"] == 0 and note["sgst"] == 0 for note in notes)
    for note in notes:
        assert round(note["taxableAmount"] + note["igst"], 2) == note["amount"]
    assert round(sum(note["igst"] for note in notes), 2) == 180.01
    assert round(sum(note["taxableAmount"] for note in notes), 2) == 999.99
    shown = await get_invoice(client, seller, invoice_id)
    assert shown["balanceAmount"] == 0
    assert shown["totalReceived"] == 0
    assert shown["receivableStatus"]["name"] == "PAID"
    assert shown["overdue"] is False

    again = await credit(client, seller, invoice_id, amount=1)
    assert again.status_code == 422
    assert "PAID" in again.json()["errorResponse"]["errorMessage"]


async def test_odd_paisa_of_cgst_sgst_goes_to_cgst_and_full_credit_reverses_exactly(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        client, seller, customer_id, baseAmount=100, cgst=9.01, sgst=9.01
    )
    first = await credited(client, seller, invoice["invoiceId"], amount=1)
    # 18.02 x 1 / 118.02 = 0.1527 -> 0.15 of tax: 0.08 CGST (the odd paisa), 0.07 SGST.
    assert (first["taxableAmount"], first["cgst"], first["sgst"]) == (0.85, 0.08, 0.07)
    rest = await credited(client, seller, invoice["invoiceId"], amount=117.02)
    assert round(first["cgst"] + rest["cgst"], 2) == 9.01
    assert round(first["sgst"] + rest["sgst"], 2) == 9.01
    assert round(first["taxableAmount"] + rest["taxableAmount"], 2) == 100
    assert rest["invoice"]["receivableStatus"]["name"] == "PAID"


async def test_over_credit_and_bad_amounts_are_refused_in_the_ar_envelope(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    invoice_id = invoice["invoiceId"]

    over = await credit(client, seller, invoice_id, amount=1180.01)
    assert over.status_code == 422
    error = over.json()["errorResponse"]
    assert error["errorType"] == "UNPROCESSABLE_REQUEST"
    assert "1180.00 left" in error["errorMessage"]

    for body, field in (
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({}, "amount"),
        ({"amount": 5, "lineItems": [{"lineItemId": "x", "quantity": 1}]}, "amount"),
        ({"amount": 5, "date": "2030-01-01"}, "date"),
        ({"amount": 5, "date": "2026-10-01"}, "date"),
    ):
        refused = await credit(client, seller, invoice_id, **body)
        assert refused.status_code == 400, (body, refused.text)
        fields = [e["field"] for e in refused.json()["errorResponse"]["apiSubErrors"]]
        assert field in fields, (body, fields)
    no_reason = await client.post(
        f"/api/v0/invoice/{invoice_id}/credit-note", json={"amount": 5}, headers=seller.headers
    )
    assert no_reason.status_code == 400
    shown = await get_invoice(client, seller, invoice_id)
    assert shown["balanceAmount"] == 1180.0
    assert shown["totalCredited"] == 0


async def test_pending_payments_are_kept_out_of_what_can_be_credited(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id, baseAmount=1000, cgst=0, sgst=0)
    invoice_id = invoice["invoiceId"]
    reported = await report_payment(client, seller, [(invoice_id, 600)], payment_id="P-CN-1")
    assert reported.status_code == 200
    over = await credit(client, seller, invoice_id, amount=400.01)
    assert over.status_code == 422
    note = await credited(client, seller, invoice_id, amount=400)
    assert note["invoice"]["receivableStatus"]["name"] == "PAYMENT_INITIATED"
    accepted = await confirm(client, seller, "P-CN-1")
    assert accepted.status_code == 200, accepted.text
    shown = await get_invoice(client, seller, invoice_id)
    assert (shown["totalReceived"], shown["totalCredited"], shown["balanceAmount"]) == (
        600,
        400,
        0,
    )
    assert shown["receivableStatus"]["name"] == "PAID"


async def test_cash_paid_cancelled_and_closed_invoices_take_no_credit_note(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    paid = await create_invoice(client, seller, customer_id, baseAmount=100, cgst=0, sgst=0)
    await report_payment(client, seller, [(paid["invoiceId"], 100)], payment_id="P-CN-2")
    await confirm(client, seller, "P-CN-2")
    refused = await credit(client, seller, paid["invoiceId"], amount=1)
    assert refused.status_code == 422

    cancelled = await create_invoice(client, seller, customer_id)
    change = {
        "invoiceId": cancelled["invoiceId"],
        "statusTransition": {"currentStatus": "CREATED", "newStatus": "CANCELLED"},
        "objectVersion": {"currentVersion": cancelled["version"]},
    }
    answer = await client.post("/api/v0/invoice/status-change", json=change, headers=seller.headers)
    assert answer.status_code == 200, answer.text
    refused = await credit(client, seller, cancelled["invoiceId"], amount=1)
    assert refused.status_code == 422
    assert "CANCELLED" in refused.json()["errorResponse"]["errorMessage"]


async def test_credited_invoice_can_be_neither_edited_deleted_nor_cancelled(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    invoice_id = invoice["invoiceId"]
    await credited(client, seller, invoice_id, amount=10)
    edit = await client.patch(
        f"/api/v0/invoice/{invoice_id}", json={"baseAmount": 5}, headers=seller.headers
    )
    assert edit.status_code == 422
    deleted = await client.post(
        "/api/v0/invoice/bulk/delete", json={"invoiceIds": [invoice_id]}, headers=seller.headers
    )
    assert deleted.json()["payload"]["results"][0]["success"] is False
    shown = await get_invoice(client, seller, invoice_id)
    change = {
        "invoiceId": invoice_id,
        "statusTransition": {"currentStatus": "CREATED", "newStatus": "CANCELLED"},
        "objectVersion": {"currentVersion": shown["version"]},
    }
    answer = await client.post("/api/v0/invoice/status-change", json=change, headers=seller.headers)
    assert answer.status_code == 422


async def test_another_sellers_invoice_and_credit_note_answer_404(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    note = await credited(client, seller, invoice["invoiceId"], amount=10)
    for response in (
        await credit(client, other_seller, invoice["invoiceId"], amount=1),
        await client.get(
            f"/api/v0/credit-note/{note['creditNoteId']}", headers=other_seller.headers
        ),
        await client.get(
            f"/api/v0/credit-note/{note['creditNoteId']}/pdf", headers=other_seller.headers
        ),
        await client.get(
            f"/api/v0/invoice/{invoice['invoiceId']}/credit-notes", headers=other_seller.headers
        ),
        await client.post(
            f"/api/v0/invoice/{invoice['invoiceId']}/write-off",
            json={"reason": "x"},
            headers=other_seller.headers,
        ),
        await client.get("/api/v0/credit-note/000000000000000000000000", headers=seller.headers),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["errorResponse"]["errorType"] == "RECORD_NOT_FOUND"
    shown = await get_invoice(client, seller, invoice["invoiceId"])
    assert shown["totalCredited"] == 10


async def test_history_records_the_credit_note_in_rupees(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    note = await credited(client, seller, invoice["invoiceId"], amount=118)
    history = await client.get(
        f"/api/v0/invoice/{invoice['invoiceId']}/history", headers=seller.headers
    )
    entries = history.json()["payload"]
    entry = next(e for e in entries if e["action"] == "CREDIT_NOTE_ISSUED")
    assert entry["before"]["totalCredited"] == 0
    assert entry["before"]["balanceAmount"] == 1180
    assert entry["after"]["totalCredited"] == 118
    assert entry["after"]["balanceAmount"] == 1062
    assert entry["after"]["creditNoteNumber"] == note["creditNoteNumber"]
    assert entry["after"]["creditAmount"] == 118


async def test_credit_note_prefix_is_a_seller_setting(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    from tests.seller.test_settings import _admin_headers

    admin = await _admin_headers(client, seller)
    changed = await client.patch(
        "/api/v0/seller", json={"creditNotePrefix": "CRN/26/"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["payload"]["creditNotePrefix"] == "CRN/26/"
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    note = await credited(client, seller, invoice["invoiceId"], amount=1)
    assert note["creditNoteNumber"] == "CRN/26/1"


async def test_search_filters_credited_and_written_off_invoices(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    from tests.credit.support import write_off

    customer_id = await create_customer(database, seller.seller_id)
    plain = await create_invoice(client, seller, customer_id)
    with_note = await create_invoice(client, seller, customer_id)
    written = await create_invoice(client, seller, customer_id)
    await credited(client, seller, with_note["invoiceId"], amount=1)
    assert (await write_off(client, seller, written["invoiceId"])).status_code == 200

    async def found(**filters: bool) -> set[str]:
        answer = await client.post("/api/v0/invoice/search", json=filters, headers=seller.headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()["payload"]
        assert page["totalCount"] == len(page["invoices"])
        return {invoice["invoiceId"] for invoice in page["invoices"]}

    assert await found(credited=True) == {with_note["invoiceId"]}
    assert await found(writtenOff=True) == {written["invoiceId"]}
    assert await found(credited=False, writtenOff=False) == {plain["invoiceId"]}
    bad = await client.post(
        "/api/v0/invoice/search", json={"credited": "yes"}, headers=seller.headers
    )
    assert bad.status_code == 400
