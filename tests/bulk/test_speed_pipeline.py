"""The pipelined engine: many small batches give the same result as one, in file order, and a
failure part-way keeps whole batches only, which a re-run completes."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from khata.bulk.engine import JobSummary, committing_scope
from khata.bulk.files import Limits, stage_local
from khata.bulk.jobs import export_reports
from khata.bulk.service import InvoiceImport
from khata.invoice import repository
from khata.invoice.rows import Author
from khata.models import AuditEntry, BulkJob, Invoice, Seller
from tests.bulk.factories import csv_bytes, invoice_row, read_csv_report
from tests.support import Database, SellerContext, create_customer

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
LIMITS = Limits(max_bytes=10_000_000, max_rows=1_000)


async def _import(
    database: Database, seller_id: str, file: Path, report_dir: Path, *, batch_size: int
) -> JobSummary:
    async with database.session_factory() as session:
        seller = await session.get(Seller, seller_id)
    assert seller is not None
    summary = await InvoiceImport(
        staged=stage_local(file, limits=LIMITS),
        seller=seller,
        actor=Author(id=None, name="pipeline test", type=None),
        now=NOW,
        public_base_url="http://testserver",
        limits=LIMITS,
        batch_scope=committing_scope(database.session_factory),
        batch_size=batch_size,
    ).run()
    await export_reports(
        database.session_factory, seller_id=seller_id, job_id=summary.job_id, directory=report_dir
    )
    return summary


async def _saved(database: Database, seller_id: str) -> list[Invoice]:
    async with database.session_factory() as session:
        result = await session.execute(
            select(Invoice).where(Invoice.seller_id == seller_id).order_by(Invoice.entity_id)
        )
        return list(result.scalars())


async def _audited(database: Database, seller_id: str) -> list[str]:
    """The invoice numbers of the seller's CREATED invoice audit entries, in file order."""
    async with database.session_factory() as session:
        entries = (
            await session.execute(
                select(AuditEntry).where(
                    AuditEntry.seller_id == seller_id, AuditEntry.entity_type == "invoice"
                )
            )
        ).scalars()
        return sorted(entry.after["invoiceNumber"] for entry in entries)


def _rows(customer: str) -> list[dict[str, Any]]:
    return [
        invoice_row("P1", customer),
        invoice_row("P2", customer, baseAmount="abc"),
        invoice_row("P3", customer, baseAmount="2000"),
        invoice_row("P1", customer),  # the same number again, in a later batch
        invoice_row("P4", "KCNOSUCHCUSTOM00"),
        invoice_row("P5", customer, baseAmount="10.005"),
        invoice_row("P6", customer, cgst="0", sgst="0"),
    ]


