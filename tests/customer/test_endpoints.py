"""Customers over HTTP in the AR envelope: create, read, PATCH, status, delete, contacts."""

import asyncio
import re
from datetime import UTC, datetime

import httpx

from tests.customer.factories import customer_body, gstin
from tests.support import Clock, SellerContext

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


async def _create(
    client: httpx.AsyncClient, seller: SellerContext, **overrides: object
) -> dict[str, object]:
    response = await client.post(
        "/api/v0/customer", json=customer_body(**overrides), headers=seller.headers
    )
    assert response.status_code == 200, response.text
    payload: dict[str, object] = response.json()["payload"]
    return payload


async def test_create_answers_the_customer_and_get_reads_it_back(
    client: httpx.AsyncClient, seller: SellerContext, clock: Clock
) -> None:
    clock.fixed = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    body = customer_body(
        customerReminders=[
            {"dueDateDifference": -3, "reminderType": "ONCE", "reminderTime": "09:30"},
            {
                "dueDateDifference": 1,
                "reminderType": "RECURRING",
                "reminderInterval": 7,
                "reminderTime": "18:00",
                "stage": "overdue",
            },
        ]
    )
    response = await client.post("/api/v0/customer", json=body, headers=seller.headers)
    assert response.status_code == 200, response.text
    envelope = response.json()
    assert envelope["errorResponse"] is None
    assert envelope["response_code"] == 200
    created = envelope["payload"]
    assert re.match(r"^KC[A-Z0-9]{14}$", created["customerId"])
    assert created["sellerId"] == seller.seller_id
    assert created["state"] == "29"  # the name "Karnataka" is stored as its code
    assert created["panOrGstin"] == gstin("29")
    assert created["status"] == "ACTIVE"
    assert created["deleted"] is False
    assert created["version"] == 1
    assert created["createdOn"] == "2026-03-01 12:00:00"  # Asia/Kolkata
    assert created["createdByName"] == "test integration"
    [contact] = created["customerKeyContacts"]
    assert contact["name"] == "Asha Rao"
    assert (contact["mail_enabled"], contact["sms_enabled"], contact["whatsapp_enabled"]) == (
        True,
        True,
        False,
    )
    assert len(contact["keyContactPersonId"]) == 24
    assert [r["reminderType"] for r in created["customerReminders"]] == ["ONCE", "RECURRING"]
    assert created["customerReminders"][0]["reminderInterval"] is None
    assert created["customerReminders"][1]["reminderInterval"] == 7

    fetched = await client.get(f"/api/v0/customer/{created['customerId']}", headers=seller.headers)
    assert fetched.status_code == 200
    assert fetched.json()["payload"] == created


