"""Bulk jobs tell the truth: status in every answer, the seller's list, and a job whose process
died closed as FAILED with the counts its committed batches wrote (both databases)."""

import os
from datetime import timedelta
from pathlib import Path

import httpx

from khata.bulk import repository
from khata.bulk.files import Limits, StagedFile, discard, stage_upload, sweep_uploads
from khata.bulk.jobs import Liveness, close_dead_jobs
from khata.kit.timeutil import utc_now
from khata.models import BulkJob
from tests.bulk.factories import (
    csv_bytes,
    invoice_row,
    read_xlsx_report,
    upload,
    xlsx_bytes,
)
from tests.support import Database, SellerContext, create_customer

LIVENESS = Liveness(stale_seconds=300)


async def _job(database: Database, seller_id: str, job_id: str) -> BulkJob:
    async with database.session_factory() as session:
        job = await session.get(BulkJob, (seller_id, job_id))
    assert job is not None
    return job


async def test_the_seller_lists_its_jobs_newest_first_with_status_and_paging(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    customer = await create_customer(database, seller.seller_id)
    ids = []
    for n in range(3):
        rows = [invoice_row(f"L{n}-1", customer), invoice_row(f"L{n}-2", "KCNOSUCHCUSTOM00")]
        answer = await upload(client, seller.headers, csv_bytes(rows), f"file{n}.csv")
        assert answer.json()["payload"]["status"] == "COMPLETED"
        ids.append(answer.json()["payload"]["jobId"])

    listed = await client.get("/api/v0/bulk", headers=seller.headers)
    page = await client.get("/api/v0/bulk?limit=1&offset=1", headers=seller.headers)
    theirs = await client.get("/api/v0/bulk", headers=other_seller.headers)

    assert listed.status_code == 200, listed.text
    payload = listed.json()["payload"]
    assert [job["jobId"] for job in payload["jobs"]] == ids[::-1]
    assert payload["totalCount"] == 3
    newest = payload["jobs"][0]
    assert (newest["status"], newest["kind"], newest["fileName"]) == (
        "COMPLETED",
        "INVOICE",
        "file2.csv",
    )
    assert (newest["success_count"], newest["failure_count"]) == (1, 1)
    assert newest["success_file_url"].endswith(f"/api/v0/bulk/{ids[2]}/files/success")
    assert [job["jobId"] for job in page.json()["payload"]["jobs"]] == [ids[1]]
    assert theirs.json()["payload"] == {"jobs": [], "totalCount": 0, "limit": 100, "offset": 0}
    one = await client.get(f"/api/v0/bulk/{ids[0]}", headers=seller.headers)
    assert one.json()["payload"]["status"] == "COMPLETED"


async def _running_job(database: Database, seller_id: str, *, beat_seconds_ago: int) -> str:
    """A job as a process leaves it when it dies after one committed batch of 2 rows."""
    now = utc_now()  # liveness is judged by the wall clock, as the server does
    job_id = f"{beat_seconds_ago:024x}"
    async with database.session_factory() as session, session.begin():
        session.add(
            BulkJob(
                seller_id=seller_id,
                id=job_id,
                kind="INVOICE",
                file_name="died.csv",
                file_format="csv",
                status="RUNNING",
                total_count=2,
                success_count=1,
                failure_count=1,
                failure_count_second_file=0,
                warn_count=0,
                total_amount=118_000,
                created_at=now,
                heartbeat_at=now - timedelta(seconds=beat_seconds_ago),
            )
        )
    return job_id


async def test_a_job_whose_heartbeat_went_stale_is_closed_failed_with_its_counts(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    job_id = await _running_job(database, seller.seller_id, beat_seconds_ago=3600)

    answer = await client.get(f"/api/v0/bulk/{job_id}", headers=seller.headers)

    payload = answer.json()["payload"]
    assert (payload["status"], payload["total_count"], payload["success_count"]) == (
        "FAILED",
        2,
        1,
    )
    assert payload["total_amount"] == 1180.0
    job = await _job(database, seller.seller_id, job_id)
    assert job.status == "FAILED" and job.finished_at is not None


async def test_a_fresh_job_is_closed_at_once_only_where_its_lock_tells_it_is_dead(
    seller: SellerContext, database: Database
) -> None:
    job_id = await _running_job(database, seller.seller_id, beat_seconds_ago=1)
    now = utc_now()
    async with (
        repository.job_lock(database.engine, job_id),  # as a live process holds it
        database.session_factory() as session,
        session.begin(),
    ):
        held = await close_dead_jobs(session, now=now, liveness=LIVENESS, job_ids=[job_id])
    async with database.session_factory() as session, session.begin():
        freed = await close_dead_jobs(session, now=now, liveness=LIVENESS, job_ids=[job_id])

    assert held == []
    if database.backend == "postgresql":  # the process's lock went with it: closed at once
        assert freed == [(seller.seller_id, job_id)]
        assert (await _job(database, seller.seller_id, job_id)).status == "FAILED"
    else:  # SQLite has only the heartbeat: RUNNING until it goes stale
        assert freed == []
        later = now + timedelta(seconds=LIVENESS.stale_seconds + 1)
        async with database.session_factory() as session, session.begin():
            stale = await close_dead_jobs(session, now=later, liveness=LIVENESS, job_ids=[job_id])
        assert stale == [(seller.seller_id, job_id)]


async def test_a_batch_of_a_job_closed_elsewhere_is_not_counted(
    seller: SellerContext, database: Database
) -> None:
    job_id = await _running_job(database, seller.seller_id, beat_seconds_ago=3600)
    async with database.session_factory() as session, session.begin():
        await close_dead_jobs(session, now=utc_now(), liveness=LIVENESS, job_ids=[job_id])
        counted = await repository.record_batch(
            session,
            seller_id=seller.seller_id,
            job_id=job_id,
            counts={"total_count": 5, "success_count": 5},
            heartbeat_at=utc_now(),
        )

    assert counted is False
    assert (await _job(database, seller.seller_id, job_id)).total_count == 2


async def test_xlsx_reports_come_from_the_database_the_same_bytes_each_time(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    customer = await create_customer(database, seller.seller_id)
    headers = ["invoiceNumber", "customerId", "invoiceDate", "dueDate", "baseAmount", "note"]
    book = xlsx_bytes(
        {
            "invoices": (
                headers,
                [
                    ["X-1", customer, "2025-01-10", "2025-02-09", 1000, "=cmd()"],
                    ["X-2", "KCNOSUCHCUSTOM00", "2025-01-10", "2025-02-09", 5, "n"],
                ],
            ),
            "items": (
                ["invoiceNumber", "description", "quantity", "unitPrice"],
                [["X-9", "orphan", 1, 1]],
            ),
        }
    )
    payload = (await upload(client, seller.headers, book, "book.xlsx")).json()["payload"]
    first = await client.get(payload["failure_file_url"], headers=seller.headers)
    second = await client.get(payload["failure_file_url"], headers=seller.headers)
    success = await client.get(payload["success_file_url"], headers=seller.headers)

    assert first.status_code == 200 and first.content == second.content
    assert first.headers["content-disposition"] == 'attachment; filename="book_failure.xlsx"'
    failed = read_xlsx_report(first.content, tmp_path)
    assert [r["invoiceNumber"] for r in failed] == ["X-2"]
    orphans = read_xlsx_report(first.content, tmp_path, sheet="items")
    assert [r["invoiceNumber"] for r in orphans] == ["X-9"]
    saved = read_xlsx_report(success.content, tmp_path)
    assert [(r["invoiceNumber"], r["note"]) for r in saved] == [("X-1", "'=cmd()")]
    assert payload["failure_count_second_file"] == 1


async def test_uploads_of_dead_processes_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    class Upload:
        def __init__(self) -> None:
            self.parts = [b"a,b\n1,2\n"]

        async def read(self, _size: int = -1) -> bytes:
            return self.parts.pop() if self.parts else b""

    live: StagedFile = await stage_upload(
        Upload(), file_name="x.csv", limits=Limits(1000, 10), directory=str(tmp_path)
    )
    orphan = tmp_path / "khata-upload-orphan.csv"  # nobody holds it: its process died
    orphan.write_bytes(b"a\n")

    assert sweep_uploads(str(tmp_path)) == 1
    assert not orphan.exists() and live.path.exists()
    discard(live)
    assert os.listdir(tmp_path) == []
