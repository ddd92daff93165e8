"""`khata import customers`: the customer engine from the shell, with a summary and reports."""

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import select

from khata.models import AuditEntry, Customer, KeyContact
from tests.bulk.factories import csv_bytes, read_csv_report
from tests.bulk.test_customer_create import HEADERS, contact_row, customer_row
from tests.support import Database, SellerContext


async def test_import_customers_from_the_shell(
    seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    file = tmp_path / "customers.csv"
    rows = [
        customer_row("S1"),
        contact_row("S1", "Second Contact", email="second@buyer.example"),
        customer_row("S2", pinCode="12"),
    ]
    file.write_bytes(csv_bytes(rows, HEADERS))
    reports = tmp_path / "reports"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "khata.cli",
        "import",
        "customers",
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
    assert "not available" not in text
    assert "total rows" in text and "saved" in text and "failed" in text
    # Only the lines of a customer file: no items sheet, no amounts.
    assert "items sheet" not in text and "total amount" not in text
    async with database.session_factory() as session:
        saved = (
            (await session.execute(select(Customer).where(Customer.seller_id == seller.seller_id)))
            .scalars()
            .all()
        )
        assert [(c.unique_ref_no, c.created_by_name) for c in saved] == [("S1", "khata import")]
        contacts = (
            (
                await session.execute(
                    select(KeyContact.name)
                    .where(KeyContact.seller_id == seller.seller_id)
                    .order_by(KeyContact.name)
                )
            )
            .scalars()
            .all()
        )
        actors = (
            (
                await session.execute(
                    select(AuditEntry.actor_name).where(
                        AuditEntry.seller_id == seller.seller_id,
                        AuditEntry.entity_id == saved[0].id,
                    )
                )
            )
            .scalars()
            .all()
        )
    assert list(contacts) == ["Asha S1", "Second Contact"]
    assert list(actors) == ["khata import"]
    job_dir = next((reports / seller.seller_id).iterdir())
    successes = read_csv_report((job_dir / "success.csv").read_bytes())
    assert [(r["uniqueRefNo"], r["customerId"]) for r in successes] == [
        ("S1", saved[0].id),
        ("S1", saved[0].id),
    ]
    failures = read_csv_report((job_dir / "failure.csv").read_bytes())
    assert [r["error"] for r in failures] == ["pinCode: must be six digits"]
