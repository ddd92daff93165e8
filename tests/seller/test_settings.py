"""GET/PATCH /api/v0/seller: settings changed by an admin only, audited, absent = unchanged;
a reminder rule without reminderTime takes the seller's defaultReminderTime."""

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from khata.models import AuditEntry
from tests.auth.test_token import password_login
from tests.support import Clock, Database, SellerContext, create_customer


async def _admin_headers(client: httpx.AsyncClient, seller: SellerContext) -> dict[str, str]:
    login = await password_login(client, seller)
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def test_default_reminder_time_is_ten_and_an_admin_changes_it(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    clock.fixed = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)
    admin = await _admin_headers(client, seller)
    shown = (await client.get("/api/v0/seller", headers=admin)).json()["payload"]
    assert shown["defaultReminderTime"] == "10:00"

    changed = await client.patch(
        "/api/v0/seller", json={"defaultReminderTime": "08:30"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    payload = changed.json()["payload"]
    assert payload["defaultReminderTime"] == "08:30"
    # Absent fields are unchanged.
    assert (payload["legalName"], payload["paymentTermsDays"], payload["invoicePrefix"]) == (
        shown["legalName"],
        shown["paymentTermsDays"],
        shown["invoicePrefix"],
    )
    again = (await client.get("/api/v0/seller", headers=seller.headers)).json()["payload"]
    assert again["defaultReminderTime"] == "08:30"

    async with database.session_factory() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.seller_id == seller.seller_id, AuditEntry.entity_type == "seller"
                )
            )
        ).all()
    assert len(entries) == 1
    assert entries[0].before is not None and entries[0].after is not None
    assert entries[0].before["defaultReminderTime"] == "10:00"
    assert entries[0].after["defaultReminderTime"] == "08:30"
    assert entries[0].actor_type == "admin"


async def test_only_an_admin_may_change_settings(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    refused = await client.patch(
        "/api/v0/seller", json={"defaultReminderTime": "08:30"}, headers=seller.headers
    )
    assert refused.status_code == 403
    error = refused.json()["errorResponse"]
    assert error["errorType"] == "INVALID_ACCESS"
    assert error["errorMessage"] == "Only an admin of the seller may change its settings"
    shown = (await client.get("/api/v0/seller", headers=seller.headers)).json()["payload"]
    assert shown["defaultReminderTime"] == "10:00"


async def test_bad_settings_are_refused_field_by_field(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    admin = await _admin_headers(client, seller)
    for body, field in (
        ({"defaultReminderTime": "25:00"}, "defaultReminderTime"),
        ({"defaultReminderTime": None}, "defaultReminderTime"),
        ({"timeZone": "Mars/Olympus"}, "timeZone"),
        ({"gstin": "27AAPFU0939F1ZV"}, "gstin"),  # valid, but of Maharashtra, not Karnataka
        ({"paymentTermsDays": -1}, "paymentTermsDays"),
        ({"colour": "red"}, "colour"),
    ):
        response = await client.patch("/api/v0/seller", json=body, headers=admin)
        assert response.status_code == 400, (body, response.text)
        error = response.json()["errorResponse"]
        assert error["errorType"] == "VALIDATION_ERROR"
        assert [e["field"] for e in error["apiSubErrors"]] == [field], body
    shown = (await client.get("/api/v0/seller", headers=admin)).json()["payload"]
    assert shown["defaultReminderTime"] == "10:00"
    assert shown["gstin"] is None


async def test_a_rule_without_reminder_time_takes_the_sellers_default(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    rule = {"dueDateDifference": 0, "reminderType": "ONCE"}
    first = await client.post(
        f"/api/v0/customer/{customer_id}/reminder", json=rule, headers=seller.headers
    )
    assert first.status_code == 200, first.text
    assert first.json()["payload"]["reminderTime"] == "10:00"

    admin = await _admin_headers(client, seller)
    await client.patch("/api/v0/seller", json={"defaultReminderTime": "17:45"}, headers=admin)
    second = await client.post(
        f"/api/v0/customer/{customer_id}/reminder", json=rule, headers=seller.headers
    )
    assert second.json()["payload"]["reminderTime"] == "17:45"
    # An explicit time still wins, and the earlier rule keeps the time it was given.
    third = await client.post(
        f"/api/v0/customer/{customer_id}/reminder",
        json={**rule, "reminderTime": "07:05"},
        headers=seller.headers,
    )
    assert third.json()["payload"]["reminderTime"] == "07:05"
    listed = await client.get(f"/api/v0/customer/{customer_id}/reminders", headers=seller.headers)
    assert sorted(r["reminderTime"] for r in listed.json()["payload"]) == [
        "07:05",
        "10:00",
        "17:45",
    ]

    # Inline rules of a customer create take the default too.
    created = await client.post(
        "/api/v0/customer",
        json={
            "legalName": "Default Time Ltd",
            "customerKeyContacts": [{"name": "Ravi", "email": "ravi@default.example"}],
            "customerReminders": [rule],
        },
        headers=seller.headers,
    )
    assert created.status_code == 200, created.text
    assert created.json()["payload"]["customerReminders"][0]["reminderTime"] == "17:45"