async def test_create_needs_a_legal_name_and_a_key_contact(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    body = customer_body(customerKeyContacts=[])
    del body["legalName"]
    response = await client.post("/api/v0/customer", json=body, headers=seller.headers)
    assert response.status_code == 400
    error = response.json()["errorResponse"]
    assert error["errorType"] == "VALIDATION_ERROR"
    fields = {e["field"]: e["message"] for e in error["apiSubErrors"]}
    assert fields["legalName"] == "is required"
    assert set(fields) == {"legalName", "customerKeyContacts"}


async def test_every_bad_field_gets_its_own_sub_error(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    body = customer_body(
        contactNumber="12345",
        email="not-an-email",
        ifsc="HDFC1234567",
        accountNumber="12-34",
        panOrGstin="29ABCDE1234F1ZX",
        state="Atlantis",
        pinCode="5600",
        customerKeyContacts=[{"name": "A", "mobile": "98765", "email": "a@"}],
    )
    response = await client.post("/api/v0/customer", json=body, headers=seller.headers)
    assert response.status_code == 400
    sub_errors = response.json()["errorResponse"]["apiSubErrors"]
    by_field = {e["field"]: e for e in sub_errors}
    assert len(sub_errors) == len(by_field) == 9
    assert by_field["contactNumber"]["rejectedValue"] == "12345"
    assert by_field["email"]["message"] == "must be a valid email address"
    assert by_field["ifsc"]["rejectedValue"] == "HDFC1234567"
    assert by_field["accountNumber"]["message"] == "must be 9 to 36 letters or digits"
    assert by_field["panOrGstin"]["rejectedValue"] == "29ABCDE1234F1ZX"
    assert by_field["state"]["rejectedValue"] == "Atlantis"
    assert by_field["pinCode"]["message"] == "must be six digits"
    assert "customerKeyContacts.0.mobile" in by_field
    assert "customerKeyContacts.0.email" in by_field


async def test_patterns_accept_what_the_contract_allows(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    created = await _create(
        client,
        seller,
        contactNumber="0091-9876543210",
        ifsc="sbin0abc123",
        accountNumber="A" * 36,
        panOrGstin="abcde1234f",
        state="29",
        pinCode=560001,
    )
    assert created["contactNumber"] == "0091-9876543210"
    assert created["ifsc"] == "SBIN0ABC123"
    assert created["panOrGstin"] == "ABCDE1234F"
    assert created["pinCode"] == "560001"


async def test_gstin_state_must_match_the_given_state(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    body = customer_body(panOrGstin=gstin("27"), state="Karnataka")
    response = await client.post("/api/v0/customer", json=body, headers=seller.headers)
    assert response.status_code == 400
    [sub_error] = response.json()["errorResponse"]["apiSubErrors"]
    assert sub_error == {
        "field": "state",
        "message": "does not match the GSTIN's state code 27",
        "rejectedValue": "29",
    }
    # Without a state, the GSTIN alone is fine.
    created = await _create(client, seller, panOrGstin=gstin("27"), state=None)
    assert created["state"] is None


async def test_wrong_json_types_and_malformed_json_are_400(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    body = customer_body(legalName=42, branchCodes="BLR")
    body["customerKeyContacts"][0]["mail_enabled"] = "yes"
    response = await client.post("/api/v0/customer", json=body, headers=seller.headers)
    assert response.status_code == 400
    error = response.json()["errorResponse"]
    assert error["errorType"] == "VALIDATION_ERROR"
    fields = {e["field"] for e in error["apiSubErrors"]}
    assert fields == {"legalName", "branchCodes", "customerKeyContacts.0.mail_enabled"}

    broken = await client.post(
        "/api/v0/customer",
        content=b'{"legalName": ',
        headers={**seller.headers, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert broken.json()["errorResponse"]["errorType"] == "CLIENT_REQUEST_ERROR"


async def test_unique_ref_no_clash_is_422_within_a_seller_only(
    client: httpx.AsyncClient, seller: SellerContext, other_seller: SellerContext
) -> None:
    await _create(client, seller, uniqueRefNo="CUST-001")
    clash = await client.post(
        "/api/v0/customer", json=customer_body(uniqueRefNo="CUST-001"), headers=seller.headers
    )
    assert clash.status_code == 422
    error = clash.json()["errorResponse"]
    assert error["errorType"] == "UNPROCESSABLE_REQUEST"
    assert "CUST-001" in error["errorMessage"]
    # Another seller's codes are its own business.
    await _create(client, other_seller, uniqueRefNo="CUST-001", panOrGstin=None)

    second = await _create(client, seller, uniqueRefNo="CUST-002")
    patch = await client.patch(
        f"/api/v0/customer/{second['customerId']}",
        json={"uniqueRefNo": "CUST-001"},
        headers=seller.headers,
    )
    assert patch.status_code == 422


async def test_patch_keeps_absent_fields_and_clears_nulls(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    created = await _create(client, seller)
    customer_id = created["customerId"]
    response = await client.patch(
        f"/api/v0/customer/{customer_id}",
        json={"legalName": "Sharma Hardware LLP", "assignedAgent": None, "ifsc": None},
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()["payload"]
    assert updated["legalName"] == "Sharma Hardware LLP"
    assert updated["assignedAgent"] is None
    assert updated["ifsc"] is None
    assert updated["accountNumber"] == created["accountNumber"]
    assert updated["email"] == created["email"]
    assert updated["version"] == 2

    cleared = await client.patch(
        f"/api/v0/customer/{customer_id}", json={"legalName": None}, headers=seller.headers
    )
    assert cleared.status_code == 400
    assert cleared.json()["errorResponse"]["apiSubErrors"][0]["field"] == "legalName"

    bad = await client.patch(
        f"/api/v0/customer/{customer_id}", json={"pinCode": "12"}, headers=seller.headers
    )
    assert bad.status_code == 400
    assert bad.json()["errorResponse"]["apiSubErrors"][0]["field"] == "pinCode"

    mismatch = await client.patch(
        f"/api/v0/customer/{customer_id}", json={"state": "Maharashtra"}, headers=seller.headers
    )
    assert mismatch.status_code == 400
    assert mismatch.json()["errorResponse"]["apiSubErrors"][0]["field"] == "state"


async def test_patch_adds_updates_and_removes_key_contacts(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    created = await _create(client, seller)
    customer_id = created["customerId"]
    first_id = created["customerKeyContacts"][0]["keyContactPersonId"]
    response = await client.patch(
        f"/api/v0/customer/{customer_id}",
        json={
            "customerKeyContacts": [
                {"keyContactPersonId": first_id, "designation": "Director", "smsEnabled": False},
                {"name": "Vikram", "email": "vikram@sharma.example", "whatsapp_enabled": False},
            ]
        },
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    contacts = response.json()["payload"]["customerKeyContacts"]
    assert [(c["name"], c["designation"], c["sms_enabled"]) for c in contacts] == [
        ("Asha Rao", "Director", False),
        ("Vikram", None, False),
    ]
    assert contacts[0]["email"] == "asha@sharma.example"  # absent: unchanged
    assert contacts[1]["mail_enabled"] is True  # on by default when there is an email

    removed = await client.patch(
        f"/api/v0/customer/{customer_id}",
        json={"customerKeyContacts": [{"keyContactPersonId": first_id, "deleted": True}]},
        headers=seller.headers,
    )
    assert removed.status_code == 200
    listed = await client.get(f"/api/v0/customer/{customer_id}/contacts", headers=seller.headers)
    assert listed.status_code == 200
    assert [c["name"] for c in listed.json()["payload"]] == ["Vikram"]

    second_id = listed.json()["payload"][0]["keyContactPersonId"]
    last = await client.patch(
        f"/api/v0/customer/{customer_id}",
        json={"customerKeyContacts": [{"keyContactPersonId": second_id, "deleted": True}]},
        headers=seller.headers,
    )
    assert last.status_code == 400
    assert last.json()["errorResponse"]["apiSubErrors"][0]["field"] == "customerKeyContacts"

    unknown = await client.patch(
        f"/api/v0/customer/{customer_id}",
        json={"customerKeyContacts": [{"keyContactPersonId": first_id, "name": "Back"}]},
        headers=seller.headers,
    )
    assert unknown.status_code == 400
    sub_error = unknown.json()["errorResponse"]["apiSubErrors"][0]
    assert sub_error["field"] == "customerKeyContacts.0.keyContactPersonId"
    assert sub_error["rejectedValue"] == first_id


async def test_a_channel_needs_its_address(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    body = customer_body(customerKeyContacts=[{"name": "Only Name", "smsEnabled": True}])
    response = await client.post("/api/v0/customer", json=body, headers=seller.headers)
    assert response.status_code == 400
    [sub_error] = response.json()["errorResponse"]["apiSubErrors"]
    assert sub_error["field"] == "customerKeyContacts.0.mobile"


async def test_activate_deactivate_and_delete_are_repeatable(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    created = await _create(client, seller)
    customer_id = created["customerId"]
    for _ in range(2):
        response = await client.put(
            f"/api/v0/customer/deactivate/{customer_id}", headers=seller.headers
        )
        assert response.status_code == 200
        assert response.json()["payload"]["status"] == "INACTIVE"
    assert response.json()["payload"]["version"] == 2  # the repeat changed nothing
    active = await client.put(f"/api/v0/customer/activate/{customer_id}", headers=seller.headers)
    assert active.json()["payload"]["status"] == "ACTIVE"

    for _ in range(2):
        deleted = await client.delete(f"/api/v0/customer/{customer_id}", headers=seller.headers)
        assert deleted.status_code == 200
        assert deleted.json()["payload"]["deleted"] is True
    fetched = await client.get(f"/api/v0/customer/{customer_id}", headers=seller.headers)
    assert fetched.status_code == 200
    assert fetched.json()["payload"]["deleted"] is True
    assert fetched.json()["payload"]["version"] == 4

    reactivate = await client.put(
        f"/api/v0/customer/activate/{customer_id}", headers=seller.headers
    )
    assert reactivate.status_code == 422
    assert reactivate.json()["errorResponse"]["errorType"] == "UNPROCESSABLE_REQUEST"
    patch = await client.patch(
        f"/api/v0/customer/{customer_id}", json={"address": "x"}, headers=seller.headers
    )
    assert patch.status_code == 422


async def test_history_lists_every_write_with_who_and_what(
    client: httpx.AsyncClient, seller: SellerContext, clock: Clock
) -> None:
    clock.fixed = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    created = await _create(client, seller)
    customer_id = created["customerId"]
    clock.fixed = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
    await client.patch(
        f"/api/v0/customer/{customer_id}", json={"assignedAgent": "Meera"}, headers=seller.headers
    )
    await client.put(f"/api/v0/customer/deactivate/{customer_id}", headers=seller.headers)
    await client.delete(f"/api/v0/customer/{customer_id}", headers=seller.headers)

    response = await client.get(f"/api/v0/customer/{customer_id}/history", headers=seller.headers)
    assert response.status_code == 200
    entries = response.json()["payload"]
    assert [e["action"] for e in entries] == ["CREATED", "UPDATED", "DEACTIVATED", "DELETED"]
    assert entries[0]["changedOn"] == "2026-03-01 12:00:00"
    assert entries[0]["changedBy"]["name"] == "test integration"
    assert entries[1]["before"] == {"assignedAgent": "Ravi"}
    assert entries[1]["after"] == {"assignedAgent": "Meera"}
    assert entries[2]["after"] == {"status": "INACTIVE"}
    assert entries[3]["after"] == {"deleted": True}


async def test_missing_token_is_401_foreign_seller_parameter_403_unknown_id_404(
    client: httpx.AsyncClient, seller: SellerContext, other_seller: SellerContext
) -> None:
    no_token = await client.post("/api/v0/customer", json=customer_body())
    assert no_token.status_code == 401
    assert no_token.json()["errorResponse"]["errorType"] == "UNAUTHORIZED"

    foreign = await client.post(
        "/api/v0/customer",
        params={"sellerId": other_seller.seller_id},
        json=customer_body(),
        headers=seller.headers,
    )
    assert foreign.status_code == 403
    assert foreign.json()["errorResponse"]["errorType"] == "INVALID_ACCESS"
    foreign_company = await client.get(
        "/api/v0/customer/KC00000000000000",
        params={"companyId": other_seller.seller_id},
        headers=seller.headers,
    )
    assert foreign_company.status_code == 403

    missing = await client.get("/api/v0/customer/KC00000000000000", headers=seller.headers)
    assert missing.status_code == 404
    error = missing.json()["errorResponse"]
    assert error["errorType"] == "RECORD_NOT_FOUND"
    assert error["errorMessage"] == "Customer not found: KC00000000000000"


async def test_concurrent_creates_with_one_unique_ref_no_make_one_customer(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v0/customer", json=customer_body(uniqueRefNo="RACE-1"), headers=seller.headers
            )
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 422, 422, 422]
    search = await client.post(
        "/api/v0/customer/search", json={"uniqueRefNo": "RACE-1"}, headers=seller.headers
    )
    assert search.json()["payload"]["totalCount"] == 1
