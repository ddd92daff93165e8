"""POST /api/v0/customer/search: filters, paging, ordering, limits, and its statement budget."""

import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import insert

from khata.models import Customer
from tests.customer.factories import customer_body, gstin
from tests.support import Database, SellerContext, count_statements, create_customer, create_seller


async def _search(
    client: httpx.AsyncClient, seller: SellerContext, body: object = None, **params: object
) -> httpx.Response:
    return await client.post(
        "/api/v0/customer/search", json=body, params=params, headers=seller.headers
    )


async def test_filters_narrow_the_result(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    created = await client.post(
        "/api/v0/customer",
        json=customer_body(legalName="Mehta 100% Textiles", uniqueRefNo="M-1"),
        headers=seller.headers,
    )
    mehta = created.json()["payload"]["customerId"]
    await create_customer(database, seller.seller_id, legal_name="Gupta Traders", state="27")
    inactive = await create_customer(
        database, seller.seller_id, legal_name="Old Mehta Co", status="INACTIVE"
    )
    gone = await create_customer(database, seller.seller_id, legal_name="Mehta Gone", deleted=True)

    def ids(response: httpx.Response) -> set[str]:
        assert response.status_code == 200, response.text
        return {c["customerId"] for c in response.json()["payload"]["customers"]}

    assert ids(await _search(client, seller, {"legalName": "mehta"})) == {mehta, inactive}
    assert ids(await _search(client, seller, {"legalName": "100%"})) == {mehta}
    assert ids(await _search(client, seller, {"status": "INACTIVE"})) == {inactive}
    assert ids(await _search(client, seller, {"state": "Maharashtra"})) != set()
    assert ids(await _search(client, seller, {"state": "27", "legalName": "mehta"})) == set()
    assert ids(await _search(client, seller, {"uniqueRefNo": "M-1"})) == {mehta}
    assert ids(await _search(client, seller, {"panOrGstin": gstin("29").lower()})) == {mehta}
    assert ids(await _search(client, seller, {"customerIds": [mehta, gone]})) == {mehta}
    assert ids(await _search(client, seller, {"deleted": True})) == {gone}

    everything = await _search(client, seller)
    payload = everything.json()["payload"]
    assert payload["totalCount"] == 3
    assert (payload["limit"], payload["offset"]) == (100, 0)
    found = next(c for c in payload["customers"] if c["customerId"] == mehta)
    assert found["customerKeyContacts"][0]["name"] == "Asha Rao"


async def test_paging_and_ordering(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    for name in ("Charlie", "alpha", "Bravo"):
        await create_customer(database, seller.seller_id, legal_name=name)
    response = await _search(client, seller, {}, orderBy="legalName", direction="ASC", limit=2)
    payload = response.json()["payload"]
    assert [c["legalName"] for c in payload["customers"]] == ["Bravo", "Charlie"]
    assert payload["totalCount"] == 3
    second = await _search(
        client, seller, {}, orderBy="legalName", direction="ASC", limit=2, offset=2
    )
    assert [c["legalName"] for c in second.json()["payload"]["customers"]] == ["alpha"]


async def test_limit_order_by_and_filter_values_are_checked(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    too_many = await _search(client, seller, {}, limit=5001)
    assert too_many.status_code == 400
    assert too_many.json()["errorResponse"]["apiSubErrors"][0]["field"] == "limit"
    assert (await _search(client, seller, {}, limit=5000)).status_code == 200

    bad_order = await _search(client, seller, {}, orderBy="password")
    assert bad_order.status_code == 400
    sub_error = bad_order.json()["errorResponse"]["apiSubErrors"][0]
    assert (sub_error["field"], sub_error["rejectedValue"]) == ("orderBy", "password")

    bad_state = await _search(client, seller, {"state": "Atlantis", "status": "GONE"})
    assert bad_state.status_code == 400
    fields = {e["field"] for e in bad_state.json()["errorResponse"]["apiSubErrors"]}
    assert fields == {"state", "status"}


async def test_search_over_100k_customers_is_one_page_query_plus_one_count(
    client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, name="Big Seller Ltd")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "seller_id": seller.seller_id,
            "id": f"KC{index:014d}",
            "legal_name": f"Buyer {index:06d}",
            "state": "29" if index % 2 else "27",
            "status": "ACTIVE",
            "deleted": False,
            "version": 1,
            "created_at": start + timedelta(seconds=index),
            "updated_at": start + timedelta(seconds=index),
        }
        for index in range(100_000)
    ]
    async with database.engine.begin() as connection:
        await connection.execute(insert(Customer.__table__), rows)

    with count_statements(database.engine) as baseline:
        assert (await client.get("/api/v0/seller", headers=seller.headers)).status_code == 200
    for limit, body in ((50, {}), (5000, {"state": "29"}), (20, {"legalName": "buyer 0999"})):
        started = time.perf_counter()
        with count_statements(database.engine) as counter:
            response = await _search(client, seller, body, limit=limit, offset=10)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        payload = response.json()["payload"]
        # Authentication's statements, then exactly one count and one page query.
        assert counter.count == baseline.count + 2, counter.statements
        expected_total = {50: 100_000, 5000: 50_000, 20: 100}[limit]
        assert payload["totalCount"] == expected_total
        assert len(payload["customers"]) == min(limit, expected_total - 10)
        assert elapsed < 10, f"search with limit {limit} took {elapsed:.2f}s"
    newest = await _search(client, seller, {}, limit=1)
    assert newest.json()["payload"]["customers"][0]["legalName"] == "Buyer 099999"
