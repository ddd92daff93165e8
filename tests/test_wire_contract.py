"""Real answers of every operation, success and error, validate against the schema their
operation declares in /openapi.json (the `client` fixture checks every answer of the suite the
same way; this test makes sure each operation and each dialect's errors are among them)."""

import base64
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.robustness_support import World, ar_invoice_body, build_world, payment_body
from tests.support import SellerContext
from tests.wire_contract import WireContract


class Recorder:
    """Sends requests, holds each answer to its documentation, remembers what it covered."""

    def __init__(self, client: httpx.AsyncClient, contract: WireContract) -> None:
        self.client, self.contract = client, contract
        self.covered: set[tuple[str, str, int]] = set()

    async def send(self, method: str, url: str, status: int, **kwargs: Any) -> Any:
        response = await self.client.request(method, url, **kwargs)
        assert response.status_code == status, (method, url, response.text)
        assert self.contract.problem(response) is None, (method, url)
        operation = self.contract.operation(method, response.request.url.path)
        assert operation is not None
        self.covered.add((method, operation.template, status))
        is_json = response.headers["content-type"].startswith("application/json")
        return response.json() if is_json else response.content


@pytest.fixture
async def recorder(client: httpx.AsyncClient, app: FastAPI) -> Recorder:
    return Recorder(client, WireContract(app.openapi()))


@pytest.fixture
async def world(client: httpx.AsyncClient, seller: SellerContext) -> World:
    return await build_world(client, seller.headers, seller.seller_id)


async def _oauth(rec: Recorder, seller: SellerContext) -> dict[str, str]:
    """Token, revoke and their errors; answers the admin's bearer header."""
    basic = base64.b64encode(f"{seller.client_id}:{seller.client_secret}".encode()).decode()
    auth = {"Authorization": f"Basic {basic}"}
    login = {"grant_type": "password", "username": seller.admin_email}
    token = await rec.send(
        "POST", "/oauth/token", 200, data={**login, "password": seller.admin_password}, headers=auth
    )
    await rec.send("POST", "/oauth/token", 400, data={"grant_type": "magic"}, headers=auth)
    await rec.send("POST", "/oauth/token", 401, data=login)
    await rec.send("POST", "/oauth/revoke", 200, data={"token": "nope"}, headers=auth)
    await rec.send("GET", "/healthz", 200)
    await rec.send("GET", "/metrics", 200)
    return {"Authorization": f"Bearer {token['access_token']}"}


async def _commerce(rec: Recorder, h: dict[str, str], world: World) -> None:
    line = {"name": "Bolt", "quantity": 2, "unitPrice": 10.5, "taxRate": 12.5}
    order = await rec.send(
        "POST",
        "/orders",
        201,
        json={"customerId": world.customer_id, "lineItems": [line]},
        headers=h,
    )
    order_id = order["data"]["id"]
    await rec.send("GET", f"/orders/{order_id}", 200, headers=h)
    await rec.send("GET", "/orders?limit=5", 200, headers=h)
    made = await rec.send("POST", "/invoices", 201, json={"orderId": order_id}, headers=h)
    invoice_id = made["data"]["id"]
    await rec.send("GET", f"/invoices/{invoice_id}", 200, headers=h)
    await rec.send("GET", f"/invoices/{invoice_id}/pdf", 200, headers=h)
    await rec.send("GET", f"/invoices?orderId={order_id}", 200, headers=h)
    await rec.send("POST", "/invoices/bulk", 409, json={"orderIds": [order_id]}, headers=h)
    await rec.send("DELETE", f"/invoices/{invoice_id}", 200, headers=h)
    await rec.send("POST", "/invoices/bulk", 201, json={"orderIds": [order_id]}, headers=h)
    await rec.send("POST", "/orders", 400, json={"lineItems": []}, headers=h)
    await rec.send("GET", "/orders/0123456789abcdef01234567", 404, headers=h)
    await rec.send("GET", "/orders", 401)
    await rec.send("GET", "/orders?sellerId=CEKNOTMINE", 403, headers=h)


async def _customers(rec: Recorder, h: dict[str, str], world: World) -> None:
    base = f"/api/v0/customer/{world.customer_id}"
    await rec.send("GET", base, 200, headers=h)
    await rec.send("PATCH", base, 200, json={"assignedAgent": "Ravi"}, headers=h)
    await rec.send("PUT", f"/api/v0/customer/deactivate/{world.customer_id}", 200, headers=h)
    await rec.send("PUT", f"/api/v0/customer/activate/{world.customer_id}", 200, headers=h)
    await rec.send("POST", "/api/v0/customer/search?limit=5", 200, json={}, headers=h)
    await rec.send("GET", f"{base}/contacts", 200, headers=h)
    await rec.send("GET", f"{base}/history", 200, headers=h)
    rule = {"dueDateDifference": 3, "reminderType": "RECURRING", "reminderInterval": 7}
    made = await rec.send("POST", f"{base}/reminder", 200, json=rule, headers=h)
    await rec.send("GET", f"{base}/reminders", 200, headers=h)
    one = f"/api/v0/customer/reminder/{made['payload']['customerReminderId']}"
    await rec.send("GET", one, 200, headers=h)
    await rec.send("PATCH", one, 200, json={"stage": "gentle"}, headers=h)
    await rec.send("DELETE", one, 200, headers=h)
    await rec.send("POST", "/api/v0/customer", 400, json={"legalName": ""}, headers=h)
    await rec.send("GET", "/api/v0/customer/KC00000000000000", 404, headers=h)
    await rec.send("GET", f"{base}?sellerId=CEKNOTMINE", 403, headers=h)
    await rec.send("GET", base, 401)


