"""Helpers of the report tests: invoices, payments and closings made over the AR API on given
business days (the app clock is moved to noon in Kolkata of that day), and the reports read."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx

from khata.kit.ids import new_object_id
from tests.invoice.ar_factories import confirm, create_invoice, dispatch, report_payment
from tests.support import Clock, SellerContext

# 12:00 in Kolkata, 06:30 UTC: the business day is the same in both.
_NOON_IST = time(6, 30)


def noon(day: date) -> datetime:
    return datetime.combine(day, _NOON_IST, UTC)


async def invoice(
    client: httpx.AsyncClient,
    seller: SellerContext,
    customer_id: str,
    *,
    dated: date,
    due: date | None = None,
    amount: float = 1000,
    **extra: Any,
) -> str:
    """An AR invoice of `amount` rupees (no GST unless given) dated `dated`; its id."""
    body = {"cgst": 0, "sgst": 0, **extra}
    made = await create_invoice(
        client,
        seller,
        customer_id,
        invoiceDate=dated.isoformat(),
        dueDate=(due or dated + timedelta(days=30)).isoformat(),
        baseAmount=amount,
        **body,
    )
    return str(made["invoiceId"])


async def pay(
    client: httpx.AsyncClient,
    seller: SellerContext,
    clock: Clock,
    shares: list[tuple[str, float]],
    *,
    on: date,
    answer: str = "ACCEPT",
) -> str:
    """A payment reported and answered (accepted or rejected) on business day `on`."""
    clock.fixed = noon(on)
    payment_id = f"PAY-{new_object_id()}"
    try:
        reported = await report_payment(client, seller, shares, payment_id=payment_id)
        assert reported.status_code == 200, reported.text
        answered = await confirm(client, seller, payment_id, answer)
        assert answered.status_code == 200, answered.text
    finally:
        clock.fixed = None
    return payment_id


async def close(
    client: httpx.AsyncClient, seller: SellerContext, clock: Clock, invoice_id: str, *, on: date
) -> None:
    """Dispatch (when still CREATED) and close the invoice on business day `on`."""
    shown = (await client.get(f"/api/v0/invoice/{invoice_id}", headers=seller.headers)).json()
    if shown["payload"]["receivableStatus"]["name"] == "CREATED":
        await dispatch(client, seller, invoice_id)
        shown = (await client.get(f"/api/v0/invoice/{invoice_id}", headers=seller.headers)).json()
    payload = shown["payload"]
    clock.fixed = noon(on)
    try:
        changed = await client.post(
            "/api/v0/invoice/status-change",
            json={
                "invoiceId": invoice_id,
                "statusTransition": {
                    "currentStatus": payload["receivableStatus"]["name"],
                    "newStatus": "CLOSED",
                },
                "objectVersion": {"currentVersion": payload["version"]},
                "remarks": "settled outside",
            },
            headers=seller.headers,
        )
        assert changed.status_code == 200, changed.text
    finally:
        clock.fixed = None


async def aging(client: httpx.AsyncClient, seller: SellerContext, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v0/reports/aging", params=params, headers=seller.headers)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["payload"]
    return payload


def row_of(report: dict[str, Any], customer_id: str) -> dict[str, Any] | None:
    rows = [row for row in report["rows"] if row["customerId"] == customer_id]
    return rows[0] if rows else None
