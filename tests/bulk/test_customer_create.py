"""Bulk customer create over HTTP: several contacts per customer, the BulkResponse, the job."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from khata.bulk import customer_service
from khata.models import AuditEntry, BulkJob, Customer, KeyContact
from tests.bulk.factories import csv_bytes, read_csv_report, read_xlsx_report, upload, xlsx_bytes
from tests.support import Database, SellerContext, count_statements

CREATE = "/api/v0/customer/bulk"
HEADERS = [
    "legalName",
    "panOrGstin",
    "state",
    "pinCode",
    "branchCodes",
    "uniqueRefNo",
    "contactName",
    "contactEmail",
    "contactMobile",
    "mailEnabled",
    "smsEnabled",
    "whatsappEnabled",
]


def customer_row(ref: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "legalName": f"Buyer {ref} Pvt Ltd",
        "panOrGstin": "",
        "state": "29",
        "pinCode": "560001",
        "branchCodes": "BLR-1; BLR-2",
        "uniqueRefNo": ref,
        "contactName": f"Asha {ref}",
        "contactEmail": f"asha.{ref.lower()}@buyer.example",
        "contactMobile": "9876543210",
        "mailEnabled": "true",
        "smsEnabled": "yes",
        "whatsappEnabled": "",
    }
    row.update(overrides)
    return row


def contact_row(ref: str, name: str, email: str = "", mobile: str = "") -> dict[str, Any]:
    return {"uniqueRefNo": ref, "contactName": name, "contactEmail": email, "contactMobile": mobile}


async def customers_of(database: Database, seller_id: str) -> dict[str, Customer]:
    async with database.session_factory() as session:
        result = await session.execute(select(Customer).where(Customer.seller_id == seller_id))
        return {c.unique_ref_no or c.legal_name: c for c in result.scalars()}


async def contacts_of(
    database: Database, seller_id: str, customer_id: str
) -> list[tuple[Any, ...]]:
    async with database.session_factory() as session:
        result = await session.execute(
            select(KeyContact)
            .where(KeyContact.seller_id == seller_id, KeyContact.customer_id == customer_id)
            .order_by(KeyContact.name)
        )
        return [
            (c.name, c.email, c.mobile, c.mail_enabled, c.sms_enabled, c.whatsapp_enabled)
            for c in result.scalars()
        ]


async def test_csv_creates_customers_with_contacts_from_repeated_unique_ref_rows(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    rows = [
        customer_row("R1"),
        customer_row("R2", branchCodes="", smsEnabled="", contactMobile=""),
        contact_row("R1", "Bala R1", email="bala@buyer.example"),
        contact_row("R1", "Chitra R1", mobile="+91 9123456780"),
    ]
    response = await upload(client, seller.headers, csv_bytes(rows, HEADERS), "cust.csv", CREATE)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    job_id = payload["jobId"]
    saved = await customers_of(database, seller.seller_id)
    r1, r2 = saved["R1"].id, saved["R2"].id
    expected_rows = [{h: str(r.get(h, "")) for h in HEADERS} for r in rows]
    assert payload == {
        "jobId": job_id,
        "status": "COMPLETED",
        "total_count": 4,
        "success_count": 4,
        "failure_count": 0,
        "failure_count_second_file": 0,
        "warn_count": 0,
        "total_amount": 0,
        "success_file_name": "cust_success.csv",
        "success_file_url": f"http://test/api/v0/bulk/{job_id}/files/success",
        "failure_file_name": "cust_failure.csv",
        "failure_file_url": f"http://test/api/v0/bulk/{job_id}/files/failure",
        "successRequests": [
            {**expected_rows[0], "customerId": r1, "warnings": ""},
            {**expected_rows[1], "customerId": r2, "warnings": ""},
            {**expected_rows[2], "customerId": r1, "warnings": ""},
            {**expected_rows[3], "customerId": r1, "warnings": ""},
        ],
        "failureRequests": [],
    }
    one = saved["R1"]
    assert (one.legal_name, one.state, one.pin_code, one.branch_codes, one.version) == (
        "Buyer R1 Pvt Ltd",
        "29",
        "560001",
        ["BLR-1", "BLR-2"],
        1,
    )
    assert saved["R2"].branch_codes is None
    assert await contacts_of(database, seller.seller_id, r1) == [
        ("Asha R1", "asha.r1@buyer.example", "9876543210", True, True, False),
        ("Bala R1", "bala@buyer.example", None, True, False, False),
        ("Chitra R1", None, "+91 9123456780", False, False, False),
    ]
    assert await contacts_of(database, seller.seller_id, r2) == [
        ("Asha R2", "asha.r2@buyer.example", None, True, False, False)
    ]
    async with database.session_factory() as session:
        job = await session.get(BulkJob, (seller.seller_id, job_id))
        audits = (
            await session.execute(
                select(AuditEntry.entity_id, AuditEntry.action).where(
                    AuditEntry.seller_id == seller.seller_id, AuditEntry.entity_type == "customer"
                )
            )
        ).all()
    assert job is not None
    assert (job.kind, job.status, job.total_count, job.success_count) == (
        "CUSTOMER_CREATE",
        "COMPLETED",
        4,
        4,
    )
    assert sorted(audits) == sorted([(r1, "CREATED"), (r2, "CREATED")])

    # The customers are real: the API shows them with every contact.
    shown = await client.get(f"/api/v0/customer/{r1}", headers=seller.headers)
    assert [c["name"] for c in shown.json()["payload"]["customerKeyContacts"]] == [
        "Asha R1",
        "Bala R1",
        "Chitra R1",
    ]
    success = await client.get(payload["success_file_url"], headers=seller.headers)
    assert success.status_code == 200
    assert [(r["uniqueRefNo"], r["customerId"]) for r in read_csv_report(success.content)] == [
        ("R1", r1),
        ("R2", r2),
        ("R1", r1),
        ("R1", r1),
    ]
    summary = await client.get(f"/api/v0/bulk/{job_id}", headers=seller.headers)
    assert summary.status_code == 200
    assert summary.json()["payload"]["success_count"] == 4


async def test_contacts_across_batches_are_added_to_the_saved_customer(
    client: httpx.AsyncClient,
    seller: SellerContext,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [customer_row(f"B{i}") for i in range(5)] + [
        contact_row("B0", "Late Contact", email="late@buyer.example")
    ]
    # Batches of 2: the contact row comes three batches after its customer.
    monkeypatch.setattr(customer_service, "BATCH_SIZE", 2)
    response = await upload(client, seller.headers, csv_bytes(rows, HEADERS), "b.csv", CREATE)
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert (payload["success_count"], payload["failure_count"]) == (6, 0)
    saved = await customers_of(database, seller.seller_id)
    b0 = saved["B0"]
    assert payload["successRequests"][5]["customerId"] == b0.id
    names = [c[0] for c in await contacts_of(database, seller.seller_id, b0.id)]
    assert names == ["Asha B0", "Late Contact"]
    assert b0.version == 2  # the added contact is a change, recorded like a PATCH


async def test_xlsx_creates_customers_and_answers_an_xlsx_report(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    rows = [
        ["Xl Traders", "Karnataka", 560001, "X1", "Ravi", "ravi@xl.example", 9876543210, True],
        [None, None, None, "X1", "Sita", None, 9123456789, False],
        ["", "29", 560002, "X2", "", "nobody@xl.example", None, None],
    ]
    headers = [
        "LegalName",
        "state",
        "pinCode",
        "uniqueRefNo",
        "contactName",
        "contactEmail",
        "contactMobile",
        "smsEnabled",
    ]
    content = xlsx_bytes({"customers": (headers, rows)})
    response = await upload(client, seller.headers, content, "cust.xlsx", CREATE)
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert (payload["total_count"], payload["success_count"], payload["failure_count"]) == (
        3,
        2,
        1,
    ), [r["error"] for r in payload["failureRequests"]]
    assert payload["failure_file_name"] == "cust_failure.xlsx"
    saved = await customers_of(database, seller.seller_id)
    x1 = saved["X1"]
    assert (x1.legal_name, x1.state, x1.pin_code) == ("Xl Traders", "29", "560001")
    assert await contacts_of(database, seller.seller_id, x1.id) == [
        ("Ravi", "ravi@xl.example", "9876543210", True, True, False),
        ("Sita", None, "9123456789", False, False, False),
    ]
    failure = await client.get(payload["failure_file_url"], headers=seller.headers)
    assert failure.status_code == 200
    failed = read_xlsx_report(failure.content, tmp_path)
    assert [(r["uniqueRefNo"], r["error"]) for r in failed] == [
        ("X2", "legalName: is required; contactName: is required")
    ]


async def test_statements_per_upload_do_not_grow_with_the_rows(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    counts = []
    for prefix, size in (("S", 3), ("T", 40)):
        rows: list[dict[str, Any]] = []
        for i in range(size):
            rows += [
                customer_row(f"{prefix}{i}"),
                contact_row(f"{prefix}{i}", f"Extra {prefix}{i}", email=f"x{i}@buyer.example"),
            ]
        with count_statements(database.engine) as counter:
            response = await upload(
                client, seller.headers, csv_bytes(rows, HEADERS), "n.csv", CREATE
            )
        assert response.json()["payload"]["success_count"] == 2 * size
        counts.append(counter.count)
    # Look-ups and inserts are per batch, never per row.
    assert counts[0] == counts[1], counts
