"""Webhook deliveries by the worker to a real HTTP receiver that checks each signature: the
body and headers, retries with exponential backoff on the clock given, DEAD after 3 days, the
delivery log and a manual retry, a redirect not followed, the URL checked again at send time,
the secret rotation's two signatures, subscriptions and fan-out."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from khata.models import WebhookDelivery, WebhookEvent
from tests.invoice.ar_factories import create_invoice, get_invoice
from tests.support import Clock, Database, SellerContext, create_customer
from tests.webhook.receiver import Receiver, verify
from tests.webhook.support import T0, create_endpoint, deliver, delivery_log

BASE = "/api/v0/webhook-endpoint"


async def _invoice_created(
    client: httpx.AsyncClient, database: Database, seller: SellerContext
) -> dict[str, Any]:
    customer_id = await create_customer(database, seller.seller_id)
    return await create_invoice(client, seller, customer_id)


async def test_an_event_arrives_signed_with_its_id_and_the_invoice_as_get_shows_it(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    clock.fixed = T0
    await create_endpoint(client, seller, receiver)
    invoice = await _invoice_created(client, database, seller)

    result = await deliver(database, T0)

    assert result.sent == 1
    (got,) = receiver.received
    assert got.valid and got.signatures == 1 and got.timestamp == int(T0.timestamp())
    assert got.body["type"] == "invoice.created" and got.body["id"] == got.event_id
    assert got.body["sellerId"] == seller.seller_id
    assert got.body["createdOn"] == T0.isoformat()
    assert got.body["data"] == await get_invoice(client, seller, invoice["invoiceId"])
    log = await delivery_log(client, seller, (await _only_endpoint(client, seller))["id"])
    (row,) = log["deliveries"]
    assert row["eventId"] == got.event_id and row["type"] == "invoice.created"
    assert (row["status"], row["attempts"], row["lastResponseCode"]) == ("DELIVERED", 1, 200)
    assert row["nextAttemptOn"] is None and row["deliveredOn"] == "2026-11-21 12:00:00"


async def _only_endpoint(client: httpx.AsyncClient, seller: SellerContext) -> dict[str, Any]:
    (endpoint,) = (await client.get(BASE, headers=seller.headers)).json()["payload"]["endpoints"]
    found: dict[str, Any] = endpoint
    return found


async def test_failures_are_retried_with_doubling_backoff_and_arrive_once(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    clock.fixed = T0
    endpoint = await create_endpoint(client, seller, receiver)
    await _invoice_created(client, database, seller)
    receiver.answers = [500, 500]

    await deliver(database, T0)  # 500: again after 1 minute
    (row,) = (await delivery_log(client, seller, endpoint["id"]))["deliveries"]
    assert (row["status"], row["attempts"], row["lastResponseCode"]) == ("PENDING", 1, 500)
    assert row["nextAttemptOn"] == "2026-11-21 12:01:00"
    assert (await deliver(database, T0 + timedelta(seconds=59))).claimed == 0  # not yet due

    await deliver(database, T0 + timedelta(minutes=1))  # 500: again after 2 more minutes
    (row,) = (await delivery_log(client, seller, endpoint["id"]))["deliveries"]
    assert (row["attempts"], row["nextAttemptOn"]) == (2, "2026-11-21 12:03:00")
    assert (await deliver(database, T0 + timedelta(minutes=2))).claimed == 0

    await deliver(database, T0 + timedelta(minutes=3))  # 200
    (row,) = (await delivery_log(client, seller, endpoint["id"]))["deliveries"]
    assert (row["status"], row["attempts"], row["lastResponseCode"]) == ("DELIVERED", 3, 200)
    assert len(receiver.received) == 3 and set(receiver.requests().values()) == {3}
    assert list(receiver.accepted().values()) == [1]
    assert all(r.valid for r in receiver.received)
    assert (await deliver(database, T0 + timedelta(days=1))).claimed == 0


async def test_after_three_days_of_failures_the_delivery_is_dead_and_can_be_retried(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    clock.fixed = T0
    endpoint = await create_endpoint(client, seller, receiver)
    await _invoice_created(client, database, seller)
    receiver.answers = [503] * 100

    await deliver(database, T0)
    moment, tries = T0, 1
    while True:  # every retry as it falls due, the backoff capped at 6 hours
        (row,) = (await delivery_log(client, seller, endpoint["id"]))["deliveries"]
        if row["status"] != "PENDING":
            break
        assert tries < 40
        moment = moment + timedelta(hours=6)
        await deliver(database, moment)
        tries += 1
    assert row["status"] == "DEAD" and row["nextAttemptOn"] is None
    assert row["lastResponseCode"] == 503 and row["attempts"] == tries
    assert moment >= T0 + timedelta(days=3) > moment - timedelta(hours=6)

    receiver.answers = []
    clock.fixed = moment + timedelta(hours=1)
    url = f"{BASE}/{endpoint['id']}/deliveries/{row['id']}/retry"
    retried = await client.post(url, headers=seller.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["payload"]["status"] == "PENDING"
    await deliver(database, moment + timedelta(hours=1))
    (row,) = (await delivery_log(client, seller, endpoint["id"]))["deliveries"]
    assert row["status"] == "DELIVERED" and list(receiver.accepted().values()) == [1]


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    clock.fixed = T0
    endpoint = await create_endpoint(client, seller, receiver)
    await _invoice_created(client, database, seller)
    receiver.answers = [302]

    await deliver(database, T0)

    assert [r.path for r in receiver.received] == ["/hooks"]  # /elsewhere never asked
    (row,) = (await delivery_log(client, seller, endpoint["id"]))["deliveries"]
    assert (row["status"], row["lastResponseCode"]) == ("PENDING", 302)


async def test_the_url_is_checked_again_at_send_time(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    """Saved while the operator allowed the host; the worker's settings no longer do."""
    clock.fixed = T0
    endpoint = await create_endpoint(client, seller, receiver)
    await _invoice_created(client, database, seller)

    await deliver(database, T0, allow="")

    assert receiver.received == []
    (row,) = (await delivery_log(client, seller, endpoint["id"]))["deliveries"]
    assert row["status"] == "PENDING" and row["lastResponseCode"] is None
    assert "refused URL" in row["lastError"] and "KHATA_WEBHOOK_ALLOW_HOSTS" in row["lastError"]


