"""Orders over HTTP: create, read, list, and every refusal with its exact message."""

import json

import httpx

from tests.order.factories import THREE_LINES, post_order
from tests.support import Database, SellerContext, create_customer


async def test_create_order_answers_lines_and_totals_to_the_paisa(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    response = await client.post(
        "/orders",
        headers=seller.headers,
        json={"customerId": customer_id, "lineItems": THREE_LINES, "metaFields": [{"k": "v"}]},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Order created successfully"
    order = body["data"]
    assert order["customerId"] == customer_id
    assert order["currency"] == "INR"
    assert order["status"] == "NOT_INVOICED"
    assert order["metaFields"] == [{"k": "v"}]
    assert order["createdBy"] == {
        "id": seller.principal_id,
        "name": "test integration",
        "type": "api",
    }
    # 30 x 100.05 = 3001.50 @18% = 540.27; 20 x 49.99 = 999.80 @12% = 119.976 -> 119.98;
    # 7 x 13.37 = 93.59 @5% = 4.6795 -> 4.68.
    lines = order["lineItems"]
    assert [(li["amount"], li["tax"]) for li in lines] == [
        (3001.5, 540.27),
        (999.8, 119.98),
        (93.59, 4.68),
    ]
    assert [li["taxRate"] for li in lines] == [18, 12, 5]
    assert all(len(li["id"]) == 24 and li["invoicedQuantity"] == 0 for li in lines)
    assert order["subtotal"] == 4094.89
    assert order["tax"] == 664.93
    assert order["total"] == 4759.82
    assert order["createdAt"].endswith("Z") and len(order["createdAt"]) == 24


async def test_get_and_list_orders(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
) -> None:
    first_customer = await create_customer(database, seller.seller_id)
    second_customer = await create_customer(database, seller.seller_id, legal_name="Two Ltd")
    first = await post_order(client, seller, first_customer)
    second = await post_order(client, seller, second_customer)
    third = await post_order(client, seller, first_customer)

    got = await client.get(f"/orders/{first['id']}", headers=seller.headers)
    assert got.status_code == 200
    assert got.json()["data"] == first

    listed = await client.get("/orders?page=1&limit=2", headers=seller.headers)
    assert listed.status_code == 200
    assert listed.json()["count"] == 3
    assert [o["id"] for o in listed.json()["data"]] == [third["id"], second["id"]]
    page_two = await client.get("/orders?page=2&limit=2", headers=seller.headers)
    assert [o["id"] for o in page_two.json()["data"]] == [first["id"]]

    by_customer = await client.get(f"/orders?customerId={first_customer}", headers=seller.headers)
    assert by_customer.json()["count"] == 2
    assert {o["id"] for o in by_customer.json()["data"]} == {first["id"], third["id"]}

    # Another seller sees neither the order nor the list.
    foreign = await client.get(f"/orders/{first['id']}", headers=other_seller.headers)
    assert foreign.status_code == 404
    assert foreign.json() == {"success": False, "message": f"Order not found: {first['id']}"}
    assert (await client.get("/orders", headers=other_seller.headers)).json()["count"] == 0


async def test_order_refusals(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
) -> None:
    active = await create_customer(database, seller.seller_id)
    inactive = await create_customer(database, seller.seller_id, status="INACTIVE")
    deleted = await create_customer(database, seller.seller_id, deleted=True)
    foreign = await create_customer(database, other_seller.seller_id)

    async def post(body: object) -> httpx.Response:
        return await client.post("/orders", headers=seller.headers, json=body)

    line = {"name": "Widget", "quantity": 1, "unitPrice": 10, "taxRate": 18}
    cases: list[tuple[object, int, str]] = [
        (
            {"customerId": foreign, "lineItems": [line]},
            404,
            f"Customer not found: {foreign}",
        ),
        ({"customerId": inactive, "lineItems": [line]}, 409, f"Customer is inactive: {inactive}"),
        ({"customerId": deleted, "lineItems": [line]}, 409, f"Customer is deleted: {deleted}"),
        (
            {"customerId": active, "lineItems": [{**line, "unitPrice": -1}]},
            400,
            "Validation error: lineItems[0].unitPrice must not be negative",
        ),
        (
            {"customerId": active, "lineItems": [{**line, "taxRate": 100.5}]},
            400,
            "Validation error: lineItems[0].taxRate must be between 0 and 100",
        ),
        (
            {"customerId": active, "lineItems": [{**line, "taxRate": 12.345}]},
            400,
            "Validation error: lineItems[0].taxRate must have at most 2 decimals",
        ),
        (
            {"customerId": active, "lineItems": [{**line, "unitPrice": "NaN"}]},
            400,
            "Validation error: lineItems[0].unitPrice must be a finite number",
        ),
        (
            {"customerId": active, "lineItems": [{**line, "quantity": 0}]},
            400,
            "Validation error: lineItems.0.quantity Input should be greater than 0",
        ),
        ({"customerId": active}, 400, "Validation error: lineItems is required"),
    ]
    for body, status, message in cases:
        response = await post(body)
        assert (response.status_code, response.json()) == (
            status,
            {"success": False, "message": message},
        ), body
    # Nothing was written by any refusal.
    assert (await client.get("/orders", headers=seller.headers)).json()["count"] == 0

    unauthenticated = await client.post("/orders", json={"customerId": active, "lineItems": [line]})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["message"] == "Invalid or missing access token"


async def test_decimal_tax_rate_and_string_price(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    order = await post_order(
        client,
        seller,
        customer_id,
        [{"name": "Cess item", "quantity": 3, "unitPrice": "1,000.005", "taxRate": 12.5}],
    )
    line = order["lineItems"][0]
    # 1000.005 rounds half-up to 1000.01; 3 x 1000.01 = 3000.03 @12.5% = 375.00375 -> 375.00
    assert (line["unitPrice"], line["taxRate"], line["amount"], line["tax"]) == (
        1000.01,
        12.5,
        3000.03,
        375.0,
    )
    assert order["total"] == 3375.03


async def test_order_list_paging_refusals_are_400_never_500(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    cases = {
        "page=0": "Validation error: page Input should be greater than or equal to 1",
        "limit=0": "Validation error: limit Input should be greater than or equal to 1",
        "limit=10000": "Validation error: limit Input should be less than or equal to 100",
        "page=abc": "Validation error: page Input should be a valid integer, unable to parse"
        " string as an integer",
        # A 20-digit page once overflowed the database's 64-bit OFFSET (a 500).
        "page=99999999999999999999": "Validation error: page Input should be less than or"
        " equal to 10000000",
    }
    for query, message in cases.items():
        response = await client.get(f"/orders?{query}", headers=seller.headers)
        assert (response.status_code, response.json()) == (
            400,
            {"success": False, "message": message},
        ), query
    far = await client.get("/orders?page=10000000&limit=100", headers=seller.headers)
    assert far.status_code == 200
    assert far.json() == {
        "success": True,
        "data": [],
        "message": "Orders retrieved successfully",
        "count": 0,
    }


async def test_order_garbage_is_a_400_never_a_500(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    line = {"name": "Widget", "quantity": 1, "unitPrice": 10, "taxRate": 18}

    async def post_raw(content: bytes) -> httpx.Response:
        return await client.post(
            "/orders",
            headers={**seller.headers, "Content-Type": "application/json"},
            content=content,
        )

    def order(**changes: object) -> dict[str, object]:
        return {"customerId": customer, "lineItems": [{**line, **changes}]}

    cases: list[tuple[bytes, str]] = [
        # Beyond the decimal context: decimal.Overflow escaped as a 500.
        (
            json.dumps(order(unitPrice="1e999999999")).encode(),
            "Validation error: lineItems[0].unitPrice must not exceed 999999999999.99",
        ),
        # x 100 underflowed to 0 in the decimal context and passed as a 0% rate.
        (
            json.dumps(order(taxRate="1e-999999999")).encode(),
            "Validation error: lineItems[0].taxRate must have at most 2 decimals",
        ),
        (
            json.dumps(order(unitPrice=1e30)).encode(),
            "Validation error: lineItems[0].unitPrice must not exceed 999999999999.99",
        ),
        (
            json.dumps(order(quantity=10**20)).encode(),
            "Validation error: lineItems.0.quantity Input should be less than or equal to"
            " 1000000000",
        ),
        # NaN / 1e400 in metaFields: PostgreSQL's jsonb refused them (a 500).
        (
            json.dumps({**order(), "metaFields": [{"x": float("nan")}]}).encode(),
            "Validation error: metaFields must not contain NaN or Infinity",
        ),
        (
            b'{"customerId": "%s", "lineItems": [{"name": "a", "quantity": 1, "unitPrice": 1,'
            b' "taxRate": 5}], "metaFields": [1e400]}' % customer.encode(),
            "Validation error: metaFields must not contain NaN or Infinity",
        ),
        # Hundreds of levels broke the response encoder after the order was made (a 500).
        (
            json.dumps({**order(), "metaFields": _nested(33)}).encode(),
            "Validation error: metaFields must not nest deeper than 32",
        ),
    ]
    for content, message in cases:
        response = await post_raw(content)
        assert (response.status_code, response.json()) == (
            400,
            {"success": False, "message": message},
        ), content[:120]
    assert (await client.get("/orders", headers=seller.headers)).json()["count"] == 0

    deepest = await post_raw(json.dumps({**order(), "metaFields": _nested(32)}).encode())
    assert deepest.status_code == 201, deepest.text
    assert deepest.json()["data"]["metaFields"] == _nested(32)


def _nested(levels: int) -> list[object]:
    value: list[object] = []
    for _ in range(levels - 1):
        value = [value]
    return value
