"""Re-uploading a file safely, in-file duplicates, and XLSX files with an items sheet."""

from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import select

from khata.models import Invoice, InvoiceLine
from tests.bulk.factories import (
    HEADERS,
    csv_bytes,
    invoice_row,
    read_csv_report,
    read_xlsx_report,
    upload,
    xlsx_bytes,
)
from tests.support import Database, SellerContext, create_customer

ITEM_HEADERS = ["invoiceNumber", "description", "hsnCode", "quantity", "unitPrice", "gstRate"]


async def _saved(database: Database, seller_id: str) -> dict[str, Invoice]:
    async with database.session_factory() as session:
        result = await session.execute(select(Invoice).where(Invoice.seller_id == seller_id))
        return {i.invoice_number: i for i in result.scalars()}


async def test_reupload_is_safe_and_completes_the_rest(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    first = [invoice_row("D1", customer), invoice_row("D2", customer)]
    response = await upload(client, seller.headers, csv_bytes(first))
    assert response.json()["payload"]["success_count"] == 2
    before = await _saved(database, seller.seller_id)

    again = [
        *first,
        invoice_row("D3", customer),
        invoice_row("D3", customer, baseAmount="5"),
    ]
    again[1] = invoice_row("D2", customer, baseAmount="999")
    payload = (await upload(client, seller.headers, csv_bytes(again))).json()["payload"]
    assert (
        payload["total_count"],
        payload["success_count"],
        payload["failure_count"],
        payload["warn_count"],
        payload["total_amount"],
    ) == (4, 2, 2, 1, 1180.0)
    assert payload["successRequests"][0] == {
        **first[0],
        "invoiceId": before["D1"].id,
        "warnings": "already imported",
    }
    assert [r["error"] for r in payload["failureRequests"]] == [
        "invoiceNumber already exists with different content",
        "invoiceNumber: appears more than once in this file",
    ]
    after = await _saved(database, seller.seller_id)
    assert sorted(after) == ["D1", "D2", "D3"]
    assert after["D2"].base_amount == 100000
    assert after["D3"].entity_id == 3


async def test_xlsx_with_items_sheet_saves_lines_and_fails_bad_items(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    customer = await create_customer(database, seller.seller_id)
    invoices = [
        ["X1", customer, date(2025, 3, 1), date(2025, 3, 31), 1500, 135, 135, 0, 0],
        ["X2", customer, date(2025, 3, 1), date(2025, 3, 31), 200, 18, 18, 0, 0],
        ["X3", customer, "01/03/2025", "31-03-2025", 100.125, 0, 0, 0, 0],
    ]
    items = [
        ["X1", "Steel rods", "7214", 10, 100, 18],
        ["X1", "Bolts", "7318", 5, 100.0, 18],
        ["X2", "Nuts", "73AB", 0, 10, 18],
        ["X9", "Orphan", "7318", 1, 10, 18],
    ]
    content = xlsx_bytes({"invoices": (HEADERS, invoices), "items": (ITEM_HEADERS, items)})
    response = await upload(client, seller.headers, content, "march.xlsx")
    payload = response.json()["payload"]
    assert (
        payload["total_count"],
        payload["success_count"],
        payload["failure_count"],
        payload["failure_count_second_file"],
        payload["warn_count"],
        payload["total_amount"],
    ) == (3, 2, 1, 2, 1, 1770.0 + 100.13)
    assert payload["success_file_name"] == "march_success.xlsx"
    assert payload["failureRequests"][0]["invoiceNumber"] == "X2"
    assert payload["failureRequests"][0]["error"] == (
        "items row 4: hsnCode: must be 4 to 8 digits (got '73AB'); "
        "quantity: must be a whole number above 0 (got '0')"
    )
    saved = await _saved(database, seller.seller_id)
    async with database.session_factory() as session:
        lines = (
            (
                await session.execute(
                    select(InvoiceLine)
                    .where(InvoiceLine.seller_id == seller.seller_id)
                    .order_by(InvoiceLine.position)
                )
            )
            .scalars()
            .all()
        )
    assert [(line.invoice_id, line.name, line.amount, line.tax) for line in lines] == [
        (saved["X1"].id, "Steel rods", 100000, 18000),
        (saved["X1"].id, "Bolts", 50000, 9000),
    ]
    assert saved["X3"].invoice_date == date(2025, 3, 1)

    success = await client.get(payload["success_file_url"], headers=seller.headers)
    assert success.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    success_rows = read_xlsx_report(success.content, tmp_path)
    assert [(r["invoiceNumber"], r["invoiceId"], r["warnings"]) for r in success_rows] == [
        ("X1", saved["X1"].id, ""),
        ("X3", saved["X3"].id, "baseAmount: 100.125 rounded to 100.13"),
    ]
    failure = await client.get(payload["failure_file_url"], headers=seller.headers)
    failure_rows = read_xlsx_report(failure.content, tmp_path)
    assert [r["invoiceNumber"] for r in failure_rows] == ["X2"]
    item_failures = read_xlsx_report(failure.content, tmp_path, "items")
    assert [(r["invoiceNumber"], r["error"]) for r in item_failures] == [
        (
            "X2",
            "hsnCode: must be 4 to 8 digits (got '73AB'); "
            "quantity: must be a whole number above 0 (got '0')",
        ),
        ("X9", "invoiceNumber: no invoice row 'X9' in this file"),
    ]


async def test_xlsx_report_escapes_formulas(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    customer = await create_customer(database, seller.seller_id)
    headers = [*HEADERS, "note"]
    rows = [
        ["F1", customer, "2025-03-01", "2025-03-02", 10, 0, 0, 0, 0, "=1+1"],
        ["@F2", customer, "2025-03-01", "2025-03-02", "+5", 0, 0, 0, 0, "-2"],
    ]
    payload = (
        await upload(client, seller.headers, xlsx_bytes({"s": (headers, rows)}), "f.xlsx")
    ).json()["payload"]
    assert payload["success_count"] == 2
    success = await client.get(payload["success_file_url"], headers=seller.headers)
    report = read_xlsx_report(success.content, tmp_path)
    assert [(r["invoiceNumber"], r["baseAmount"], r["note"]) for r in report] == [
        ("F1", "10", "'=1+1"),
        ("'@F2", "'+5", "'-2"),
    ]


async def test_report_files_belong_to_their_seller(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    customer = await create_customer(database, seller.seller_id)
    payload = (
        await upload(client, seller.headers, csv_bytes([invoice_row("O1", customer)]))
    ).json()["payload"]
    stolen = await client.get(payload["success_file_url"], headers=other_seller.headers)
    assert stolen.status_code == 404
    assert stolen.json()["errorResponse"]["errorType"] == "RECORD_NOT_FOUND"
    anonymous = await client.get(payload["failure_file_url"])
    assert anonymous.status_code == 401
    job = await client.get(f"/api/v0/bulk/{payload['jobId']}", headers=seller.headers)
    assert job.json()["payload"] == payload
    other = await client.get(f"/api/v0/bulk/{payload['jobId']}", headers=other_seller.headers)
    assert other.status_code == 404
    failure = await client.get(payload["failure_file_url"], headers=seller.headers)
    assert read_csv_report(failure.content) == []


async def test_items_sheet_huge_quantities_fail_their_invoice_not_the_request(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    customer = await create_customer(database, seller.seller_id)
    invoices = [
        [number, customer, "2025-03-01", "2025-03-31", 10, 0, 0, 0, 0]
        for number in ("Q1", "Q2", "Q3")
    ]
    items = [
        ["Q1", "Rods", "7214", "1e30", 1, 18],
        ["Q2", "Bolts", "7318", 1000000000, 999999999999, 18],
        ["Q3", "Nuts", "7318", 2, 5, 18],
    ]
    # The sheet name is matched like the headers, case-insensitively.
    content = xlsx_bytes({"invoices": (HEADERS, invoices), "Items": (ITEM_HEADERS, items)})
    response = await upload(client, seller.headers, content, "big.xlsx")
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert (
        payload["success_count"],
        payload["failure_count"],
        payload["failure_count_second_file"],
        payload["total_amount"],
    ) == (1, 2, 2, 10.0)
    assert [(r["invoiceNumber"], r["error"]) for r in payload["failureRequests"]] == [
        ("Q1", "items row 2: quantity: must not exceed 1000000000 (got '1e30')"),
        (
            "Q2",
            "items row 3: unitPrice: quantity x unitPrice must not exceed 999999999999.99",
        ),
    ]
    saved = await _saved(database, seller.seller_id)
    assert sorted(saved) == ["Q3"]
    async with database.session_factory() as session:
        lines = (
            (
                await session.execute(
                    select(InvoiceLine).where(InvoiceLine.seller_id == seller.seller_id)
                )
            )
            .scalars()
            .all()
        )
    assert [(line.invoice_id, line.amount, line.tax) for line in lines] == [
        (saved["Q3"].id, 1000, 180)
    ]


async def test_items_of_a_failed_invoice_row_are_not_orphans(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    customer = await create_customer(database, seller.seller_id)
    invoices = [
        ["F1", customer, "2025-13-01", "2025-03-31", 10, 0, 0, 0, 0],
        ["F2", customer, "2025-03-01", "2025-03-31", "abc", 0, 0, 0, 0],
        ["F3", customer, "2025-03-01", "2025-03-31", 10, 0, 0, 0, 0],
    ]
    items = [
        ["F1", "Rods", "7214", 1, 10, 0],
        ["F2", "Bolts", "7318", 0, 10, 0],
        ["F3", "Nuts", "7318", 1, 10, 0],
        ["F9", "Orphan", "7318", 1, 10, 0],
    ]
    content = xlsx_bytes({"invoices": (HEADERS, invoices), "items": (ITEM_HEADERS, items)})
    payload = (await upload(client, seller.headers, content, "f.xlsx")).json()["payload"]
    assert (
        payload["success_count"],
        payload["failure_count"],
        payload["failure_count_second_file"],
        payload["total_amount"],
    ) == (1, 2, 2, 10.0)
    assert [(r["invoiceNumber"], r["error"]) for r in payload["failureRequests"]] == [
        (
            "F1",
            "invoiceDate: must be a date as yyyy-MM-dd, dd-MM-yyyy or dd/MM/yyyy "
            "(got '2025-13-01')",
        ),
        (
            "F2",
            "baseAmount: must be a number (got 'abc'); "
            "items row 3: quantity: must be a whole number above 0 (got '0')",
        ),
    ]
    failure = await client.get(payload["failure_file_url"], headers=seller.headers)
    item_failures = read_xlsx_report(failure.content, tmp_path, "items")
    assert [(r["invoiceNumber"], r["error"]) for r in item_failures] == [
        ("F2", "quantity: must be a whole number above 0 (got '0')"),
        ("F9", "invoiceNumber: no invoice row 'F9' in this file"),
    ]


async def test_reupload_with_another_contact_is_different_content(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    columns = [*HEADERS, "emailAddress", "mobileNumber"]
    first = [invoice_row("E1", customer, emailAddress="ap@buyer.example", mobileNumber="")]
    payload = (await upload(client, seller.headers, csv_bytes(first, columns))).json()["payload"]
    assert payload["success_count"] == 1
    again = [
        invoice_row("E1", customer, emailAddress="ap@buyer.example", mobileNumber=""),
        invoice_row("E1", customer, emailAddress="other@buyer.example", mobileNumber=""),
    ]
    for row, expected in zip(
        again,
        [
            (1, 0, 1, 0.0, ""),
            (0, 1, 0, 0.0, "invoiceNumber already exists with different content"),
        ],
        strict=True,
    ):
        payload = (await upload(client, seller.headers, csv_bytes([row], columns))).json()[
            "payload"
        ]
        errors = [r["error"] for r in payload["failureRequests"]]
        assert (
            payload["success_count"],
            payload["failure_count"],
            payload["warn_count"],
            payload["total_amount"],
            errors[0] if errors else "",
        ) == expected


async def test_xlsx_cells_with_a_nul_character_fail_their_row(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    invoices = [
        ["Z1", customer, "2025-03-01", "2025-03-31", 10, 0, 0, 0, 0, "a\x00b"],
        ["Z2", customer, "2025-03-01", "2025-03-31", 10, 0, 0, 0, 0, "ok"],
        ["Z3", customer, "2025-03-01", "2025-03-31", 10, 0, 0, 0, 0, "ok"],
    ]
    items = [["Z2", "Nu\x00ts", "7318", 1, 10, 0], ["Z3", "Nuts", "7318", 1, 10, 0]]
    content = xlsx_bytes(
        {"invoices": ([*HEADERS, "note"], invoices), "items": (ITEM_HEADERS, items)}
    )
    response = await upload(client, seller.headers, content, "nul.xlsx")
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert (
        payload["success_count"],
        payload["failure_count"],
        payload["failure_count_second_file"],
    ) == (1, 2, 1)
    assert [(r["invoiceNumber"], r["error"]) for r in payload["failureRequests"]] == [
        ("Z1", "note: must not contain a NUL character"),
        ("Z2", "items row 2: description: must not contain a NUL character"),
    ]
    assert sorted(await _saved(database, seller.seller_id)) == ["Z3"]
