"""POST /api/v0/invoice/status-change: every requestable transition, the refusals, the
optimistic version check, and the audit history it leaves."""

import httpx

from tests.invoice.ar_factories import confirm, create_invoice, dispatch, report_payment
from tests.support import Database, SellerContext, create_customer


async def _change(
    client: httpx.AsyncClient,
    seller: SellerContext,
    invoice: dict[str, object],
    new: str,
    *,
    current: str | None = None,
    version: int | None = None,
    remarks: str | None = "settled by cheque",
) -> httpx.Response:
    body = {
        "invoiceId": invoice["invoiceId"],
        "statusTransition": {
            "currentStatus": current or invoice["receivableStatus"]["name"],  # type: ignore[index]
            "newStatus": new,
        },
        "objectVersion": {"currentVersion": version or invoice["version"]},
        "remarks": remarks,
    }
    return await client.post("/api/v0/invoice/status-change", json=body, headers=seller.headers)


async def _in_state(
    client: httpx.AsyncClient, seller: SellerContext, customer_id: str, state: str
) -> dict[str, object]:
    invoice = await create_invoice(client, seller, customer_id, baseAmount=100, cgst=0, sgst=0)
    invoice_id = invoice["invoiceId"]
    if state != "CREATED":
        await dispatch(client, seller, invoice_id)
    if state in ("PAYMENT_INITIATED", "PARTIALLY_PAID", "PAID"):
        amount = 100 if state == "PAID" else 40
        reported = await report_payment(client, seller, [(invoice_id, amount)])
        assert reported.status_code == 200, reported.text
        if state != "PAYMENT_INITIATED":
            assert (
                await confirm(client, seller, reported.json()["payload"]["paymentId"])
            ).is_success
    response = await client.get(f"/api/v0/invoice/{invoice_id}", headers=seller.headers)
    shown: dict[str, object] = response.json()["payload"]
    assert shown["receivableStatus"]["name"] == state  # type: ignore[index]
    return shown


ALLOWED = [
    ("CREATED", "CANCELLED"),
    ("SENT_TO_BUYER", "CANCELLED"),
    ("SENT_TO_BUYER", "CLOSED"),
    ("PARTIALLY_PAID", "CLOSED"),
]
REFUSED = [
    ("CREATED", "CLOSED"),
    ("SENT_TO_BUYER", "PAID"),
    ("PAYMENT_INITIATED", "CANCELLED"),
    ("PARTIALLY_PAID", "CANCELLED"),
    ("PAID", "CLOSED"),
    ("CANCELLED", "CREATED"),
    ("CLOSED", "SENT_TO_BUYER"),
]


async def test_every_allowed_transition_bumps_the_version(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    for current, new in ALLOWED:
        invoice = await _in_state(client, seller, customer_id, current)
        response = await _change(client, seller, invoice, new)
        assert response.status_code == 200, (current, new, response.text)
        changed = response.json()["payload"]
        assert changed["receivableStatus"]["name"] == new
        assert changed["version"] == invoice["version"] + 1  # type: ignore[operator]
        if current == "PARTIALLY_PAID":
            assert changed["balanceAmount"] == 60 and changed["totalReceived"] == 40
            assert changed["overdue"] is False


async def test_a_refused_transition_for_each_state(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    for current, new in REFUSED:
        if current in ("CANCELLED", "CLOSED"):
            invoice = await _in_state(client, seller, customer_id, "SENT_TO_BUYER")
            done = await _change(client, seller, invoice, current)
            assert done.status_code == 200
            invoice = done.json()["payload"]
        else:
            invoice = await _in_state(client, seller, customer_id, current)
        response = await _change(client, seller, invoice, new)
        assert response.status_code == 422, (current, new, response.text)
        assert response.json()["errorResponse"]["errorMessage"] == (
            f"Status change from {current} to {new} is not allowed"
        )


async def test_closing_needs_remarks_and_stale_views_are_refused(
    client: httpx.AsyncClient, seller: SellerContext, database: Database
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await _in_state(client, seller, customer_id, "SENT_TO_BUYER")
    no_remarks = await _change(client, seller, invoice, "CLOSED", remarks="  ")
    assert no_remarks.status_code == 400
    assert no_remarks.json()["errorResponse"]["apiSubErrors"][0]["field"] == "remarks"
    stale_version = await _change(client, seller, invoice, "CLOSED", version=1)
    assert stale_version.status_code == 422
    assert stale_version.json()["errorResponse"]["errorMessage"] == (
        "Invoice has changed: it is SENT_TO_BUYER at version 2, not SENT_TO_BUYER at version 1"
    )
    stale_status = await _change(client, seller, invoice, "CANCELLED", current="CREATED")
    assert stale_status.status_code == 422
    unknown = await _change(client, seller, invoice, "ARCHIVED")
    assert unknown.status_code == 400
    assert (await _change(client, seller, invoice, "CLOSED")).status_code == 200

    history = await client.get(
        f"/api/v0/invoice/{invoice['invoiceId']}/history", headers=seller.headers
    )
    assert history.status_code == 200
    entries = history.json()["payload"]
    assert [entry["action"] for entry in entries] == ["CREATED", "DISPATCHED", "STATUS_CHANGED"]
    last = entries[-1]
    assert last["before"]["receivableStatus"] == "SENT_TO_BUYER"
    assert last["after"]["receivableStatus"] == "CLOSED"
    assert last["after"]["remarks"] == "settled by cheque"
    assert last["changedBy"]["name"] == "test integration"


async def test_status_change_of_unknown_or_foreign_invoice_is_not_found(
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    database: Database,
) -> None:
    customer_id = await create_customer(database, seller.seller_id)
    invoice = await _in_state(client, seller, customer_id, "CREATED")
    response = await _change(client, other_seller, invoice, "CANCELLED")
    assert response.status_code == 404
    history = await client.get(
        f"/api/v0/invoice/{invoice['invoiceId']}/history", headers=other_seller.headers
    )
    assert history.status_code == 404
