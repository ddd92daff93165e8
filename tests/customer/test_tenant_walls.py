"""Seller B never sees seller A's customers or reminder rules: 404, as for a missing id."""

import httpx

from tests.customer.factories import customer_body
from tests.support import SellerContext


async def test_another_sellers_customer_is_404_everywhere(
    client: httpx.AsyncClient, seller: SellerContext, other_seller: SellerContext
) -> None:
    body = customer_body(
        legalName="Wall Test Buyer",
        uniqueRefNo="WALL-1",
        customerReminders=[
            {"dueDateDifference": 0, "reminderType": "ONCE", "reminderTime": "10:00"}
        ],
    )
    created = await client.post("/api/v0/customer", json=body, headers=seller.headers)
    customer = created.json()["payload"]
    customer_id = customer["customerId"]
    reminder_id = customer["customerReminders"][0]["customerReminderId"]
    b = other_seller.headers
    rule = {"dueDateDifference": 1, "reminderType": "ONCE", "reminderTime": "10:00"}
    attempts = [
        ("GET", f"/api/v0/customer/{customer_id}", None),
        ("PATCH", f"/api/v0/customer/{customer_id}", {"legalName": "Stolen"}),
        ("PUT", f"/api/v0/customer/activate/{customer_id}", None),
        ("PUT", f"/api/v0/customer/deactivate/{customer_id}", None),
        ("DELETE", f"/api/v0/customer/{customer_id}", None),
        ("GET", f"/api/v0/customer/{customer_id}/contacts", None),
        ("GET", f"/api/v0/customer/{customer_id}/history", None),
        ("POST", f"/api/v0/customer/{customer_id}/reminder", rule),
        ("GET", f"/api/v0/customer/{customer_id}/reminders", None),
        ("GET", f"/api/v0/customer/reminder/{reminder_id}", None),
        ("PATCH", f"/api/v0/customer/reminder/{reminder_id}", {"stage": "x"}),
        ("DELETE", f"/api/v0/customer/reminder/{reminder_id}", None),
    ]
    for method, path, json in attempts:
        response = await client.request(method, path, json=json, headers=b)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["errorResponse"]["errorType"] == "RECORD_NOT_FOUND"

    for filters in ({}, {"customerIds": [customer_id]}, {"legalName": "Wall Test"},
                    {"uniqueRefNo": "WALL-1"}, {"deleted": True}):  # fmt: skip
        search = await client.post("/api/v0/customer/search", json=filters, headers=b)
        assert search.status_code == 200
        assert search.json()["payload"]["customers"] == []
        assert search.json()["payload"]["totalCount"] == 0

    # Seller A's customer came through untouched.
    after = await client.get(f"/api/v0/customer/{customer_id}", headers=seller.headers)
    assert after.json()["payload"] == customer
