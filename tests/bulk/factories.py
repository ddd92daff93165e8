"""Bulk test helpers: build CSV/XLSX files, upload them, and read report files back."""

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import python_calamine
import xlsxwriter

from khata.bulk.files import cell_text

HEADERS = [
    "invoiceNumber",
    "customerId",
    "invoiceDate",
    "dueDate",
    "baseAmount",
    "cgst",
    "sgst",
    "igst",
    "tds",
]


def invoice_row(number: str, customer_id: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "invoiceNumber": number,
        "customerId": customer_id,
        "invoiceDate": "2025-01-10",
        "dueDate": "2025-02-09",
        "baseAmount": "1000.00",
        "cgst": "90",
        "sgst": "90",
        "igst": "0",
        "tds": "0",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: Sequence[dict[str, Any]], headers: Sequence[str] | None = None) -> bytes:
    columns = list(headers or (rows[0].keys() if rows else HEADERS))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode("utf-8")


def xlsx_bytes(
    sheets: dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]],
) -> bytes:
    """Sheets in order: name -> (headers, rows); dates written as real date cells."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, (headers, rows) in sheets.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, list(headers))
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if hasattr(value, "isoformat") and not isinstance(value, str):
                    sheet.write_datetime(r, c, value, date_format)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    name: str = "invoices.csv",
    path: str = "/api/v0/invoice/bulk/create",
) -> httpx.Response:
    return await client.post(path, headers=headers, files={"file": (name, content)})


def read_csv_report(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def read_xlsx_report(content: bytes, tmp: Path, sheet: int | str = 0) -> list[dict[str, str]]:
    path = tmp / "report.xlsx"
    path.write_bytes(content)
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    worksheet = (
        book.get_sheet_by_index(sheet) if isinstance(sheet, int) else book.get_sheet_by_name(sheet)
    )
    rows = [[cell_text(c) for c in row] for row in worksheet.iter_rows()]
    book.close()
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]