async def _invoices(rec: Recorder, h: dict[str, str], world: World) -> None:
    one = f"/api/v0/invoice/{world.ar_invoice_id}"
    invoice = (await rec.send("GET", one, 200, headers=h))["payload"]
    await rec.send("PATCH", one, 200, json={"description": "Bolts"}, headers=h)
    await rec.send("POST", "/api/v0/invoice/search?limit=3", 200, json={}, headers=h)
    await rec.send("GET", f"{one}/history", 200, headers=h)
    await rec.send("GET", f"{one}/pdf", 200, headers=h)
    ids = {"invoiceIds": [world.ar_invoice_id, "0123456789abcdef01234567"]}
    await rec.send("POST", "/api/v0/invoice/bulk/dispatch", 200, json=ids, headers=h)
    await rec.send("GET", f"{one}/deliveries", 200, headers=h)
    change = {
        "invoiceId": world.ar_invoice_id,
        "statusTransition": {"currentStatus": "SENT_TO_BUYER", "newStatus": "CANCELLED"},
        "objectVersion": {"currentVersion": invoice["version"]},  # stale by now
    }
    await rec.send("POST", "/api/v0/invoice/status-change", 422, json=change, headers=h)
    change["objectVersion"] = {"currentVersion": invoice["version"] + 2}
    await rec.send("POST", "/api/v0/invoice/status-change", 200, json=change, headers=h)
    await rec.send("POST", "/api/v0/invoice/bulk/delete", 200, json=ids, headers=h)
    await rec.send("POST", "/api/v0/invoice", 400, json={}, headers=h)
    await rec.send("GET", "/api/v0/payment/NOPE", 404, headers=h)


async def _payments_and_files(rec: Recorder, h: dict[str, str], world: World) -> None:
    await rec.send("GET", f"/api/v0/payment/{world.payment_id}", 200, headers=h)
    body = {"paymentId": world.payment_id, "response": "ACCEPT", "type": "OFFPLATFORM"}
    await rec.send("POST", "/api/v0/invoice/payment-confirmation", 200, json=body, headers=h)
    pay = payment_body("PAY-CONTRACT", [(world.paid_invoice_id, 1.0)])
    await rec.send("POST", "/api/v0/payment", 200, json=pay, headers=h)
    job = f"/api/v0/bulk/{world.job_id}"
    await rec.send("GET", job, 200, headers=h)
    await rec.send("GET", "/api/v0/bulk?limit=5", 200, headers=h)
    for kind in ("success", "failure"):
        await rec.send("GET", f"{job}/files/{kind}", 200, headers=h)
    for form in ("csv", "xlsx"):
        await rec.send("GET", f"/api/v0/invoice/bulk/template?format={form}", 200, headers=h)
        await rec.send("GET", f"/api/v0/customer/bulk/template?format={form}", 200, headers=h)
    created = b"legalName,contactName,contactEmail\nFile Buyer Ltd,Meera,meera@buyer.example\n"
    upload = {"file": ("customers.csv", created)}
    await rec.send("POST", "/api/v0/customer/bulk", 200, files=upload, headers=h)
    changed = f"customerId,assignedAgent\n{world.customer_id},Kiran\n".encode()
    upload = {"file": ("update.csv", changed)}
    await rec.send("POST", "/api/v0/customer/bulk/update", 200, files=upload, headers=h)
    await rec.send("GET", "/api/v0/seller", 200, headers=h)


async def _reports(rec: Recorder, h: dict[str, str], world: World) -> None:
    for form in ("json", "csv", "xlsx"):
        await rec.send("GET", f"/api/v0/reports/aging?format={form}", 200, headers=h)
    await rec.send("GET", "/api/v0/reports/aging?buckets=60,30", 400, headers=h)
    await rec.send("GET", "/api/v0/reports/dso?from=2026-01-01&to=2026-12-31", 200, headers=h)
    statement = f"/api/v0/customer/{world.customer_id}/statement"
    for form in ("json", "csv", "pdf"):
        await rec.send("GET", f"{statement}?from=2026-01-01&format={form}", 200, headers=h)
    period = {"from": "2026-01-01", "to": "2026-12-31"}
    await rec.send("POST", f"{statement}/send", 200, json=period, headers=h)


