"""Reminder rules over HTTP: create, list, read, PATCH, delete, and their validation."""

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.support import Clock, Database, SellerContext, create_customer


def _rule(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dueDateDifference": -2,
        "reminderType": "RECURRING",
        "reminderInterval": 3,
        "reminderTime": "10:15",
        "stage": "gentle",
    }
    body.update(overrides)
    return body


async def test_create_list_get_patch_delete(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, clock: Clock
) -> None:
    clock.fixed = datetime(2026, 4, 1, 4, 0, tzinfo=UTC)
    customer_id = await create_customer(database, seller.seller_id)
    created = await client.post(
        f"/api/v0/customer/{customer_id}/reminder", json=_rule(), headers=seller.headers
    )
    assert created.status_code == 200, created.text
    rule = created.json()["payload"]
    assert rule["customerId"] == customer_id
    assert (rule["dueDateDifference"], rule["reminderType"], rule["reminderInterval"]) == (
        -2,
        "RECURRING",
        3,
    )
    assert rule["reminderTime"] == "10:15"
    assert rule["createdOn"] == "2026-04-01 09:30:00"
    rule_id = rule["customerReminderId"]

    listed = await client.get(f"/api/v0/customer/{customer_id}/reminders", headers=seller.headers)
    assert [r["customerReminderId"] for r in listed.json()["payload"]] == [rule_id]
    fetched = await client.get(f"/api/v0/customer/reminder/{rule_id}", headers=seller.headers)
    assert fetched.json()["payload"] == rule

    clock.fixed = datetime(2026, 4, 2, 4, 0, tzinfo=UTC)
    patched = await client.patch(
        f"/api/v0/customer/reminder/{rule_id}",
        json={"reminderType": "ONCE", "stage": None, "dueDateDifference": 5},
        headers=seller.headers,
    )
    assert patched.status_code == 200, patched.text
    changed = patched.json()["payload"]
    assert changed["reminderType"] == "ONCE"
    assert changed["reminderInterval"] is None  # meaningless for a one-off reminder
    assert changed["stage"] is None
    assert changed["dueDateDifference"] == 5
    assert changed["reminderTime"] == "10:15"  # absent: unchanged
    assert changed["modifiedOn"] == "2026-04-02 09:30:00"

    deleted = await client.delete(f"/api/v0/customer/reminder/{rule_id}", headers=seller.headers)
    assert deleted.status_code == 200
    gone = await client.get(f"/api/v0/customer/reminder/{rule_id}", headers=seller.headers)
    assert gone.status_code == 404
    assert gone.json()["errorResponse"]["errorMessage"] == f"Customer reminder not found: {rule_id}"
    listed = await client.get(f"/api/v0/customer/{customer_id}/reminders", headers=seller.headers)
    assert listed.json()["payload"] == []

    history = await client.get(f"/api/v0/customer/{customer_id}/history", headers=seller.headers)
    assert [e["action"] for e in history.json()["payload"]] == [
        "REMINDER_CREATED",
        "REMINDER_UPDATED",
        "REMINDER_DELETED",
    ]


async def test_each_bad_field_is_named(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    response = await client.post(
        f"/api/v0/customer/{customer_id}/reminder",
        json=_rule(
            dueDateDifference=366, reminderType="WEEKLY", reminderInterval=0, reminderTime="9:5"
        ),
        headers=seller.headers,
    )
    assert response.status_code == 400
    error = response.json()["errorResponse"]
    assert error["errorType"] == "VALIDATION_ERROR"
    assert {e["field"] for e in error["apiSubErrors"]} == {
        "dueDateDifference",
        "reminderType",
        "reminderInterval",
        "reminderTime",
    }
    lowest = await client.post(
        f"/api/v0/customer/{customer_id}/reminder",
        json=_rule(dueDateDifference=-365, reminderTime="23:59"),
        headers=seller.headers,
    )
    assert lowest.status_code == 200


async def test_recurring_needs_an_interval(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    response = await client.post(
        f"/api/v0/customer/{customer_id}/reminder",
        json=_rule(reminderInterval=None),
        headers=seller.headers,
    )
    assert response.status_code == 400
    [sub_error] = response.json()["errorResponse"]["apiSubErrors"]
    assert sub_error["field"] == "reminderInterval"

    once = await client.post(
        f"/api/v0/customer/{customer_id}/reminder",
        json=_rule(reminderType="ONCE", reminderInterval=None),
        headers=seller.headers,
    )
    assert once.status_code == 200
    to_recurring = await client.patch(
        f"/api/v0/customer/reminder/{once.json()['payload']['customerReminderId']}",
        json={"reminderType": "RECURRING"},
        headers=seller.headers,
    )
    assert to_recurring.status_code == 400
    assert to_recurring.json()["errorResponse"]["apiSubErrors"][0]["field"] == "reminderInterval"


async def test_deleted_customer_gets_no_new_rules_and_unknown_ids_are_404(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id, deleted=True)
    response = await client.post(
        f"/api/v0/customer/{customer_id}/reminder", json=_rule(), headers=seller.headers
    )
    assert response.status_code == 422
    assert response.json()["errorResponse"]["errorType"] == "UNPROCESSABLE_REQUEST"

    missing = await client.post(
        "/api/v0/customer/KC00000000000000/reminder", json=_rule(), headers=seller.headers
    )
    assert missing.status_code == 404
    unknown = await client.patch(
        "/api/v0/customer/reminder/0123456789abcdef01234567", json={}, headers=seller.headers
    )
    assert unknown.status_code == 404
    no_token = await client.get(f"/api/v0/customer/{customer_id}/reminders")
    assert no_token.status_code == 401


async def test_a_blank_stage_is_no_stage_on_create_and_on_patch(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    created = await client.post(
        f"/api/v0/customer/{customer_id}/reminder", json=_rule(stage="  "), headers=seller.headers
    )
    assert created.status_code == 200, created.text
    assert created.json()["payload"]["stage"] is None
    rule_id = created.json()["payload"]["customerReminderId"]
    path = f"/api/v0/customer/reminder/{rule_id}"
    named = await client.patch(path, json={"stage": "firm"}, headers=seller.headers)
    assert named.json()["payload"]["stage"] == "firm"
    blanked = await client.patch(path, json={"stage": " "}, headers=seller.headers)
    assert blanked.status_code == 200, blanked.text
    assert blanked.json()["payload"]["stage"] is None
    assert (await client.get(path, headers=seller.headers)).json()["payload"]["stage"] is None