async def test_small_batches_report_every_row_in_file_order(
    seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    customer = await create_customer(database, seller.seller_id)
    file = tmp_path / "pipeline.csv"
    file.write_bytes(csv_bytes(_rows(customer)))

    summary = await _import(database, seller.seller_id, file, tmp_path / "r", batch_size=2)

    assert (summary.total_count, summary.success_count, summary.failure_count) == (7, 4, 3)
    assert summary.warn_count == 1
    # 1180.00 + 2180.00 + 190.01 (10.005 rounds to 10.01, plus 90 + 90) + 1000.00
    assert summary.total_amount == 118_000 + 218_000 + 19_001 + 100_000
    job_dir = tmp_path / "r" / seller.seller_id / summary.job_id
    successes = read_csv_report((job_dir / "success.csv").read_bytes())
    failures = read_csv_report((job_dir / "failure.csv").read_bytes())
    assert [r["invoiceNumber"] for r in successes] == ["P1", "P3", "P5", "P6"]
    assert successes[2]["warnings"] == "baseAmount: 10.005 rounded to 10.01"
    assert [(r["invoiceNumber"], r["error"]) for r in failures] == [
        ("P2", "baseAmount: must be a number (got 'abc')"),
        ("P1", "invoiceNumber: appears more than once in this file"),
        ("P4", "customerId: customer 'KCNOSUCHCUSTOM00' not found"),
    ]
    saved = await _saved(database, seller.seller_id)
    # entityIds follow the file's order across batches; each report row names its invoice.
    assert [i.invoice_number for i in saved] == ["P1", "P3", "P5", "P6"]
    assert [i.id for i in saved] == [r["invoiceId"] for r in successes]
    assert [i.entity_id for i in saved] == list(range(saved[0].entity_id, saved[0].entity_id + 4))
    assert [r["invoiceNumber"] for r in summary.success_requests] == ["P1", "P3", "P5", "P6"]


async def test_a_failing_batch_keeps_whole_earlier_batches_and_a_rerun_completes(
    seller: SellerContext,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer = await create_customer(database, seller.seller_id)
    rows = [invoice_row(f"F{n}", customer) for n in range(1, 8)]
    file = tmp_path / "crash.csv"
    file.write_bytes(csv_bytes(rows))
    real_insert = repository.insert_invoice_records
    calls = 0

    async def failing_third_batch(session: Any, records: list[list[Any]], **options: Any) -> None:
        nonlocal calls
        calls += 1
        await real_insert(
            session, records, **options
        )  # written, then the batch fails before commit
        if calls == 3:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(repository, "insert_invoice_records", failing_third_batch)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await _import(database, seller.seller_id, file, tmp_path / "r", batch_size=2)

    assert [i.invoice_number for i in await _saved(database, seller.seller_id)] == [
        "F1",
        "F2",
        "F3",
        "F4",
    ]
    async with database.session_factory() as session:
        job = (
            await session.execute(select(BulkJob).where(BulkJob.seller_id == seller.seller_id))
        ).scalar_one()
    assert (job.status, job.total_count, job.success_count) == ("FAILED", 4, 4)
    # The batch after the failing one had written its audit entries (they need nothing earlier
    # batches write) before it learned of the failure: they went with its rollback.
    assert await _audited(database, seller.seller_id) == ["F1", "F2", "F3", "F4"]
    # Its report lists exactly the rows its committed batches saved.
    folder = await export_reports(
        database.session_factory, seller_id=seller.seller_id, job_id=job.id, directory=tmp_path
    )
    assert folder is not None
    failed_report = read_csv_report((folder / "success.csv").read_bytes())
    assert [r["invoiceNumber"] for r in failed_report] == ["F1", "F2", "F3", "F4"]

    monkeypatch.setattr(repository, "insert_invoice_records", real_insert)
    summary = await _import(database, seller.seller_id, file, tmp_path / "r2", batch_size=2)

    assert (summary.success_count, summary.failure_count, summary.warn_count) == (7, 0, 4)
    assert [i.invoice_number for i in await _saved(database, seller.seller_id)] == [
        f"F{n}" for n in range(1, 8)
    ]
    successes = read_csv_report(
        (tmp_path / "r2" / seller.seller_id / summary.job_id / "success.csv").read_bytes()
    )
    assert [r["warnings"] for r in successes] == ["already imported"] * 4 + [""] * 3


async def test_many_overlapping_batches_number_every_invoice_in_file_order(
    seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    # Thirty batches, each looking up and writing its audit entries while the one before is
    # still saving, and every fifth row refused: the entityIds still follow the file, with no
    # gap, and the job finishes (a batch taking the number series before the batch ahead of it
    # would wait on it forever, as that one waits on the series).
    customer = await create_customer(database, seller.seller_id)
    rows = [
        invoice_row(f"M{n:04d}", customer if n % 5 else "KCNOSUCHCUSTOM00") for n in range(1, 901)
    ]
    file = tmp_path / "many.csv"
    file.write_bytes(csv_bytes(rows))

    summary = await asyncio.wait_for(
        _import(database, seller.seller_id, file, tmp_path / "r", batch_size=30), timeout=120
    )

    assert (summary.success_count, summary.failure_count) == (720, 180)
    saved = await _saved(database, seller.seller_id)
    assert [i.invoice_number for i in saved] == [f"M{n:04d}" for n in range(1, 901) if n % 5]
    first = saved[0].entity_id
    assert [i.entity_id for i in saved] == list(range(first, first + 720))
    assert await _audited(database, seller.seller_id) == [i.invoice_number for i in saved]
