"""Bulk customer create: every rule reported per row, re-upload safety, bad files, routes."""

from pathlib import Path

import httpx
from sqlalchemy import func, select

from khata.models import Customer
from tests.bulk.factories import (
    csv_bytes,
    read_csv_report,
    read_xlsx_report,
    upload,
    xlsx_bytes,
)
from tests.bulk.test_customer_create import CREATE, HEADERS, contact_row, customer_row
from tests.support import Database, SellerContext, create_customer

PHONE = "must be a 10-digit number, optionally preceded by a country code (+91 or 0091)"
GSTIN = "29ABCDE1234F1ZW"  # a valid Karnataka GSTIN (checksum included)


async def _count(database: Database, seller_id: str) -> int:
    async with database.session_factory() as session:
        total = await session.execute(
            select(func.count()).select_from(Customer).where(Customer.seller_id == seller_id)
        )
        return int(total.scalar_one())


async def test_every_rule_fails_its_row_with_every_problem_named(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    rows = [
        customer_row("OK1"),
        customer_row("E1", legalName="", contactName=""),
        customer_row("E2", panOrGstin="ABCDE", pinCode="5600", contactEmail="not-an-email"),
        customer_row("E3", contactMobile="12345", smsEnabled="maybe"),
        customer_row("E4", state="Atlantis"),
        customer_row("E5", panOrGstin=GSTIN, state="27"),
        customer_row("E6", contactEmail="", mailEnabled="true"),
        customer_row("E7", contactMobile="", smsEnabled="true", whatsappEnabled="1"),
        customer_row("OK1", legalName="Someone Else Ltd"),
        contact_row("E1", "Orphan Contact", email="orphan@buyer.example"),
        contact_row("OK1", "", email="bad@"),
        contact_row("OK1", "Asha OK1", email="asha.ok1@buyer.example", mobile="9876543210"),
        customer_row("OK2", panOrGstin=GSTIN, state="Karnataka", legalName="=cmd|calc"),
    ]
    response = await upload(client, seller.headers, csv_bytes(rows, HEADERS), "rules.csv", CREATE)
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert (payload["total_count"], payload["success_count"], payload["failure_count"]) == (
        13,
        2,
        11,
    )
    failure = await client.get(payload["failure_file_url"], headers=seller.headers)
    failed = read_csv_report(failure.content)
    assert [(r["uniqueRefNo"], r["contactName"], r["error"]) for r in failed] == [
        ("E1", "", "legalName: is required; contactName: is required"),
        (
            "E2",
            "Asha E2",
            "panOrGstin: must be a valid PAN (ABCDE1234F) or GSTIN (15 characters, valid "
            "checksum); pinCode: must be six digits; contactEmail: must be a valid email address",
        ),
        ("E3", "Asha E3", f"smsEnabled: must be true or false; contactMobile: {PHONE}"),
        (
            "E4",
            "Asha E4",
            "state: must be a GST state code (e.g. 29) or a state name (e.g. Karnataka)",
        ),
        ("E5", "Asha E5", "state: does not match the GSTIN's state code 29"),
        ("E6", "Asha E6", "contactEmail: is required when mail is on"),
        ("E7", "Asha E7", "contactMobile: is required when SMS or WhatsApp is on"),
        (
            "OK1",
            "Asha OK1",
            "uniqueRefNo: 'OK1' appears more than once in this file with different customer "
            "details",
        ),
        ("E1", "Orphan Contact", "uniqueRefNo: the customer row for 'E1' failed"),
        ("OK1", "", "contactEmail: must be a valid email address; contactName: is required"),
        ("OK1", "Asha OK1", "contactName: this contact is already given for 'OK1' in this file"),
    ]
    # The failure file keeps the original cells of each row.
    assert failed[1]["panOrGstin"] == "ABCDE" and failed[1]["pinCode"] == "5600"
    success = read_csv_report(
        (await client.get(payload["success_file_url"], headers=seller.headers)).content
    )
    # A cell a spreadsheet would run as a formula is escaped in the report.
    assert [r["legalName"] for r in success] == ["Buyer OK1 Pvt Ltd", "'=cmd|calc"]
    assert await _count(database, seller.seller_id) == 2


async def test_re_upload_is_safe_and_completes_missing_contacts(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    first = [customer_row("U1"), customer_row("U2")]
    response = await upload(client, seller.headers, csv_bytes(first, HEADERS), "a.csv", CREATE)
    assert response.json()["payload"]["success_count"] == 2
    ids = [r["customerId"] for r in response.json()["payload"]["successRequests"]]

    again = [
        customer_row("U1"),
        contact_row("U1", "New Person", email="new@buyer.example"),
        customer_row("U2", legalName="Renamed Buyer Ltd"),
        contact_row("U2", "Other Person", email="other@buyer.example"),
        customer_row("U3"),
    ]
    response = await upload(client, seller.headers, csv_bytes(again, HEADERS), "b.csv", CREATE)
    payload = response.json()["payload"]
    assert (payload["success_count"], payload["failure_count"], payload["warn_count"]) == (3, 2, 1)
    assert [
        (r["uniqueRefNo"], r["customerId"], r["warnings"]) for r in payload["successRequests"]
    ] == [
        ("U1", ids[0], "already imported"),
        ("U1", ids[0], ""),
        ("U3", payload["successRequests"][2]["customerId"], ""),
    ]
    assert [(r["uniqueRefNo"], r["error"]) for r in payload["failureRequests"]] == [
        ("U2", f"uniqueRefNo: 'U2' already exists (customer '{ids[1]}') with different content"),
        ("U2", "uniqueRefNo: the customer row for 'U2' failed"),
    ]
    shown = await client.get(f"/api/v0/customer/{ids[0]}", headers=seller.headers)
    assert [c["name"] for c in shown.json()["payload"]["customerKeyContacts"]] == [
        "Asha U1",
        "New Person",
    ]
    assert shown.json()["payload"]["version"] == 2

    # The same file a third time changes nothing: every row is "already imported" or the same
    # content conflict.
    response = await upload(client, seller.headers, csv_bytes(again, HEADERS), "b.csv", CREATE)
    payload = response.json()["payload"]
    assert [r["warnings"] for r in payload["successRequests"]] == ["already imported"] * 3
    assert payload["failure_count"] == 2
    assert await _count(database, seller.seller_id) == 3


async def test_unique_ref_of_an_existing_deleted_customer_fails(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    gone = await create_customer(database, seller.seller_id, unique_ref_no="D1", deleted=True)
    rows = [customer_row("D1")]
    response = await upload(client, seller.headers, csv_bytes(rows, HEADERS), "d.csv", CREATE)
    assert [r["error"] for r in response.json()["payload"]["failureRequests"]] == [
        f"uniqueRefNo: 'D1' belongs to deleted customer '{gone}'"
    ]


async def test_bad_files_answer_400_naming_every_missing_column(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    content = csv_bytes([{"panOrGstin": "", "state": "29"}], ["panOrGstin", "state"])
    response = await upload(client, seller.headers, content, "c.csv", CREATE)
    assert response.status_code == 400
    body = response.json()
    assert body["errorResponse"]["errorType"] == "CLIENT_REQUEST_ERROR", body
    assert body["errorResponse"]["errorMessage"] == (
        "customers: missing required columns: legalName, contactName, contactEmail or contactMobile"
    )

    response = await upload(client, seller.headers, b"legalName\n", "c.txt", CREATE)
    assert response.status_code == 400
    assert "Only CSV or XLSX" in response.json()["errorResponse"]["errorMessage"]

    # A header alone is refused like on the invoice upload: nothing to import is no success.
    response = await upload(
        client, seller.headers, b"customerId,legalName\n", "u.csv", CREATE + "/update"
    )
    assert response.status_code == 400
    assert response.json()["errorResponse"]["errorMessage"] == (
        "customers: the file has a header row but no data rows"
    )
    response = await upload(client, seller.headers, b"legalName\nX\n", "u.csv", CREATE + "/update")
    assert response.status_code == 400
    assert (
        "missing required columns: customerId" in response.json()["errorResponse"]["errorMessage"]
    )
    assert await _count(database, seller.seller_id) == 0


async def test_templates_download_and_fill_back_in(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, tmp_path: Path
) -> None:
    csv_template = await client.get(
        "/api/v0/customer/bulk/template?format=csv", headers=seller.headers
    )
    assert csv_template.status_code == 200
    assert csv_template.headers["content-type"].startswith("text/csv")
    header = csv_template.content.decode().strip().split(",")
    assert header[:2] == ["legalName", "panOrGstin"]
    assert {"uniqueRefNo", "contactName", "contactEmail", "contactMobile", "mailEnabled"} <= set(
        header
    )
    xlsx_template = await client.get(
        "/api/v0/customer/bulk/template?format=xlsx", headers=seller.headers
    )
    assert xlsx_template.status_code == 200
    assert read_xlsx_report(xlsx_template.content + b"", tmp_path) == []
    bad = await client.get("/api/v0/customer/bulk/template?format=pdf", headers=seller.headers)
    assert bad.status_code == 400
    unauthenticated = await client.get("/api/v0/customer/bulk/template")
    assert unauthenticated.status_code == 401

    # The CSV template filled in is a valid upload.
    filled = csv_template.content + b"Filled Ltd,,,,,,,,,,T1,,Tara,,tara@filled.example,,,\n"
    response = await upload(client, seller.headers, filled, "t.csv", CREATE)
    assert response.status_code == 200, response.text
    assert response.json()["payload"]["success_count"] == 1, response.json()["payload"]


async def test_tenant_wall_on_reports_and_jobs(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    response = await upload(
        client, seller.headers, csv_bytes([customer_row("W1")], HEADERS), "w.csv", CREATE
    )
    payload = response.json()["payload"]
    for url in (
        payload["success_file_url"],
        payload["failure_file_url"],
        f"http://test/api/v0/bulk/{payload['jobId']}",
    ):
        assert (await client.get(url, headers=other_seller.headers)).status_code == 404
        assert (await client.get(url, headers=seller.headers)).status_code == 200
    # Another seller's companyId in the query is refused before the file is read.
    refused = await upload(
        client,
        seller.headers,
        csv_bytes([customer_row("W2")], HEADERS),
        "w.csv",
        f"{CREATE}?companyId={other_seller.seller_id}",
    )
    assert refused.status_code in (403, 404), refused.text
    assert await _count(database, other_seller.seller_id) == 0
    assert await _count(database, seller.seller_id) == 1


async def test_xlsx_cell_with_a_nul_character_fails_its_row(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    headers = ["legalName", "contactName", "contactEmail"]
    rows = [["A\x00B Ltd", "Asha", "asha@b.example"], ["Clean Ltd", "Ravi", "ravi@c.example"]]
    content = xlsx_bytes({"customers": (headers, rows)})
    response = await upload(client, seller.headers, content, "c.xlsx", CREATE)
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    assert (payload["success_count"], payload["failure_count"]) == (1, 1)
    assert payload["failureRequests"][0]["error"] == ("legalName: must not contain a NUL character")
    assert await _count(database, seller.seller_id) == 1
