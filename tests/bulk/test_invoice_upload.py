"""Invoice bulk upload over HTTP: the BulkResponse, saved rows and the report files."""

from typing import Any

import httpx
from sqlalchemy import select

from khata.models import BulkJob, Invoice
from tests.bulk.factories import csv_bytes, invoice_row, read_csv_report, upload
from tests.support import Database, SellerContext, create_customer


async def _invoices(database: Database, seller_id: str) -> dict[str, Invoice]:
    async with database.session_factory() as session:
        result = await session.execute(select(Invoice).where(Invoice.seller_id == seller_id))
        return {i.invoice_number: i for i in result.scalars()}


async def test_csv_upload_answers_the_exact_bulk_response(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer = await create_customer(database, seller.seller_id)
    rows = [
        invoice_row("INV-1", customer),
        invoice_row("INV-2", customer, baseAmount="250.555", cgst="0", sgst="0"),
        invoice_row("INV-3", "KCNOSUCHCUSTOM00"),
    ]
    response = await upload(client, seller.headers, csv_bytes(rows), "march.csv")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["errorResponse"] is None
    assert body["response_code"] == 200
    payload: dict[str, Any] = body["payload"]
    job_id = payload["jobId"]
    saved = await _invoices(database, seller.seller_id)
    assert payload == {
        "jobId": job_id,
        "status": "COMPLETED",
        "total_count": 3,
        "success_count": 2,
        "failure_count": 1,
        "failure_count_second_file": 0,
        "warn_count": 1,
        "total_amount": 1430.56,
        "success_file_name": "march_success.csv",
        "success_file_url": f"http://test/api/v0/bulk/{job_id}/files/success",
        "failure_file_name": "march_failure.csv",
        "failure_file_url": f"http://test/api/v0/bulk/{job_id}/files/failure",
        "successRequests": [
            {**rows[0], "invoiceId": saved["INV-1"].id, "warnings": ""},
            {
                **rows[1],
                "invoiceId": saved["INV-2"].id,
                "warnings": "baseAmount: 250.555 rounded to 250.56",
            },
        ],
        "failureRequests": [
            {**rows[2], "error": "customerId: customer 'KCNOSUCHCUSTOM00' not found"}
        ],
    }
    first = saved["INV-1"]
    assert (first.base_amount, first.cgst, first.sgst, first.net_amount) == (
        100000,
        9000,
        9000,
        118000,
    )
    assert (first.balance_amount, first.via, first.bulk_job_id) == (118000, "BULK_UPLOAD", job_id)
    assert sorted([saved["INV-1"].entity_id, saved["INV-2"].entity_id]) == [1, 2]
    async with database.session_factory() as session:
        job = await session.get(BulkJob, (seller.seller_id, job_id))
    assert job is not None
    assert (job.status, job.total_count, job.success_count, job.total_amount) == (
        "COMPLETED",
        3,
        2,
        143056,
    )

    success = await client.get(payload["success_file_url"], headers=seller.headers)
    assert success.status_code == 200
    assert read_csv_report(success.content) == [
        {**rows[0], "invoiceId": saved["INV-1"].id, "warnings": ""},
        {
            **rows[1],
            "invoiceId": saved["INV-2"].id,
            "warnings": "baseAmount: 250.555 rounded to 250.56",
        },
    ]
    failure = await client.get(payload["failure_file_url"], headers=seller.headers)
    assert read_csv_report(failure.content) == [
        {**rows[2], "error": "customerId: customer 'KCNOSUCHCUSTOM00' not found"}
    ]