async def _credit_notes(rec: Recorder, h: dict[str, str], world: World) -> None:
    """Credit notes and write-offs in both dialects, with their refusals."""
    invoice = ar_invoice_body(world.customer_id, "CONTRACT-CN")
    made = (await rec.send("POST", "/api/v0/invoice", 200, json=invoice, headers=h))["payload"]
    one = f"/api/v0/invoice/{made['invoiceId']}"
    body = {"reason": "Returned", "amount": 1.0}
    note = (await rec.send("POST", f"{one}/credit-note", 200, json=body, headers=h))["payload"]
    await rec.send("POST", f"{one}/credit-note", 400, json={"reason": "x"}, headers=h)
    too_much = {"reason": "x", "amount": 10**9}
    await rec.send("POST", f"{one}/credit-note", 422, json=too_much, headers=h)
    await rec.send("GET", f"{one}/credit-notes", 200, headers=h)
    await rec.send("GET", f"/api/v0/credit-note/{note['creditNoteId']}", 200, headers=h)
    await rec.send("GET", f"/api/v0/credit-note/{note['creditNoteId']}/pdf", 200, headers=h)
    await rec.send("GET", "/api/v0/credit-note/NOPE", 404, headers=h)
    await rec.send("POST", f"{one}/write-off", 200, json={"reason": "Bad debt"}, headers=h)
    line = {"name": "Nut", "quantity": 1, "unitPrice": 5, "taxRate": 18}
    order = await rec.send(
        "POST",
        "/orders",
        201,
        json={"customerId": world.customer_id, "lineItems": [line]},
        headers=h,
    )
    order_id = order["data"]["id"]
    bill = await rec.send("POST", "/invoices", 201, json={"orderId": order_id}, headers=h)
    mirror = f"/invoices/{bill['data']['id']}/credit-notes"
    await rec.send("POST", mirror, 201, json={"reason": "Returned", "amount": 1}, headers=h)
    await rec.send("POST", mirror, 409, json={"reason": "x", "amount": 10**9}, headers=h)
    await rec.send("GET", "/api/v0/credit-note/bulk/template", 200, headers=h)
    rows = f"invoiceNumber,reason,amount,date\nCONTRACT-CN,Returned,1,{made['invoiceDate']}\n"
    upload = {"file": ("credits.csv", rows.encode())}
    await rec.send("POST", "/api/v0/credit-note/bulk", 200, files=upload, headers=h)


async def _webhooks(rec: Recorder, h: dict[str, str], world: World) -> None:
    """Every webhook endpoint operation; the endpoint is removed at the end, so no worker of a
    later test tries to send its delivery."""
    base = "/api/v0/webhook-endpoint"
    body = {"url": "https://8.8.8.8/hooks", "enabledEvents": ["invoice.created"]}
    made = (await rec.send("POST", base, 200, json=body, headers=h))["payload"]
    one = f"{base}/{made['id']}"
    await rec.send("GET", base, 200, headers=h)
    await rec.send("GET", one, 200, headers=h)
    await rec.send("PATCH", one, 200, json={"description": "ERP"}, headers=h)
    await rec.send("POST", f"{one}/rotate-secret", 200, json={"expiresInHours": 1}, headers=h)
    invoice = ar_invoice_body(world.customer_id, "CONTRACT-HOOK")
    await rec.send("POST", "/api/v0/invoice", 200, json=invoice, headers=h)
    log = (await rec.send("GET", f"{one}/deliveries", 200, headers=h))["payload"]
    delivery_id = log["deliveries"][0]["id"]
    await rec.send("POST", f"{one}/deliveries/{delivery_id}/retry", 200, headers=h)
    await rec.send("DELETE", one, 200, headers=h)


async def test_every_operation_answers_as_documented(
    recorder: Recorder, seller: SellerContext, world: World
) -> None:
    admin = await _oauth(recorder, seller)
    h = seller.headers
    await _commerce(recorder, h, world)
    await _customers(recorder, h, world)
    await _invoices(recorder, h, world)
    await _payments_and_files(recorder, h, world)
    await _reports(recorder, h, world)
    await _credit_notes(recorder, h, world)
    await _webhooks(recorder, h, world)
    await recorder.send(
        "PATCH", "/api/v0/seller", 200, json={"paymentTermsDays": 30}, headers=admin
    )
    await recorder.send("DELETE", f"/api/v0/customer/{world.customer_id}", 200, headers=h)
    documented = {(m, t) for m, t, _ in recorder.covered if 200 <= _ < 300}
    every = {(o.method, o.template) for o in recorder.contract.operations}
    # Creates made by build_world (customer, AR invoice, bulk file) went through the same
    # checked client fixture.
    made_by_world = {("POST", "/api/v0/customer"), ("POST", "/api/v0/invoice"),
                     ("POST", "/api/v0/invoice/bulk/create")}  # fmt: skip
    assert every - made_by_world - documented == set()
    errors = {(t.split("/")[1], s) for _, t, s in recorder.covered if s >= 400}
    assert {("api", s) for s in (400, 401, 403, 404, 422)} <= errors
    assert {("orders", s) for s in (400, 401, 403, 404)} | {("invoices", 409)} <= errors
    assert {("oauth", 400), ("oauth", 401)} <= errors
