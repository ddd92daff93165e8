"""Keyset paging of the invoice search: walking by nextCursor (or back by prevCursor) returns
every invoice exactly once in the search's order, for every orderBy and both directions, even
while invoices are added and deleted between pages; a cursor that is altered, or used with
another search, is a clear 400; on PostgreSQL a cursor page starts from an index."""

import base64
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from khata.invoice import search
from tests.invoice.ar_factories import create_invoice, dispatch
from tests.invoice.test_search_scale import _SEED, _scans
from tests.support import Database, SellerContext, count_statements, create_customer

PATH = "/api/v0/invoice/search"


async def _search(
    client: httpx.AsyncClient,
    seller: SellerContext,
    body: dict[str, Any],
    **query: Any,
) -> dict[str, Any]:
    params = {key: value for key, value in query.items() if value is not None}
    response = await client.post(PATH, params=params, json=body, headers=seller.headers)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    return payload


def _ids(page: dict[str, Any]) -> list[str]:
    return [invoice["invoiceId"] for invoice in page["invoices"]]


async def _walk(
    client: httpx.AsyncClient,
    seller: SellerContext,
    body: dict[str, Any],
    *,
    limit: int,
    **query: Any,
) -> list[list[str]]:
    """Every page from the first by nextCursor, each page's ids."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = await _search(client, seller, body, limit=limit, cursor=cursor, **query)
        pages.append(_ids(page))
        cursor = page["nextCursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the walk does not end"


async def _made(client: httpx.AsyncClient, seller: SellerContext, database: Database) -> list[str]:
    """Eleven invoices with ties on due date and amount, a few dispatched (the rest NULL)."""
    customer = await create_customer(database, seller.seller_id)
    ids = []
    for n in range(11):
        invoice = await create_invoice(
            client,
            seller,
            customer,
            invoiceNumber=f"INV-{(n * 7) % 11:02d}",
            dueDate=f"2026-12-0{1 + n % 3}",
            baseAmount=100 + n % 2,
        )
        ids.append(invoice["invoiceId"])
    await dispatch(client, seller, ids[1], ids[4], ids[9])
    return ids


@pytest.mark.parametrize(
    "order_by",
    ["createdOn", "dueDate", "baseAmount", "dispatchedOn", "invoiceNumber", "balanceAmount"],
)
async def test_walking_by_cursor_returns_each_invoice_once_in_order(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, order_by: str
) -> None:
    ids = await _made(client, seller, database)
    walks = {}
    for direction in ("ASC", "DESC"):
        query = {"orderBy": order_by, "direction": direction}
        whole = _ids(await _search(client, seller, {}, limit=100, **query))
        assert sorted(whole) == sorted(ids)
        pages = await _walk(client, seller, {}, limit=4, **query)
        assert [len(page) for page in pages] == [4, 4, 3]
        assert [i for page in pages for i in page] == whole
        walks[direction] = whole
        # Offset paging answers the same pages, and hands a cursor on from any of them.
        second = await _search(client, seller, {}, limit=4, offset=4, **query)
        assert _ids(second) == pages[1]
        onward = await _search(client, seller, {}, limit=4, cursor=second["nextCursor"], **query)
        assert _ids(onward) == pages[2]
        assert onward["totalCount"] == 11 and onward["nextCursor"] is None
    # Going up is going down backwards, ties included (id breaks them the same way).
    assert walks["ASC"] == list(reversed(walks["DESC"]))


@pytest.mark.parametrize(
    ("order_by", "direction"),
    [("dueDate", "ASC"), ("dispatchedOn", "ASC"), ("dispatchedOn", "DESC")],
)
async def test_prev_cursor_walks_back_through_the_same_pages(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    order_by: str,
    direction: str,
) -> None:
    await _made(client, seller, database)
    query = {"orderBy": order_by, "direction": direction, "limit": 3}
    forward = [await _search(client, seller, {}, **query)]
    assert forward[0]["prevCursor"] is None
    while forward[-1]["nextCursor"] is not None:
        forward.append(await _search(client, seller, {}, cursor=forward[-1]["nextCursor"], **query))
    assert len(forward) == 4
    page = forward[-1]
    for expected in reversed(forward[:-1]):
        page = await _search(client, seller, {}, cursor=page["prevCursor"], **query)
        assert _ids(page) == _ids(expected)
    assert page["prevCursor"] is None
    # An offset page past the first has a way back too.
    middle = await _search(client, seller, {}, offset=3, **query)
    back = await _search(client, seller, {}, cursor=middle["prevCursor"], **query)
    assert _ids(back) == _ids(forward[0])


async def test_no_row_is_skipped_or_repeated_while_invoices_come_and_go(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    before = []
    for n in range(12):
        made = await create_invoice(client, seller, customer, dueDate=f"2026-12-{10 + n:02d}")
        before.append(made["invoiceId"])
    query = {"orderBy": "dueDate", "direction": "ASC", "limit": 4}
    seen: list[str] = []
    page = await _search(client, seller, {}, **query)
    seen += _ids(page)
    added_late = []
    deleted = before[9]
    for step in range(10):
        if step == 0:
            # One due before the cursor (this walk never sees it), two after it (it does),
            # one exactly tied with the cursor's row, and a row not yet read deleted.
            for due in ("2026-12-01", "2026-12-15", "2026-12-30", "2026-12-13"):
                late = await create_invoice(client, seller, customer, dueDate=due)
                added_late.append((due, late["invoiceId"]))
            gone = await client.post(
                "/api/v0/invoice/bulk/delete",
                json={"invoiceIds": [deleted]},
                headers=seller.headers,
            )
            assert gone.json()["payload"]["successCount"] == 1
        if page["nextCursor"] is None:
            break
        page = await _search(client, seller, {}, cursor=page["nextCursor"], **query)
        seen += _ids(page)
    assert len(seen) == len(set(seen)), "a row came twice"
    assert set(before) - {deleted} <= set(seen), "a row that was there all along was skipped"
    assert deleted not in seen
    late_ids = {due: invoice_id for due, invoice_id in added_late}
    assert late_ids["2026-12-01"] not in seen
    assert {late_ids["2026-12-15"], late_ids["2026-12-30"]} <= set(seen)
    # And what was seen is in the search's own order.
    everything = _ids(await _search(client, seller, {}, orderBy="dueDate", direction="ASC"))
    assert [i for i in everything if i in set(seen)] == seen


def _sub_errors(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 400, response.text
    error = response.json()["errorResponse"]
    assert error["errorType"] == "VALIDATION_ERROR"
    return [(e["field"], e["message"]) for e in error["apiSubErrors"]]


def _altered(cursor: str) -> str:
    payload, _, signature = cursor.partition(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["i"] = "0" * 24
    raw = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{raw}.{signature}"


async def test_a_bad_or_foreign_cursor_is_a_clear_400(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    await _made(client, seller, database)
    first = await _search(client, seller, {"dispatched": False}, limit=2, orderBy="dueDate")
    cursor = first["nextCursor"]
    assert isinstance(cursor, str)

    async def refused(
        body: dict[str, Any], token: str, who: SellerContext = seller, **query: Any
    ) -> str:
        params = {"limit": 2, "orderBy": "dueDate", "cursor": token, **query}
        response = await client.post(PATH, params=params, json=body, headers=who.headers)
        errors = _sub_errors(response)
        assert errors[0][0] in ("cursor", "offset"), errors
        return errors[0][1]

    mine = {"dispatched": False}
    for token in ("", "garbage", "a.b.c", cursor[:-3], cursor + "x", _altered(cursor), "ü.€"):
        assert "issued" in await refused(mine, token)
    assert "other filters" in await refused({"dispatched": True}, cursor)
    assert "other filters" in await refused({}, cursor)
    assert "other filters" in await refused(mine, cursor, orderBy="baseAmount")
    assert "other filters" in await refused(mine, cursor, direction="ASC")
    assert "other filters" in await refused(mine, cursor, who=other_seller)
    assert "cursor" in await refused(mine, cursor, offset=2)
    # The cursor itself still works with its own search, and a smaller or larger limit.
    again = await _search(client, seller, mine, limit=5, orderBy="dueDate", cursor=cursor)
    assert (
        _ids(again)[:1] == _ids(await _search(client, seller, mine, limit=3, orderBy="dueDate"))[2:]
    )


async def test_a_cursor_page_is_one_count_and_one_page_query(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    await _made(client, seller, database)
    first = await _search(client, seller, {}, limit=4)
    with count_statements(database.engine) as counter:
        await _search(client, seller, {}, limit=4, cursor=first["nextCursor"])
    assert counter.count == 3, counter.statements  # the token, the count, the page


@pytest.mark.only_postgresql  # plans are PostgreSQL's
async def test_a_cursor_page_starts_from_an_index_on_postgresql(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    mine = await create_customer(database, seller.seller_id, legal_name="Seed Traders")
    async with database.session_factory() as session, session.begin():
        await session.execute(
            text(_SEED),
            {
                "seller_id": seller.seller_id,
                "customer_id": mine,
                "base": 10_000_000,
                "rows": 15_000,
            },
        )
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE invoice"))
    for order_by in search.ORDER_COLUMNS:
        for direction in ("ASC", "DESC"):
            query = {"orderBy": order_by, "direction": direction, "limit": 100}
            # Deep into the order: the cursor of the 5,000th row.
            deep = await _search(client, seller, {}, offset=4900, **query)
            plan = await _cursor_page_plan(client, seller, database, deep["nextCursor"], query)
            scans = _scans(plan)
            assert ("Seq Scan", "invoice") not in scans, (query, scans)
            assert any(kind.startswith("Index") and name == "invoice" for kind, name in scans)
            # The walk starts at the cursor's row: it reads about a page of index entries,
            # not the 5,000 before it.
            read = _index_rows_read(plan)
            assert 0 < read <= 500, (read, query)


async def _cursor_page_plan(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    cursor: str,
    query: dict[str, Any],
) -> dict[str, Any]:
    """EXPLAIN ANALYZE of the page statement of a cursor page."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM invoice" in statement and "count(" not in statement:
            captured.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        page = await _search(client, seller, {}, cursor=cursor, **query)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    assert len(page["invoices"]) == 100
    assert len(captured) == 1
    statement, parameters = captured[0]
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        found = await driver.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", *parameters)
    plan: dict[str, Any] = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
    return plan


def _index_rows_read(plan: dict[str, Any]) -> int:
    read = 0
    if plan["Node Type"].startswith("Index") and plan.get("Relation Name") == "invoice":
        loops = plan.get("Actual Loops", 1)
        read += (plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)) * loops
    return read + sum(_index_rows_read(child) for child in plan.get("Plans", []))
