"""AR invoice answers checked against the contract's letter: odd input never answers 500, every
bad field is a VALIDATION_ERROR naming it, and batch answers speak the payload's shapes."""

import httpx
import pytest

from tests.invoice.ar_factories import create_invoice, invoice_body
from tests.support import Database, SellerContext, create_customer


def sub_errors(response: httpx.Response) -> list[tuple[str, str]]:
    error = response.json()["errorResponse"]
    assert error["errorType"] == "VALIDATION_ERROR", response.text
    return [(e["field"], e["message"]) for e in error["apiSubErrors"]]


@pytest.mark.parametrize("huge", [1e30, "1e30", 1e13])
async def test_a_huge_amount_is_a_validation_error_not_a_crash(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, huge: object
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    body = invoice_body(customer_id, baseAmount=huge)
    response = await client.post("/api/v0/invoice", json=body, headers=seller.headers)
    assert response.status_code == 400, response.text
    assert sub_errors(response) == [("baseAmount", "must not exceed 999999999999.99")]

    search = await client.post(
        "/api/v0/invoice/search", json={"balanceAmountTo": huge}, headers=seller.headers
    )
    assert search.status_code == 400
    assert sub_errors(search) == [("balanceAmountTo", "must not exceed 999999999999.99")]


async def test_batch_answers_show_receivable_status_as_name_and_label(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    dispatched = await client.post(
        "/api/v0/invoice/bulk/dispatch",
        json={"invoiceIds": [invoice["invoiceId"]]},
        headers=seller.headers,
    )
    [entry] = dispatched.json()["payload"]["results"]
    assert entry["receivableStatus"] == {"name": "SENT_TO_BUYER", "label": "Sent to buyer"}
    assert entry["version"] == 2

    deleted = await client.post(
        "/api/v0/invoice/bulk/delete",
        json={"invoiceIds": [invoice["invoiceId"]]},
        headers=seller.headers,
    )
    [entry] = deleted.json()["payload"]["results"]
    assert entry["success"] is True and entry["message"] == "Invoice deleted"
    assert entry["receivableStatus"] == {"name": "SENT_TO_BUYER", "label": "Sent to buyer"}
