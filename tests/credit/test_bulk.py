"""Credit notes from a file, the third kind of bulk file, through the one bulk engine: one
credit note per row by invoice number, bad rows in the failure file with why, and a file
uploaded again matching what it saved ("already imported") instead of crediting twice."""

from datetime import date
from pathlib import Path

import httpx

from tests.bulk.factories import csv_bytes, read_csv_report, read_xlsx_report, upload, xlsx_bytes
from tests.invoice.ar_factories import create_invoice, get_invoice
from tests.support import Database, SellerContext, create_customer

PATH = "/api/v0/credit-note/bulk"


async def test_credit_note_file_issues_good_rows_reports_bad_ones_and_reupload_is_safe(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    first = await create_invoice(client, seller, customer_id, invoiceNumber="BCN-1")
    second = await create_invoice(
        client, seller, customer_id, invoiceNumber="BCN-2", baseAmount=100, cgst=0, sgst=0
    )
    rows = [
        {"invoiceNumber": "BCN-1", "reason": "Returned", "amount": "118", "date": "2026-11-20"},
        {"invoiceNumber": "BCN-2", "reason": "Discount", "amount": "100", "date": "2026-11-20"},
        {"invoiceNumber": "BCN-2", "reason": "Twice", "amount": "1", "date": "2026-11-20"},
        {"invoiceNumber": "NOPE", "reason": "x", "amount": "1", "date": "2026-11-20"},
        {"invoiceNumber": "BCN-1", "reason": "x", "amount": "-1", "date": "2026-11-20"},
        {"invoiceNumber": "BCN-1", "reason": "", "amount": "1", "date": "2026-11-20"},
    ]
    content = csv_bytes(rows)
    answer = await upload(client, seller.headers, content, "credits.csv", PATH)
    assert answer.status_code == 200, answer.text
    summary = answer.json()["payload"]
    assert (summary["total_count"], summary["success_count"], summary["failure_count"]) == (6, 2, 4)
    assert summary["total_amount"] == 218

    failures = await client.get(summary["failure_file_url"], headers=seller.headers)
    errors = [row["error"] for row in read_csv_report(failures.content)]
    assert "PAID" in errors[0]  # BCN-2 was credited in full by the row before
    assert "no such invoice: NOPE" in errors[1]
    assert "amount" in errors[2] and "reason" in errors[3]
    successes = await client.get(summary["success_file_url"], headers=seller.headers)
    numbers = [row["creditNoteNumber"] for row in read_csv_report(successes.content)]
    assert numbers == ["CN-1", "CN-2"]

    again = await upload(client, seller.headers, content, "credits.csv", PATH)
    repeat = again.json()["payload"]
    assert (repeat["success_count"], repeat["warn_count"], repeat["total_amount"]) == (2, 2, 0)
    assert (await get_invoice(client, seller, first["invoiceId"]))["totalCredited"] == 118
    assert (await get_invoice(client, seller, second["invoiceId"]))["totalCredited"] == 100
    listed = await client.get("/api/v0/bulk", headers=seller.headers)
    assert listed.json()["payload"]["jobs"][0]["kind"] == "CREDIT_NOTE"


async def test_credit_note_xlsx_and_template(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    await create_invoice(client, seller, customer_id, invoiceNumber="BCNX-1")
    headers = ["invoiceNumber", "reason", "amount", "date"]
    # The date as a real date cell, as spreadsheets write it.
    content = xlsx_bytes(
        {"credit notes": (headers, [["BCNX-1", "Returned", 59, date(2026, 11, 21)]])}
    )
    answer = await upload(client, seller.headers, content, "credits.xlsx", PATH)
    assert answer.status_code == 200, answer.text
    summary = answer.json()["payload"]
    assert summary["success_count"] == 1
    report = await client.get(summary["success_file_url"], headers=seller.headers)
    assert read_xlsx_report(report.content, tmp_path)[0]["creditNoteNumber"] == "CN-1"
    template = await client.get(f"{PATH}/template?format=csv", headers=seller.headers)
    assert template.text.strip() == "invoiceNumber,reason,amount,date,description"
    missing = await upload(
        client, seller.headers, b"invoiceNumber,amount\nBCNX-1,1\n", "bad.csv", PATH
    )
    assert missing.status_code == 400
    assert "reason" in missing.json()["errorResponse"]["errorMessage"]
