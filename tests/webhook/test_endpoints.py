"""The webhook endpoint API: create (secret shown once), read, list, PATCH, DELETE, rotate the
secret; URLs and event types checked in the AR error envelope; another seller's id is 404."""

from datetime import timedelta
from typing import Any

import httpx

from tests.support import Clock, SellerContext
from tests.webhook.receiver import Receiver
from tests.webhook.support import T0, create_endpoint

BASE = "/api/v0/webhook-endpoint"


async def test_the_secret_is_shown_at_creation_only(
    client: httpx.AsyncClient, seller: SellerContext, receiver: Receiver, clock: Clock
) -> None:
    clock.fixed = T0
    created = await create_endpoint(
        client, seller, receiver, ["invoice.paid", "invoice.created"], description="ERP"
    )
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert created["enabledEvents"] == ["invoice.created", "invoice.paid"]
    assert created["enabled"] is True and created["description"] == "ERP"
    assert created["createdOn"] == "2026-11-21 12:00:00"

    one = (await client.get(f"{BASE}/{created['id']}", headers=seller.headers)).json()["payload"]
    listed = (await client.get(BASE, headers=seller.headers)).json()["payload"]["endpoints"]
    assert "secret" not in one and one["url"] == receiver.url
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]


async def test_patch_changes_what_is_given_and_delete_removes_it(
    client: httpx.AsyncClient, seller: SellerContext, receiver: Receiver
) -> None:
    created = await create_endpoint(client, seller, receiver)
    url = f"{BASE}/{created['id']}"
    patched = await client.patch(
        url, json={"enabledEvents": ["payment.accepted"], "enabled": False}, headers=seller.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["payload"]["enabledEvents"] == ["payment.accepted"]
    assert patched.json()["payload"]["enabled"] is False
    assert patched.json()["payload"]["url"] == receiver.url  # not given: unchanged

    assert (await client.delete(url, headers=seller.headers)).status_code == 200
    assert (await client.get(url, headers=seller.headers)).status_code == 404
    assert (await client.get(BASE, headers=seller.headers)).json()["payload"]["endpoints"] == []


async def test_another_sellers_endpoint_is_not_found(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    receiver: Receiver,
) -> None:
    created = await create_endpoint(client, seller, receiver)
    url = f"{BASE}/{created['id']}"
    theirs = other_seller.headers
    answers = [
        await client.get(url, headers=theirs),
        await client.patch(url, json={"enabled": False}, headers=theirs),
        await client.delete(url, headers=theirs),
        await client.post(f"{url}/rotate-secret", headers=theirs),
        await client.get(f"{url}/deliveries", headers=theirs),
        await client.post(f"{url}/deliveries/000000000000000000000000/retry", headers=theirs),
    ]
    assert [a.status_code for a in answers] == [404] * 6
    assert {a.json()["errorResponse"]["errorType"] for a in answers} == {"RECORD_NOT_FOUND"}
    assert (await client.get(url, headers=seller.headers)).json()["payload"]["enabled"] is True


async def _refused(client: httpx.AsyncClient, seller: SellerContext, body: dict[str, Any]) -> str:
    response = await client.post(BASE, json=body, headers=seller.headers)
    assert response.status_code == 400, response.text
    error = response.json()["errorResponse"]
    assert error["errorType"] == "VALIDATION_ERROR"
    message: str = error["apiSubErrors"][0]["message"]
    return message


async def test_unsafe_urls_are_refused_in_the_ar_envelope(
    client: httpx.AsyncClient, seller: SellerContext
) -> None:
    events = ["*"]
    link_local = {"url": "https://169.254.169.254/latest/meta-data", "enabledEvents": events}
    metadata = {"url": "https://metadata.google.internal/x", "enabledEvents": events}
    plain_http = {"url": "http://203.0.113.9/hooks", "enabledEvents": events}
    private = {"url": "https://10.0.0.7/hooks", "enabledEvents": events}
    assert "link-local" in await _refused(client, seller, link_local)
    assert "metadata" in await _refused(client, seller, metadata)
    assert "must be https" in await _refused(client, seller, plain_http)
    assert "not a public address" in await _refused(client, seller, private)


async def test_unknown_event_types_and_missing_fields_are_refused(
    client: httpx.AsyncClient, seller: SellerContext, receiver: Receiver
) -> None:
    unknown = {"url": receiver.url, "enabledEvents": ["invoice.created", "invoice.exploded"]}
    assert "invoice.exploded" in await _refused(client, seller, unknown)
    response = await client.post(BASE, json={"url": receiver.url}, headers=seller.headers)
    assert response.status_code == 400
    assert response.json()["errorResponse"]["errorType"] == "VALIDATION_ERROR"
    created = await create_endpoint(client, seller, receiver)
    patched = await client.patch(
        f"{BASE}/{created['id']}",
        json={"url": "https://169.254.169.254/"},
        headers=seller.headers,
    )
    assert patched.status_code == 400
    assert patched.json()["errorResponse"]["errorType"] == "VALIDATION_ERROR"


async def test_rotation_shows_the_new_secret_once_and_keeps_the_old_for_the_grace(
    client: httpx.AsyncClient, seller: SellerContext, receiver: Receiver, clock: Clock
) -> None:
    clock.fixed = T0
    created = await create_endpoint(client, seller, receiver)
    url = f"{BASE}/{created['id']}/rotate-secret"
    rotated = await client.post(url, json={"expiresInHours": 2}, headers=seller.headers)
    assert rotated.status_code == 200, rotated.text
    payload = rotated.json()["payload"]
    assert payload["secret"].startswith("whsec_") and payload["secret"] != created["secret"]
    assert payload["previousSecretExpiresOn"] == "2026-11-21 14:00:00"
    shown = await client.get(f"{BASE}/{created['id']}", headers=seller.headers)
    assert "secret" not in shown.json()["payload"]

    clock.fixed = T0 + timedelta(minutes=5)
    default = await client.post(url, headers=seller.headers)
    assert default.json()["payload"]["previousSecretExpiresOn"] == "2026-11-22 12:05:00"
    bad = await client.post(url, json={"expiresInHours": -1}, headers=seller.headers)
    assert bad.status_code == 400 and bad.json()["errorResponse"]["errorType"] == "VALIDATION_ERROR"
