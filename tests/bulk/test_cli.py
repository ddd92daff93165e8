"""`khata import invoices`: the same engine from the shell, with a summary and report files."""

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import select

from khata.models import Invoice
from tests.bulk.factories import csv_bytes, invoice_row, read_csv_report
from tests.support import Database, SellerContext, create_customer


async def test_import_invoices_from_the_shell(
    seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    customer = await create_customer(database, seller.seller_id)
    file = tmp_path / "cli.csv"
    file.write_bytes(
        csv_bytes([invoice_row("C1", customer), invoice_row("C2", "KCNOSUCHCUSTOM00")])
    )
    reports = tmp_path / "reports"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "khata.cli",
        "import",
        "invoices",
        str(file),
        "--seller",
        seller.seller_id,
        "--report-dir",
        str(reports),
        env={**os.environ, "KHATA_DATABASE_URL": database.url, "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode()
    # Exit code 2: the import ran, and some rows failed.
    assert process.returncode == 2, text
    assert "saved" in text and "total amount" in text and "1,180.00" in text
    assert "failed (items sheet)" in text
    async with database.session_factory() as session:
        saved = (
            (await session.execute(select(Invoice).where(Invoice.seller_id == seller.seller_id)))
            .scalars()
            .all()
        )
    assert [(i.invoice_number, i.via, i.created_by_name) for i in saved] == [
        ("C1", "BULK_UPLOAD", "khata import")
    ]
    job_dir = next((reports / seller.seller_id).iterdir())
    failures = read_csv_report((job_dir / "failure.csv").read_bytes())
    assert [r["error"] for r in failures] == ["customerId: customer 'KCNOSUCHCUSTOM00' not found"]
