"""Unusable files: a clear 400 CLIENT_REQUEST_ERROR, and nothing written."""

import io
import zipfile

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from khata.models import BulkJob, Invoice
from tests.bulk.factories import csv_bytes, invoice_row, upload, xlsx_bytes
from tests.support import Database, SellerContext, create_customer


async def _assert_refused(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["errorResponse"]
    assert error["errorType"] == "CLIENT_REQUEST_ERROR"
    assert error["errorMessage"] == message


async def _nothing_written(database: Database, seller_id: str) -> None:
    async with database.session_factory() as session:
        invoices = await session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.seller_id == seller_id)
        )
        jobs = await session.scalar(
            select(func.count()).select_from(BulkJob).where(BulkJob.seller_id == seller_id)
        )
    assert (invoices, jobs) == (0, 0)


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"%PDF-1.4", "Only CSV or XLSX files are accepted (got 'report.pdf')"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "Only CSV or XLSX files are accepted (got 'old.xls')"),
        ("empty.csv", b"", "File is empty: a header row is required"),
        ("blank.csv", b"\xef\xbb\xbf\r\n\r\n", "File is empty: a header row is required"),
        (
            "cols.csv",
            b"invoiceNumber,baseAmount,invoiceDate\nA,1,2025-01-01\n",
            "invoices: missing required columns: customerId, dueDate",
        ),
        (
            "latin.csv",
            b"invoiceNumber,customerId,invoiceDate,dueDate,baseAmount\nCaf\xe9,K,a,b,1\n",
            "File is not UTF-8 text (undecodable byte near line 2)",
        ),
        ("fake.xlsx", b"invoiceNumber,customerId\n", "File is not a valid XLSX workbook"),
        (
            # A header alone (the template sent back, an emptied export) imports nothing: a
            # 400 says so, where a 200 with total_count 0 would read as a success.
            "header.csv",
            b"invoiceNumber,customerId,invoiceDate,dueDate,baseAmount\r\n,,,,\r\n",
            "invoices: the file has a header row but no data rows",
        ),
        (
            "header.xlsx",
            xlsx_bytes(
                {
                    "invoices": (
                        ["invoiceNumber", "customerId", "invoiceDate", "dueDate", "baseAmount"],
                        [],
                    )
                }
            ),
            "invoices: the file has a header row but no data rows",
        ),
        ("binary.csv", b"PK\x03\x04\x00\x00", "File is not CSV text (it looks binary)"),
        (
            # The NUL is past the first 4 KiB that the binary sniff looks at.
            "nul.csv",
            b"invoiceNumber,customerId,invoiceDate,dueDate,baseAmount\n"
            + b"A,KC1,2025-01-01,2025-01-02,1\n" * 200
            + b"B,KC1,2025-01-01,2025-01-02,1\x00\n",
            "File is not CSV text (NUL byte on line 202)",
        ),
        (
            "bomb.xlsx",
            _bomb(),
            "XLSX member 'xl/worksheets/sheet1.xml' expands more than 200 times: "
            "refused as a zip bomb",
        ),
        (
            "dup.csv",
            b"invoiceNumber,customerId,invoiceDate,dueDate,baseAmount,InvoiceNumber\n",
            "invoices: column 'InvoiceNumber' appears more than once",
        ),
    ],
)
async def test_unusable_file_is_refused_and_writes_nothing(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    name: str,
    content: bytes,
    message: str,
) -> None:
    response = await upload(client, seller.headers, content, name)
    await _assert_refused(response, message)
    await _nothing_written(database, seller.seller_id)


async def test_missing_file_part_is_refused(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    response = await client.post(
        "/api/v0/invoice/bulk/create", headers=seller.headers, data={"other": "x"}
    )
    await _assert_refused(
        response, "Multipart form field 'file' with a CSV or XLSX file is required"
    )
    await _nothing_written(database, seller.seller_id)


async def test_size_and_row_limits(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = await create_customer(database, seller.seller_id)
    content = csv_bytes([invoice_row(f"L{i}", customer) for i in range(3)])
    monkeypatch.setattr(app.state.settings, "bulk_max_rows", 2)
    response = await upload(client, seller.headers, content)
    await _assert_refused(response, "File has more than the limit of 2 rows")
    monkeypatch.setattr(app.state.settings, "bulk_max_rows", 1_000_000)
    monkeypatch.setattr(app.state.settings, "bulk_max_bytes", 100)
    response = await upload(client, seller.headers, content)
    await _assert_refused(response, "File is larger than the limit of 100 bytes")
    await _nothing_written(database, seller.seller_id)


async def test_templates_carry_the_headers(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    csv_template = await client.get(
        "/api/v0/invoice/bulk/template", params={"format": "csv"}, headers=seller.headers
    )
    assert csv_template.status_code == 200
    assert csv_template.text.strip() == (
        "invoiceNumber,customerId,invoiceDate,dueDate,baseAmount,cgst,sgst,igst,tds,"
        "gstExclusive,partialPaymentAllowed,description,poNumber,externalId,emailAddress,"
        "mobileNumber,dispatchNow"
    )
    xlsx_template = await client.get(
        "/api/v0/invoice/bulk/template", params={"format": "xlsx"}, headers=seller.headers
    )
    with zipfile.ZipFile(io.BytesIO(xlsx_template.content)) as archive:
        assert "xl/worksheets/sheet2.xml" in archive.namelist()
    wrong = await client.get(
        "/api/v0/invoice/bulk/template", params={"format": "pdf"}, headers=seller.headers
    )
    assert wrong.status_code == 400
