"""The seller profile a tax invoice and the payment page need (address, UPI id, bank account,
signatory, footer): PATCH and GET /api/v0/seller, absent = unchanged, null = cleared, audited."""

import httpx
from sqlalchemy import select

from khata.models import AuditEntry
from tests.seller.test_settings import _admin_headers
from tests.support import Database, SellerContext

PROFILE = {
    "address": "12 MG Road, Bengaluru, Karnataka 560001",
    "upiId": "test.traders@okaxis",
    "bankAccount": {
        "accountName": "Test Traders Pvt Ltd",
        "accountNumber": "918020012345678",
        "ifsc": "utib0000123",
        "bankName": "Axis Bank, MG Road",
    },
    "authorisedSignatory": "Priya Nair, Director",
    "invoiceFooter": "Interest at 18% p.a. on payments after the due date.",
}


async def _audit_entries(database: Database, seller_id: str) -> list[AuditEntry]:
    async with database.session_factory() as session:
        found = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.seller_id == seller_id, AuditEntry.entity_type == "seller")
            .order_by(AuditEntry.id)
        )
        return list(found.all())


async def test_profile_round_trip_partial_change_and_clearing_are_audited(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    admin = await _admin_headers(client, seller)
    fresh = (await client.get("/api/v0/seller", headers=admin)).json()["payload"]
    assert (fresh["address"], fresh["upiId"], fresh["bankAccount"]) == (None, None, None)

    changed = await client.patch("/api/v0/seller", json=PROFILE, headers=admin)
    assert changed.status_code == 200, changed.text
    shown = (await client.get("/api/v0/seller", headers=seller.headers)).json()["payload"]
    assert shown["address"] == PROFILE["address"]
    assert shown["upiId"] == "test.traders@okaxis"
    # The IFSC is stored in capitals, as banks print it.
    assert shown["bankAccount"] == {**PROFILE["bankAccount"], "ifsc": "UTIB0000123"}
    assert shown["authorisedSignatory"] == "Priya Nair, Director"
    assert shown["invoiceFooter"] == PROFILE["invoiceFooter"]

    # Absent fields stay; null and blank text clear.
    again = await client.patch(
        "/api/v0/seller",
        json={"upiId": None, "invoiceFooter": " ", "bankAccount": None},
        headers=admin,
    )
    assert again.status_code == 200, again.text
    after = again.json()["payload"]
    assert (after["upiId"], after["invoiceFooter"], after["bankAccount"]) == (None, None, None)
    assert after["address"] == PROFILE["address"]
    assert after["authorisedSignatory"] == "Priya Nair, Director"

    first, second = await _audit_entries(database, seller.seller_id)
    assert first.before is not None and first.after is not None
    assert first.before["upiId"] is None and first.after["upiId"] == "test.traders@okaxis"
    assert first.after["bankAccount"]["accountNumber"] == "918020012345678"
    assert second.before is not None and second.after is not None
    assert second.before["bankAccount"]["ifsc"] == "UTIB0000123"
    assert second.after["bankAccount"] is None and second.after["upiId"] is None
    assert second.after["address"] == PROFILE["address"]
    assert second.actor_type == "admin"

    # The same values again change nothing, so they leave no audit entry.
    same = await client.patch("/api/v0/seller", json={"address": PROFILE["address"]}, headers=admin)
    assert same.status_code == 200
    assert len(await _audit_entries(database, seller.seller_id)) == 2


async def test_bad_profile_values_are_refused_with_the_field_and_a_clear_message(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    admin = await _admin_headers(client, seller)
    account = PROFILE["bankAccount"]
    assert isinstance(account, dict)
    for body, field, words in (
        ({"upiId": "traders"}, "upiId", "must be a UPI id (VPA)"),
        ({"upiId": "t@okaxis1"}, "upiId", "must be a UPI id (VPA)"),
        ({"bankAccount": {**account, "ifsc": "UTIB1000123"}}, "bankAccount.ifsc", "valid IFSC"),
        (
            {"bankAccount": {**account, "accountNumber": "12-34"}},
            "bankAccount.accountNumber",
            "9 to 36 letters or digits",
        ),
        ({"bankAccount": {"ifsc": "UTIB0000123"}}, "bankAccount.accountNumber", "is required"),
        ({"bankAccount": {**account, "branch": "MG Road"}}, "bankAccount.branch", "not permitted"),
        ({"address": "x" * 501}, "address", "at most 500 characters"),
    ):
        response = await client.patch("/api/v0/seller", json=body, headers=admin)
        assert response.status_code == 400, (body, response.text)
        error = response.json()["errorResponse"]
        assert error["errorType"] == "VALIDATION_ERROR"
        [sub] = error["apiSubErrors"]
        assert sub["field"] == field, body
        assert words in sub["message"], (body, sub)
    shown = (await client.get("/api/v0/seller", headers=admin)).json()["payload"]
    assert (shown["upiId"], shown["bankAccount"], shown["address"]) == (None, None, None)
    assert await _audit_entries(database, seller.seller_id) == []


async def test_an_integration_may_read_but_not_change_the_profile(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    refused = await client.patch("/api/v0/seller", json=PROFILE, headers=seller.headers)
    assert refused.status_code == 403
    shown = (await client.get("/api/v0/seller", headers=seller.headers)).json()["payload"]
    assert shown["upiId"] is None
