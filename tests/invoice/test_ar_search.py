"""POST /api/v0/invoice/search: each filter, paging, ordering, and two statements per page."""

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.invoice.ar_factories import confirm, create_invoice, dispatch, report_payment
from tests.support import Clock, Database, SellerContext, count_statements, create_customer


async def _search(
    client: httpx.AsyncClient, seller: SellerContext, body: dict[str, Any], query: str = ""
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v0/invoice/search{query}", json=body, headers=seller.headers
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    return payload


def _numbers(payload: dict[str, Any]) -> list[str]:
    return [invoice["invoiceNumber"] for invoice in payload["invoices"]]


async def test_filters_paging_and_ordering(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
    clock: Clock,
) -> None:
    acme = await create_customer(database, seller.seller_id, legal_name="Acme Traders")
    zeta = await create_customer(database, seller.seller_id, legal_name="Zeta Mills")
    clock.fixed = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    await create_invoice(
        client, seller, acme, invoiceNumber="S-1", baseAmount=100, cgst=0, sgst=0,
        dueDate="2026-11-10",
    )  # fmt: skip
    clock.fixed = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
    second = await create_invoice(
        client, seller, acme, invoiceNumber="S-2", baseAmount=200, cgst=0, sgst=0,
        dueDate="2026-11-30",
    )  # fmt: skip
    third = await create_invoice(
        client, seller, zeta, invoiceNumber="S-3", baseAmount=300, cgst=0, sgst=0,
        dueDate="2026-11-12",
    )  # fmt: skip
    await dispatch(client, seller, second["invoiceId"], third["invoiceId"])
    paid = await report_payment(client, seller, [(third["invoiceId"], 300)])
    assert (await confirm(client, seller, paid.json()["payload"]["paymentId"])).is_success
    foreign_customer = await create_customer(database, other_seller.seller_id)
    await create_invoice(client, other_seller, foreign_customer, invoiceNumber="S-9")
    clock.fixed = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)

    everything = await _search(client, seller, {})
    assert everything["totalCount"] == 3
    assert _numbers(everything) == ["S-3", "S-2", "S-1"]  # newest first by default
    assert (everything["limit"], everything["offset"]) == (100, 0)

    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"receivableStatuses": ["SENT_TO_BUYER", "PAID"]}, ["S-2", "S-3"]),
        ({"customerIds": [zeta]}, ["S-3"]),
        ({"customerLegalName": "acme"}, ["S-1", "S-2"]),
        ({"baseAmountFrom": 150, "baseAmountTo": 300}, ["S-2", "S-3"]),
        ({"balanceAmountTo": 150}, ["S-1", "S-3"]),
        ({"createdOnFrom": "2026-11-02"}, ["S-2", "S-3"]),
        ({"createdOnTo": "2026-11-01"}, ["S-1"]),
        ({"dueDateFrom": "2026-11-11", "dueDateTo": "2026-11-30"}, ["S-2", "S-3"]),
        ({"dispatched": True}, ["S-2", "S-3"]),
        ({"dispatchedOnFrom": "2026-11-05", "dispatchedOnTo": "2026-11-05"}, ["S-2", "S-3"]),
        ({"overdue": True}, ["S-1"]),
        ({"overdue": False}, ["S-2", "S-3"]),
        ({"customerDeleted": False}, ["S-1", "S-2", "S-3"]),
        ({"customerDeleted": True}, []),
        ({"createdVia": ["API"]}, ["S-1", "S-2", "S-3"]),
        ({"createdVia": ["ORDER"]}, []),
    ]
    for body, expected in cases:
        found = await _search(client, seller, body, "?orderBy=invoiceNumber&direction=ASC")
        assert _numbers(found) == expected, body
        assert found["totalCount"] == len(expected)

    page = await _search(client, seller, {}, "?limit=1&offset=1&orderBy=baseAmount&direction=ASC")
    assert _numbers(page) == ["S-2"]
    assert (page["totalCount"], page["limit"], page["offset"]) == (3, 1, 1)
    assert page["invoices"][0]["customerLegalName"] == "Acme Traders"
    assert page["invoices"][0]["overdue"] is False


async def test_bad_paging_and_filters_are_validation_errors(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    for query, field in (
        ("?limit=5001", "limit"),
        ("?offset=-1", "offset"),
        ("?orderBy=colour", "orderBy"),
        ("?direction=UP", "direction"),
    ):
        response = await client.post(
            f"/api/v0/invoice/search{query}", json={}, headers=seller.headers
        )
        assert response.status_code == 400, query
        assert response.json()["errorResponse"]["apiSubErrors"][0]["field"] == field
    response = await client.post(
        "/api/v0/invoice/search", json={"colour": "red"}, headers=seller.headers
    )
    assert response.status_code == 400
    response = await client.post(
        "/api/v0/invoice/search", json={"baseAmountFrom": -1}, headers=seller.headers
    )
    assert response.status_code == 400
    assert response.json()["errorResponse"]["apiSubErrors"][0]["field"] == "baseAmountFrom"


async def test_a_page_is_one_query_plus_one_count(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    for _ in range(5):
        await create_invoice(client, seller, customer_id)
    with count_statements(database.engine) as counter:
        found = await _search(client, seller, {"overdue": False, "customerLegalName": "buyer"})
    assert found["totalCount"] == 5
    invoice_statements = [s for s in counter.statements if "FROM invoice" in s]
    assert len(invoice_statements) == 2, invoice_statements
    # Everything else is the token check: nothing per invoice, nothing per line.
    assert counter.count == len(invoice_statements) + 1, counter.statements
