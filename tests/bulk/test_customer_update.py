"""Bulk customer update: empty cells leave fields unchanged, foreign ids fail, audit entries."""

from typing import Any

import httpx
from sqlalchemy import select

from khata.models import AuditEntry, BulkJob, Customer, KeyContact
from tests.bulk.factories import csv_bytes, read_csv_report, upload
from tests.support import Database, SellerContext, create_customer

UPDATE = "/api/v0/customer/bulk/update"
HEADERS = [
    "customerId",
    "legalName",
    "state",
    "pinCode",
    "status",
    "keyContactPersonId",
    "contactName",
    "contactEmail",
]


async def _customer(database: Database, seller_id: str, customer_id: str) -> Customer:
    async with database.session_factory() as session:
        customer = await session.get(Customer, (seller_id, customer_id))
        assert customer is not None
        return customer


async def _contacts(database: Database, seller_id: str, customer_id: str) -> list[KeyContact]:
    async with database.session_factory() as session:
        result = await session.execute(
            select(KeyContact)
            .where(KeyContact.seller_id == seller_id, KeyContact.customer_id == customer_id)
            .order_by(KeyContact.created_at, KeyContact.name)
        )
        return list(result.scalars())


def row(customer_id: str, **cells: str) -> dict[str, Any]:
    return {"customerId": customer_id, **cells}


async def test_update_changes_only_the_filled_cells_and_fails_foreign_rows(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    first = await create_customer(database, seller.seller_id, legal_name="First Ltd")
    second = await create_customer(database, seller.seller_id, legal_name="Second Ltd")
    third = await create_customer(database, seller.seller_id, legal_name="Third Ltd")
    fourth = await create_customer(database, seller.seller_id, legal_name="Fourth Ltd")
    foreign = await create_customer(database, other_seller.seller_id, legal_name="Theirs Ltd")
    contact = (await _contacts(database, seller.seller_id, third))[0]
    rows = [
        row(first, legalName="First Renamed Ltd", status="INACTIVE"),
        row(foreign, legalName="Hijacked Ltd"),
        row("KCNOSUCHCUSTOM00", legalName="Ghost Ltd"),
        row(second, pinCode="12", state="Atlantis"),
        row(second, contactName="Added Person", contactEmail="added@buyer.example"),
        row(third, keyContactPersonId=contact.id, contactEmail="asha.new@buyer.example"),
        row(first),
        row(fourth),
    ]
    response = await upload(client, seller.headers, csv_bytes(rows, HEADERS), "upd.csv", UPDATE)
    assert response.status_code == 200, response.text
    payload = response.json()["payload"]
    job_id = payload["jobId"]
    assert {k: payload[k] for k in ("total_count", "success_count", "failure_count")} == {
        "total_count": 8,
        "success_count": 4,
        "failure_count": 4,
    }
    failures = read_csv_report(
        (await client.get(payload["failure_file_url"], headers=seller.headers)).content
    )
    assert [(r["customerId"], r["error"]) for r in failures] == [
        (foreign, f"customerId: customer '{foreign}' not found"),
        ("KCNOSUCHCUSTOM00", "customerId: customer 'KCNOSUCHCUSTOM00' not found"),
        (
            second,
            "state: must be a GST state code (e.g. 29) or a state name (e.g. Karnataka); "
            "pinCode: must be six digits",
        ),
        (first, "customerId: appears more than once in this file"),
    ]
    successes = read_csv_report(
        (await client.get(payload["success_file_url"], headers=seller.headers)).content
    )
    assert [(r["customerId"], r["warnings"]) for r in successes] == [
        (first, ""),
        (second, ""),
        (third, ""),
        (fourth, "no changes"),
    ]

    renamed = await _customer(database, seller.seller_id, first)
    # Empty cells left state and the contacts as they were.
    assert (renamed.legal_name, renamed.status, renamed.state, renamed.version) == (
        "First Renamed Ltd",
        "INACTIVE",
        "29",
        2,
    )
    untouched = await _customer(database, seller.seller_id, second)
    # The bad row wrote nothing; the later row of the same customer added its contact.
    assert (untouched.legal_name, untouched.pin_code, untouched.version) == ("Second Ltd", None, 2)
    assert [c.name for c in await _contacts(database, seller.seller_id, second)] == [
        "Asha Rao",
        "Added Person",
    ]
    assert (await _customer(database, seller.seller_id, fourth)).version == 1
    theirs = await _customer(database, other_seller.seller_id, foreign)
    assert (theirs.legal_name, theirs.version) == ("Theirs Ltd", 1)
    changed = await _contacts(database, seller.seller_id, third)
    assert [(c.name, c.email) for c in changed] == [("Asha Rao", "asha.new@buyer.example")]

    async with database.session_factory() as session:
        entries = (
            (
                await session.execute(
                    select(AuditEntry).where(
                        AuditEntry.seller_id == seller.seller_id, AuditEntry.entity_id == first
                    )
                )
            )
            .scalars()
            .all()
        )
        job = await session.get(BulkJob, (seller.seller_id, job_id))
    assert [(e.action, e.before, e.after) for e in entries] == [
        (
            "UPDATED",
            {"legalName": "First Ltd", "status": "ACTIVE"},
            {"legalName": "First Renamed Ltd", "status": "INACTIVE"},
        )
    ]
    assert job is not None and (job.kind, job.status) == ("CUSTOMER_UPDATE", "COMPLETED")


async def test_a_deleted_customer_cannot_be_updated_from_a_file(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    gone = await create_customer(database, seller.seller_id, deleted=True)
    rows = [row(gone, legalName="Back Again Ltd")]
    response = await upload(
        client,
        seller.headers,
        csv_bytes(rows, HEADERS),
        "d.csv",
        f"{UPDATE}?parentCompanyId={seller.seller_id}",
    )
    assert response.status_code == 200, response.text
    assert [r["error"] for r in response.json()["payload"]["failureRequests"]] == [
        f"customerId: Customer {gone} is deleted and cannot be changed"
    ]
    customer = await _customer(database, seller.seller_id, gone)
    assert (customer.legal_name, customer.version) == ("Buyer Industries Ltd", 1)
