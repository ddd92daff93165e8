"""Bulk upload in the console over HTTP: a 1,000-row invoice file with 10 bad rows runs as a
job whose page refreshes itself until done, then offers the two report files; the failure file
holds exactly the bad rows. A file refused whole comes back on the upload page."""

import asyncio
import csv
import io
import re

import httpx

from tests.bulk.factories import csv_bytes, invoice_row
from tests.console.support import csrf_of, signed_in_csrf
from tests.support import Database, SellerContext, create_customer

BAD = {n * 97 + 5 for n in range(10)}  # 10 rows spread through the file


def invoice_file(customer_id: str, *, rows: int = 1000) -> bytes:
    made = []
    for n in range(rows):
        row = invoice_row(f"BULK-{n:04d}", customer_id)
        if n in BAD:
            row["baseAmount"] = "not money"
        made.append(row)
    return csv_bytes(made)


async def finished_job_page(client: httpx.AsyncClient, path: str) -> str:
    for _ in range(600):
        shown = await client.get(path)
        assert shown.status_code == 200, shown.text
        if 'id="job-status">RUNNING' not in shown.text:
            return shown.text
        assert '<meta http-equiv="refresh"' in shown.text
        await asyncio.sleep(0.1)
    raise AssertionError("the job did not finish")


async def test_an_upload_runs_then_offers_its_failure_file_with_the_bad_rows(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> None:
    customer = await create_customer(database, seller.seller_id)
    await signed_in_csrf(client, seller)
    form = await client.get("/console/bulk")
    assert '<label for="file">' in form.text
    started = await client.post(
        "/console/bulk",
        data={"csrf": csrf_of(form.text), "kind": "invoices"},
        files={"file": ("march.csv", invoice_file(customer), "text/csv")},
    )
    assert started.status_code == 303, started.text
    job_path = started.headers["location"]
    assert re.fullmatch(r"/console/bulk/[0-9a-f]{24}", job_path)

    done = await finished_job_page(client, job_path)
    assert 'id="job-status">COMPLETED' in done
    assert 'id="total-count">1000<' in done and 'id="failure-count">10<' in done
    assert 'id="success-count">990<' in done
    failure = await client.get(f"{job_path}/files/failure")
    assert failure.status_code == 200
    assert 'filename="march_failure.csv"' in failure.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(failure.text)))
    assert sorted(r["invoiceNumber"] for r in rows) == sorted(f"BULK-{n:04d}" for n in BAD)
    assert all("baseAmount" in r["error"] for r in rows)
    success = await client.get(f"{job_path}/files/success")
    assert len(list(csv.DictReader(io.StringIO(success.text)))) == 990
    api = await client.post(
        "/api/v0/invoice/search", json={"createdVia": ["BULK_UPLOAD"]}, headers=seller.headers
    )
    assert api.json()["payload"]["totalCount"] == 990
    listed = await client.get("/console/bulk")
    assert "march.csv" in listed.text


async def test_a_file_refused_whole_comes_back_on_the_upload_page(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    csrf = await signed_in_csrf(client, seller)
    refused = await client.post(
        "/console/bulk",
        data={"csrf": csrf, "kind": "invoices"},
        files={"file": ("notes.txt", b"hello", "text/plain")},
    )
    assert refused.status_code == 400 and 'class="problem"' in refused.text
    forged = await client.post(
        "/console/bulk",
        data={"kind": "invoices"},
        files={"file": ("march.csv", b"invoiceNumber\n1\n", "text/csv")},
    )
    assert forged.status_code == 403


async def test_another_sellers_job_is_not_found(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    other_seller: SellerContext,
) -> None:
    customer = await create_customer(database, seller.seller_id)
    csrf = await signed_in_csrf(client, seller)
    started = await client.post(
        "/console/bulk",
        data={"csrf": csrf, "kind": "invoices"},
        files={"file": ("small.csv", invoice_file(customer, rows=3), "text/csv")},
    )
    job_path = started.headers["location"]
    await finished_job_page(client, job_path)
    client.cookies.clear()
    await signed_in_csrf(client, other_seller)
    assert (await client.get(job_path)).status_code == 404
    assert (await client.get(f"{job_path}/files/failure")).status_code == 404
