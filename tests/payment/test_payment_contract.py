"""Payment requests checked against the contract's letter: odd input is a VALIDATION_ERROR
naming the field, never a 500 or a payment with a meaningless id."""

import httpx
import pytest

from tests.invoice.ar_factories import create_invoice, get_invoice
from tests.support import Database, SellerContext, create_customer


def sub_errors(response: httpx.Response) -> list[tuple[str, str]]:
    error = response.json()["errorResponse"]
    assert error["errorType"] == "VALIDATION_ERROR", response.text
    return [(e["field"], e["message"]) for e in error["apiSubErrors"]]


def payment_body(invoice_id: str, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "paymentId": "PAY-CONTRACT-1",
        "type": "OFFPLATFORM",
        "mode": "NEFT",
        "utr": "UTR1",
        "amount": 100,
        "paidOn": "2026-11-20",
        "invoices": [{"invoiceId": invoice_id, "amount": 100}],
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"paymentId": "   "}, [("paymentId", "String should have at least 1 character")]),
        (
            {"amount": 1e30, "invoices": [{"invoiceId": "x", "amount": 1e30}]},
            [
                ("amount", "must not exceed 999999999999.99"),
                ("invoices[0].amount", "must not exceed 999999999999.99"),
            ],
        ),
        ({"paidOn": "2026-02-30"}, None),
    ],
)
async def test_bad_reports_are_validation_errors_and_write_nothing(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    override: dict[str, object],
    expected: list[tuple[str, str]] | None,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await create_invoice(client, seller, customer_id)
    response = await client.post(
        "/api/v0/payment",
        json=payment_body(invoice["invoiceId"], **override),
        headers=seller.headers,
    )
    assert response.status_code == 400, response.text
    errors = sub_errors(response)
    if expected is None:
        assert [field for field, _ in errors] == ["paidOn"]
    else:
        assert errors == expected
    shown = await get_invoice(client, seller, invoice["invoiceId"])
    assert shown["receivableStatus"]["name"] == "CREATED" and shown["version"] == 1
