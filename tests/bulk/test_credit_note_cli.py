"""`khata import credit-notes`: the credit-note file from the shell, with a summary and
reports, through the same rules as the HTTP upload."""

import asyncio
import os
import sys
from pathlib import Path

import httpx

from tests.bulk.factories import csv_bytes
from tests.invoice.ar_factories import create_invoice, get_invoice
from tests.support import Database, SellerContext, create_customer


async def test_import_credit_notes_from_the_shell(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    # Dated long ago: the shell's clock is the machine's, and a credit note may not be future.
    invoice = await create_invoice(
        client,
        seller,
        customer_id,
        invoiceNumber="CLI-CN-1",
        invoiceDate="2020-01-01",
        dueDate="2020-01-31",
    )
    file = tmp_path / "credits.csv"
    rows = [
        {"invoiceNumber": "CLI-CN-1", "reason": "Returned", "amount": "59", "date": "2020-01-02"},
        {"invoiceNumber": "CLI-NOPE", "reason": "Returned", "amount": "1", "date": "2020-01-02"},
    ]
    file.write_bytes(csv_bytes(rows))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "khata.cli",
        "import",
        "credit-notes",
        str(file),
        "--seller",
        seller.seller_id,
        "--report-dir",
        str(tmp_path / "reports"),
        env={**os.environ, "KHATA_DATABASE_URL": database.url, "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode()
    assert process.returncode == 2, text  # it ran, and one row failed
    assert "total amount" in text and "59.00" in text
    shown = await get_invoice(client, seller, invoice["invoiceId"])
    assert shown["totalCredited"] == 59
    assert shown["balanceAmount"] == 1180 - 59
