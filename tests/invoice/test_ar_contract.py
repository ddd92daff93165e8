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


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"invoiceNumber": "   "}, "invoiceNumber", "String should have at least 1 character"),
        ({"gstExclusive": "yes"}, "gstExclusive", "Input should be a valid boolean"),
        ({"partialPaymentAllowed": 1}, "partialPaymentAllowed", "Input should be a valid boolean"),
        ({"dispatchNow": "true"}, "dispatchNow", "Input should be a valid boolean"),
        ({"emailAddress": "not-an-email"}, "emailAddress", "must be a valid email address"),
        (
            {"mobileNumber": "12345"},
            "mobileNumber",
            "must be a 10-digit number, optionally preceded by a country code (+91 or 0091)",
        ),
    ],
)
async def test_create_refuses_blank_numbers_loose_flags_and_bad_contacts(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    override: dict[str, object],
    field: str,
    message: str,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    response = await client.post(
        "/api/v0/invoice", json=invoice_body(customer_id, **override), headers=seller.headers
    )
    assert response.status_code == 400, response.text
    assert sub_errors(response) == [(field, message)]


async def test_null_flags_on_create_take_their_defaults(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(
        client,
        seller,
        customer_id,
        gstExclusive=None,
        partialPaymentAllowed=None,
        dispatchNow=None,
        emailAddress="",
        invoiceNumber="  AR-TRIM  ",
    )
    assert invoice["gstExclusive"] is True and invoice["partialPaymentAllowed"] is True
    assert invoice["dispatched"] is False
    assert invoice["netAmount"] == 1180.0
    assert invoice["invoiceNumber"] == "AR-TRIM"


async def test_patch_checks_contacts_and_flags_too(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    response = await client.patch(
        f"/api/v0/invoice/{invoice['invoiceId']}",
        json={"emailAddress": "nope", "gstExclusive": "false"},
        headers=seller.headers,
    )
    assert response.status_code == 400
    assert sub_errors(response) == [
        ("gstExclusive", "Input should be a valid boolean"),
        ("emailAddress", "must be a valid email address"),
    ]


@pytest.mark.parametrize("name", ["statuses", "receivableStatuses", "receivableStatus"])
async def test_search_takes_the_status_filter_by_every_documented_name(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, name: str
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    created = await create_invoice(client, seller, customer_id)
    sent = await create_invoice(client, seller, customer_id, dispatchNow=True)
    for value, expected in (
        (["SENT_TO_BUYER"], [sent["invoiceId"]]),
        ("CREATED", [created["invoiceId"]]),
        (["CREATED", "SENT_TO_BUYER"], [sent["invoiceId"], created["invoiceId"]]),
    ):
        response = await client.post(
            "/api/v0/invoice/search?orderBy=entityId", json={name: value}, headers=seller.headers
        )
        assert response.status_code == 200, response.text
        found = response.json()["payload"]
        assert [i["invoiceId"] for i in found["invoices"]] == expected
        assert found["totalCount"] == len(expected)


async def test_search_flags_are_strict_booleans(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    response = await client.post(
        "/api/v0/invoice/search", json={"overdue": "yes"}, headers=seller.headers
    )
    assert response.status_code == 400
    assert sub_errors(response) == [("overdue", "Input should be a valid boolean")]


async def test_customer_name_filter_takes_percent_and_underscore_literally(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    plain = await create_customer(database, seller.seller_id, legal_name="Plain Traders")
    odd = await create_customer(database, seller.seller_id, legal_name="100% Cotton_Mills")
    await create_invoice(client, seller, plain)
    wanted = await create_invoice(client, seller, odd)
    for name in ("%", "_", "100% cotton_"):
        response = await client.post(
            "/api/v0/invoice/search", json={"customerLegalName": name}, headers=seller.headers
        )
        found = response.json()["payload"]
        assert [i["invoiceId"] for i in found["invoices"]] == [wanted["invoiceId"]], name
        assert found["totalCount"] == 1