async def test_during_a_rotations_grace_both_secrets_sign_then_only_the_new(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    clock.fixed = T0
    endpoint = await create_endpoint(client, seller, receiver)
    old = receiver.secrets[0]
    rotated = await client.post(
        f"{BASE}/{endpoint['id']}/rotate-secret", json={"expiresInHours": 1}, headers=seller.headers
    )
    new = rotated.json()["payload"]["secret"]
    await _invoice_created(client, database, seller)
    await deliver(database, T0)
    clock.fixed = T0 + timedelta(hours=2)
    await _invoice_created(client, database, seller)
    await deliver(database, T0 + timedelta(hours=2))

    during, after = receiver.received
    assert verify(during.signature, during.raw, [old])[1:] == (2, True)
    assert verify(during.signature, during.raw, [new])[1:] == (2, True)
    assert verify(after.signature, after.raw, [new])[1:] == (1, True)
    assert verify(after.signature, after.raw, [old])[1:] == (1, False)


async def test_only_subscribed_enabled_endpoints_get_an_event_each(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    clock.fixed = T0
    everything = await create_endpoint(client, seller, receiver)
    created_only = await create_endpoint(client, seller, receiver, ["invoice.created"])
    paid_only = await create_endpoint(client, seller, receiver, ["invoice.paid"])
    disabled = await create_endpoint(client, seller, receiver, enabled=False)
    await _invoice_created(client, database, seller)
    await deliver(database, T0)

    # One event, one delivery to each endpoint that wants it, the same event id.
    assert list(receiver.accepted().values()) == [2]
    async with database.session_factory() as session:
        events = await session.scalar(
            select(func.count()).where(WebhookEvent.seller_id == seller.seller_id)
        )
        rows = (
            await session.execute(
                select(WebhookDelivery.endpoint_id).where(
                    WebhookDelivery.seller_id == seller.seller_id
                )
            )
        ).scalars()
        assert events == 1
        assert sorted(rows) == sorted([everything["id"], created_only["id"]])
    for endpoint in (paid_only, disabled):
        assert (await delivery_log(client, seller, endpoint["id"]))["deliveries"] == []


async def test_an_endpoint_disabled_or_deleted_before_the_send_gets_nothing(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    clock.fixed = T0
    kept = await create_endpoint(client, seller, receiver)
    deleted = await create_endpoint(client, seller, receiver)
    await _invoice_created(client, database, seller)
    await client.patch(f"{BASE}/{kept['id']}", json={"enabled": False}, headers=seller.headers)
    await client.delete(f"{BASE}/{deleted['id']}", headers=seller.headers)

    await deliver(database, T0)

    assert receiver.received == []
    (row,) = (await delivery_log(client, seller, kept["id"]))["deliveries"]
    assert (row["status"], row["lastError"]) == ("CANCELLED", "endpoint disabled")


async def test_the_log_is_newest_first_and_paged(
    client: httpx.AsyncClient,
    database: Database,
    seller: SellerContext,
    receiver: Receiver,
    clock: Clock,
) -> None:
    endpoint = await create_endpoint(client, seller, receiver)
    for minute in range(3):
        clock.fixed = T0 + timedelta(minutes=minute)
        await _invoice_created(client, database, seller)
    page = await delivery_log(client, seller, endpoint["id"], limit=2)
    assert page["total_count"] == 3 and len(page["deliveries"]) == 2
    created = [row["createdOn"] for row in page["deliveries"]]
    assert created == ["2026-11-21 12:02:00", "2026-11-21 12:01:00"]
    rest = await delivery_log(client, seller, endpoint["id"], limit=2, offset=2)
    assert [row["createdOn"] for row in rest["deliveries"]] == ["2026-11-21 12:00:00"]
