"""Cross-cutting robustness: routes survive garbage, tenants stay walled, nothing half-written.

The routes come from the real app (`iter_route_contexts(app.routes)`), the body fields from its
OpenAPI schema, so a route added later is swept without being listed here. A bad request must
never answer 500, must answer a status its dialect documents, in that dialect's envelope.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from khata.kit.ids import new_customer_id, new_object_id
from khata.models import Base
from tests.robustness_support import (
    BUYER_PAGES,
    PATH_GARBAGE,
    QUERY_GARBAGE,
    Endpoint,
    Failure,
    World,
    ar_invoice_body,
    build_world,
    envelope_problem,
    inventory,
    is_console_page,
    json_bodies,
    payment_body,
    quoted,
    served_routes,
)
from tests.support import Database, SellerContext

JSON = {"content-type": "application/json"}
SELLER_PARAMETERS = ("sellerId", "companyId", "parentCompanyId")


@pytest.fixture
async def world(client: httpx.AsyncClient, seller: SellerContext) -> World:
    return await build_world(client, seller.headers, seller.seller_id)


class Sweep:
    """Sends requests, records every answer that breaks the rules, counts what it sent."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.failures: list[Failure] = []
        self.sent = 0

    async def send(
        self,
        endpoint: Endpoint,
        label: str,
        url: str,
        *,
        headers: dict[str, str],
        expect: int | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        response = await self.client.request(endpoint.method, url, headers=headers, **kwargs)
        self.sent += 1
        # The path the app saw decides the envelope (a `../..` id may resolve elsewhere).
        problem = envelope_problem(response.request.url.path, response)
        if problem is None and expect is not None and response.status_code != expect:
            problem = f"expected {expect}"
        if problem is not None:
            self.failures.append(
                Failure(str(endpoint), f"{label}: {problem}", response.status_code, response.text)
            )
        return response

    def assert_clean(self) -> None:
        report = "\n".join(str(f) for f in self.failures)
        assert not self.failures, f"{len(self.failures)} bad answers:\n{report}"


def endpoints_of(app: FastAPI) -> list[Endpoint]:
    return inventory(app)


async def test_route_inventory_is_every_route_of_the_app(app: FastAPI) -> None:
    endpoints = endpoints_of(app)
    described = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    found = {(e.method, e.path) for e in endpoints}
    # The inventory must be the real thing: FastAPI >= 0.16x nests included routers, so a
    # plain `isinstance(route, APIRoute)` over app.routes would see only /healthz.
    assert len(found) >= 40
    assert found == described
    # Nothing the app serves escapes: an API operation, a buyer's page or a console page.
    console = {(m, p) for m, p in served_routes(app) if is_console_page(p)}
    assert len(console) >= 20
    assert served_routes(app) == found | BUYER_PAGES | console
    assert {"/api/v0/customer/{customerId}", "/invoices/bulk", "/oauth/token"} <= {
        e.path for e in endpoints
    }
    assert sum(1 for e in endpoints if e.path_params) >= 15
    assert sum(1 for e in endpoints if e.body_schema.get("properties")) >= 15


async def test_no_token_or_a_bad_token_is_401_on_every_private_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    sweep = Sweep(client)
    for endpoint in endpoints_of(app):
        url = endpoint.url(**dict.fromkeys(endpoint.path_params, "0123456789abcdef01234567"))
        content = b"{}" if endpoint.body_media == "application/json" else None
        expect = None if endpoint.public else 401
        for label, headers in (
            ("no token", {}),
            ("bad token", {"accessToken": "not-a-token"}),
            ("bad bearer", {"Authorization": "Bearer " + "A" * 600}),
            ("NUL token", {"accessToken": "abc\x01def"}),
        ):
            if content is not None:
                headers = {**headers, **JSON}
            await sweep.send(endpoint, label, url, headers=headers, expect=expect, content=content)
    sweep.assert_clean()
    assert sweep.sent >= 160


async def test_garbage_path_parameters_answer_404_or_400_in_the_envelope(
    app: FastAPI, client: httpx.AsyncClient, seller: SellerContext
) -> None:
    sweep = Sweep(client)
    for endpoint in endpoints_of(app):
        if not endpoint.path_params:
            continue
        for garbage in PATH_GARBAGE:
            url = endpoint.url(**dict.fromkeys(endpoint.path_params, quoted(garbage)))
            headers = dict(seller.headers)
            content = None
            if endpoint.body_media == "application/json":
                headers.update(JSON)
                content = b"{}"
            response = await sweep.send(
                endpoint, f"path {garbage[:20]!r}", url, headers=headers, content=content
            )
            if response.status_code < 300:
                sweep.failures.append(
                    Failure(str(endpoint), f"path {garbage[:20]!r}: succeeded", 200, response.text)
                )
    sweep.assert_clean()
    assert sweep.sent >= 80


def _query_cases(endpoint: Endpoint) -> Iterator[tuple[str, dict[str, str], int | None]]:
    for name in endpoint.query_params:
        for value in QUERY_GARBAGE.get(name, []):
            yield f"{name}={value}", {name: value}, None
        if name in SELLER_PARAMETERS:
            yield f"{name}=foreign", {name: "CEKNOTYOU"}, 403


async def test_garbage_query_parameters_are_refused_cleanly(
    app: FastAPI, client: httpx.AsyncClient, seller: SellerContext, world: World
) -> None:
    sweep = Sweep(client)
    ids = world.path_values()
    checked = 0
    for endpoint in endpoints_of(app):
        url = endpoint.url(**ids)
        for label, params, expect in _query_cases(endpoint):
            headers = dict(seller.headers)
            kwargs: dict[str, Any] = {"params": params}
            if endpoint.body_media == "application/json":
                headers.update(JSON)
                kwargs["content"] = b"{}"
            elif endpoint.body_media == "multipart/form-data":
                kwargs["files"] = {"file": ("x.csv", b"invoiceNumber\n")}
            await sweep.send(endpoint, label, url, headers=headers, expect=expect, **kwargs)
            checked += 1
    sweep.assert_clean()
    assert checked >= 30


async def test_garbage_json_bodies_never_crash(
    app: FastAPI, client: httpx.AsyncClient, seller: SellerContext, world: World
) -> None:
    sweep = Sweep(client)
    ids = world.path_values()
    for endpoint in endpoints_of(app):
        if endpoint.body_media != "application/json":
            continue
        url = endpoint.url(**ids)
        for label, raw in json_bodies(endpoint):
            await sweep.send(endpoint, label, url, headers={**seller.headers, **JSON}, content=raw)
        # DESIGN: a body that is not JSON is a 400 CLIENT_REQUEST_ERROR, never a 415.
        await sweep.send(
            endpoint,
            "text/plain",
            url,
            headers={**seller.headers, "content-type": "text/plain"},
            content=b"{}",
        )
    sweep.assert_clean()
    assert sweep.sent >= 250


async def test_multipart_and_form_routes_refuse_the_wrong_body_with_400(
    app: FastAPI, client: httpx.AsyncClient, seller: SellerContext
) -> None:
    sweep = Sweep(client)
    multipart = [e for e in endpoints_of(app) if e.body_media == "multipart/form-data"]
    assert len(multipart) >= 3
    for endpoint in multipart:
        url = endpoint.url()
        cases: list[tuple[str, dict[str, str], dict[str, Any]]] = [
            ("json body", JSON, {"content": b'{"file": "x"}'}),
            ("no boundary", {"content-type": "multipart/form-data"}, {"content": b"garbage"}),
            ("no body", {}, {}),
            ("empty file", {}, {"files": {"file": ("empty.csv", b"")}}),
            ("wrong field", {}, {"files": {"upload": ("a.csv", b"invoiceNumber\n")}}),
            ("binary file", {}, {"files": {"file": ("a.csv", bytes(range(256)) * 4)}}),
            ("bad xlsx", {}, {"files": {"file": ("a.xlsx", b"PK\x03\x04broken")}}),
        ]
        for label, extra, kwargs in cases:
            await sweep.send(
                endpoint, label, url, headers={**seller.headers, **extra}, expect=400, **kwargs
            )
    forms = [e for e in endpoints_of(app) if e.body_media == "application/x-www-form-urlencoded"]
    assert {e.path for e in forms} == {"/oauth/token", "/oauth/revoke"}
    for endpoint in forms:
        for label, raw in json_bodies(endpoint):
            await sweep.send(endpoint, label, endpoint.url(), headers=JSON, content=raw)
        for form in (
            {"grant_type": "nope"},
            {"grant_type": "password", "username": "\x00", "password": "x" * 5000},
            {"grant_type": "refresh_token", "refresh_token": "ग्राहक"},
            {"token": "x" * 5000},
        ):
            await sweep.send(
                endpoint,
                f"form {sorted(form)}",
                endpoint.url(),
                headers={"Authorization": "Basic bm90OmF1c2Vy"},
                data=form,
            )
    sweep.assert_clean()


async def test_nul_and_unpaired_surrogates_are_field_errors_and_change_nothing(
    client: httpx.AsyncClient, seller: SellerContext, world: World
) -> None:
    url = f"/api/v0/customer/{world.customer_id}"
    before = (await client.get(url, headers=seller.headers)).json()["payload"]
    for raw in (b'{"legalName": "Evil\\u0000Corp"}', b'{"legalName": "Evil\\ud800Corp"}'):
        response = await client.patch(url, content=raw, headers={**seller.headers, **JSON})
        assert response.status_code == 400, response.text
        error = response.json()["errorResponse"]
        assert error["errorType"] == "VALIDATION_ERROR"
        assert error["apiSubErrors"] == [
            {
                "field": "legalName",
                "message": "must not contain NUL characters or unpaired surrogates",
                "rejectedValue": None,
            }
        ]
    listed = await client.get("/orders", params={"customerId": "\x00"}, headers=seller.headers)
    assert listed.status_code == 400
    assert listed.json() == {
        "success": False,
        "message": "Validation error: customerId must not contain NUL characters or unpaired "
        "surrogates",
    }
    assert (await client.get(url, headers=seller.headers)).json()["payload"] == before


async def test_an_infinite_amount_is_named_in_the_error_not_a_500(
    client: httpx.AsyncClient, seller: SellerContext, world: World
) -> None:
    body = (
        b'{"customerId": "' + world.customer_id.encode() + b'", "invoiceNumber": "INF-1", '
        b'"invoiceDate": "2026-11-01", "dueDate": "2026-11-30", "baseAmount": 1e309}'
    )
    response = await client.post(
        "/api/v0/invoice", content=body, headers={**seller.headers, **JSON}
    )
    assert response.status_code == 400, response.text
    errors = response.json()["errorResponse"]["apiSubErrors"]
    assert [e["field"] for e in errors] == ["baseAmount"]
    assert errors[0]["rejectedValue"] == "inf"


# A body that is valid apart from whose ids it names, per route whose path takes an id: the
# request must reach the tenant check, not stop at validation.
WALL_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v0/customer/{customerId}"): {"legalName": "Stolen Ltd"},
    ("POST", "/api/v0/customer/{customerId}/reminder"): {
        "dueDateDifference": 1,
        "reminderType": "ONCE",
        "reminderTime": "09:00",
    },
    ("PATCH", "/api/v0/customer/reminder/{customerReminderId}"): {"stage": "stolen"},
    ("PATCH", "/api/v0/invoice/{invoiceId}"): {"description": "stolen"},
    ("POST", "/api/v0/customer/{customerId}/statement/send"): {
        "from": "2026-04-01",
        "to": "2026-04-30",
    },
    ("PATCH", "/api/v0/webhook-endpoint/{endpointId}"): {"description": "stolen"},
    ("POST", "/api/v0/webhook-endpoint/{endpointId}/rotate-secret"): {"expiresInHours": 1},
    ("POST", "/api/v0/invoice/{invoiceId}/credit-note"): {"reason": "stolen", "amount": 1},
    ("POST", "/api/v0/invoice/{invoiceId}/write-off"): {"reason": "stolen"},
    ("POST", "/invoices/{invoice_id}/credit-notes"): {"reason": "stolen", "amount": 1},
}


PER_ITEM_ROUTES = {"/api/v0/invoice/bulk/dispatch", "/api/v0/invoice/bulk/delete"}


def _body_id_requests(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    """Routes that take the other seller's ids in the body (one id each, so a ghost id can
    stand in for it)."""
    return [
        ("POST", "/invoices/bulk", {"orderIds": [world.order_id]}),
        ("POST", "/invoices", {"orderId": world.order_id}),
        (
            "POST",
            "/orders",
            {
                "customerId": world.customer_id,
                "lineItems": [{"name": "Bolt", "quantity": 1, "unitPrice": 10, "taxRate": 18}],
            },
        ),
        (
            "POST",
            "/api/v0/invoice",
            {
                "customerId": world.customer_id,
                "invoiceNumber": "STOLEN-1",
                "invoiceDate": "2026-11-01",
                "dueDate": "2026-11-30",
                "baseAmount": 100,
            },
        ),
        ("POST", "/api/v0/invoice/bulk/dispatch", {"invoiceIds": [world.ar_invoice_id]}),
        ("POST", "/api/v0/invoice/bulk/delete", {"invoiceIds": [world.ar_invoice_id]}),
        (
            "POST",
            "/api/v0/invoice/status-change",
            {
                "invoiceId": world.ar_invoice_id,
                "statusTransition": {"currentStatus": "CREATED", "newStatus": "CANCELLED"},
                "objectVersion": {"currentVersion": 1},
                "remarks": "stolen",
            },
        ),
        (
            "POST",
            "/api/v0/payment",
            {
                "paymentId": "PAY-STOLEN",
                "type": "OFFPLATFORM",
                "mode": "NEFT",
                "utr": "U1",
                "amount": 10,
                "paidOn": "2026-11-20",
                "invoices": [{"invoiceId": world.paid_invoice_id, "amount": 10}],
            },
        ),
        (
            "POST",
            "/api/v0/invoice/payment-confirmation",
            {"paymentId": world.payment_id, "response": "ACCEPT", "remarks": "stolen"},
        ),
    ]


def _ghost_of(real: str) -> str:
    """An id of the same shape that no seller has."""
    if real.startswith("KC"):
        return new_customer_id()
    if real.startswith("PAY-"):
        return "PAY-" + "G" * (len(real) - 4)
    return new_object_id()


def _comparable(response: httpx.Response, the_id: str) -> tuple[int, str]:
    """Status and body with the id, request id and clock masked: what tells the two apart."""
    text = response.text.replace(the_id, "<ID>")
    text = re.sub(r'"requestId":"[^"]*"', "", text)
    text = re.sub(r'"timestamp":"[^"]*"', "", text)
    return response.status_code, text


async def _snapshot(client: httpx.AsyncClient, headers: dict[str, str], world: World) -> Any:
    """Everything seller A can read about its rows (compared before and after B's attempts)."""
    reads = [
        f"/api/v0/customer/{world.customer_id}",
        f"/api/v0/customer/{world.customer_id}/contacts",
        f"/api/v0/customer/{world.customer_id}/reminders",
        f"/api/v0/customer/{world.customer_id}/history",
        f"/api/v0/customer/reminder/{world.reminder_id}",
        f"/orders/{world.order_id}",
        f"/invoices/{world.commerce_invoice_id}",
        f"/api/v0/invoice/{world.ar_invoice_id}",
        f"/api/v0/invoice/{world.ar_invoice_id}/history",
        f"/api/v0/invoice/{world.paid_invoice_id}",
        f"/api/v0/invoice/{world.paid_invoice_id}/deliveries",
        f"/api/v0/payment/{world.payment_id}",
        f"/api/v0/bulk/{world.job_id}",
        f"/api/v0/bulk/{world.job_id}/files/success",
        f"/api/v0/bulk/{world.job_id}/files/failure",
        f"/api/v0/webhook-endpoint/{world.webhook_endpoint_id}",
        f"/api/v0/webhook-endpoint/{world.webhook_endpoint_id}/deliveries",
        f"/api/v0/credit-note/{world.credit_note_id}",
        f"/api/v0/invoice/{world.ar_invoice_id}/credit-notes",
    ]
    snapshot = {}
    for url in reads:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)
        snapshot[url] = response.content
    return snapshot


async def test_another_sellers_ids_answer_exactly_as_missing_ids_and_change_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    seller: SellerContext,
    other_seller: SellerContext,
    world: World,
) -> None:
    before = await _snapshot(client, seller.headers, world)
    b = {**other_seller.headers, **JSON}
    ids = world.path_values()
    ghosts = {name: _ghost_of(value) for name, value in ids.items() if name != "kind"}
    problems: list[str] = []
    covered = 0
    for endpoint in endpoints_of(app):
        if not endpoint.path_params:
            continue
        body = WALL_BODIES.get((endpoint.method, endpoint.path))
        if endpoint.body_media == "application/json":
            assert body is not None, f"add a valid body for {endpoint} to WALL_BODIES"
        content = json.dumps(body).encode() if body is not None else None
        theirs = await client.request(
            endpoint.method, endpoint.url(**ids), headers=b, content=content
        )
        ghost = await client.request(
            endpoint.method, endpoint.url(**{**ids, **ghosts}), headers=b, content=content
        )
        covered += 1
        the_id = ids[endpoint.path_params[0]]
        ghost_id = ghosts[endpoint.path_params[0]]
        if theirs.status_code != 404 or envelope_problem(endpoint.path, theirs):
            problems.append(f"{endpoint}: {theirs.status_code} {theirs.text[:200]}")
        elif _comparable(theirs, the_id) != _comparable(ghost, ghost_id):
            problems.append(f"{endpoint}: differs from a missing id: {theirs.text[:200]}")
    for method, path, body in _body_id_requests(world):
        text = json.dumps(body)
        the_id = next(v for v in asdict(world).values() if v in text)
        ghost_id = _ghost_of(the_id)
        theirs = await client.request(method, path, headers=b, content=text)
        ghost = await client.request(
            method, path, headers=b, content=text.replace(the_id, ghost_id)
        )
        covered += 1
        # Bulk dispatch/delete answer 200 with a result per invoice (DESIGN); everything else
        # refuses the request as a whole.
        per_item = path in PER_ITEM_ROUTES and theirs.status_code == 200
        per_item = per_item and theirs.json()["payload"]["successCount"] == 0
        if (theirs.status_code < 300 and not per_item) or theirs.status_code in (403, 500):
            problems.append(f"{method} {path}: {theirs.status_code} {theirs.text[:200]}")
        elif _comparable(theirs, the_id) != _comparable(ghost, ghost_id):
            problems.append(f"{method} {path}: differs from a missing id: {theirs.text[:200]}")
    assert not problems, "\n".join(problems)
    assert covered >= 30
    # Seller A's rows came through untouched, byte for byte.
    assert await _snapshot(client, seller.headers, world) == before


async def test_another_sellers_lists_and_searches_never_show_a_row(
    client: httpx.AsyncClient, seller: SellerContext, other_seller: SellerContext, world: World
) -> None:
    b = other_seller.headers
    mine = [world.customer_id, world.order_id, world.commerce_invoice_id, world.ar_invoice_id]
    reads = [
        await client.get("/orders", headers=b),
        await client.get("/orders", params={"customerId": world.customer_id}, headers=b),
        await client.get("/invoices", headers=b),
        await client.get("/invoices", params={"orderId": world.order_id}, headers=b),
        await client.get("/invoices", params={"customerId": world.customer_id}, headers=b),
    ]
    for read in reads:
        assert read.status_code == 200, read.text
        assert read.json()["data"] == [] and read.json()["count"] == 0
    searches = [
        ("/api/v0/customer/search", {}),
        ("/api/v0/customer/search", {"customerIds": [world.customer_id]}),
        ("/api/v0/customer/search", {"legalName": "Robust Buyer"}),
        ("/api/v0/invoice/search", {}),
        ("/api/v0/invoice/search", {"customerIds": [world.customer_id]}),
        ("/api/v0/invoice/search", {"customerLegalName": "Robust Buyer"}),
    ]
    for path, body in searches:
        found = await client.post(path, json=body, headers=b)
        assert found.status_code == 200, found.text
        assert found.json()["payload"]["totalCount"] == 0
        reads.append(found)
    for read in reads:
        assert not any(the_id in read.text for the_id in mine), read.text
    # The same searches as seller A do find the rows: the filters above were not just empty.
    own = await client.post(
        "/api/v0/invoice/search", json={"customerIds": [world.customer_id]}, headers=seller.headers
    )
    assert own.json()["payload"]["totalCount"] == 5


async def test_naming_another_seller_in_the_query_is_403_on_every_private_route(
    app: FastAPI, client: httpx.AsyncClient, seller: SellerContext, other_seller: SellerContext
) -> None:
    sweep = Sweep(client)
    routes = [e for e in endpoints_of(app) if not e.public and e.path != "/healthz"]
    for endpoint in routes:
        url = endpoint.url(**dict.fromkeys(endpoint.path_params, "0123456789abcdef01234567"))
        kwargs: dict[str, Any] = {}
        headers = dict(other_seller.headers)
        if endpoint.body_media == "application/json":
            headers.update(JSON)
            kwargs["content"] = b"{}"
        elif endpoint.body_media == "multipart/form-data":
            kwargs["files"] = {"file": ("a.csv", b"invoiceNumber\n")}
        for name in SELLER_PARAMETERS:
            await sweep.send(
                endpoint,
                f"{name}=A",
                url,
                headers=headers,
                expect=403,
                params={name: seller.seller_id},
                **kwargs,
            )
    sweep.assert_clean()
    assert sweep.sent >= 120


async def seller_rows(database: Database, seller_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that belongs to the seller, in key order (whole rows, so an
    update is seen as well as an insert)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with database.session_factory() as session:
        for table in Base.metadata.sorted_tables:
            if "seller_id" not in table.c:
                continue
            query = (
                select(table)
                .where(table.c.seller_id == seller_id)
                .order_by(*table.primary_key.columns)
            )
            rows[table.name] = [tuple(row) for row in (await session.execute(query)).all()]
    return rows


def _counts(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, int]:
    return {name: len(found) for name, found in rows.items() if found}


async def test_a_bulk_invoice_request_failing_on_its_last_order_writes_nothing(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, world: World
) -> None:
    h = seller.headers
    line = {"sku": "N-1", "name": "Nut", "quantity": 3, "unitPrice": 99.99, "taxRate": 18}
    fresh = []
    for _ in range(3):
        made = await client.post(
            "/orders", json={"customerId": world.customer_id, "lineItems": [line]}, headers=h
        )
        assert made.status_code == 201, made.text
        fresh.append(made.json()["data"]["id"])
    before = await seller_rows(database, seller.seller_id)
    assert _counts(before)["invoice"] == 5  # the world's invoices: nothing hides a write

    ghost = new_object_id()
    unknown = await client.post("/invoices/bulk", json={"orderIds": [*fresh, ghost]}, headers=h)
    assert unknown.status_code == 404
    assert unknown.json() == {"success": False, "message": f"Order not found: {ghost}"}
    # The world's order is fully invoiced already: a conflict found after three good orders.
    spent = await client.post(
        "/invoices/bulk", json={"orderIds": [*fresh, world.order_id]}, headers=h
    )
    assert spent.status_code == 409, spent.text
    assert spent.json()["success"] is False
    assert await seller_rows(database, seller.seller_id) == before

    # The same three orders alone go through: the refusals above were about the last one.
    done = await client.post("/invoices/bulk", json={"orderIds": fresh}, headers=h)
    assert done.status_code == 201, done.text
    assert done.json()["count"] == 3


async def test_a_payment_failing_on_its_last_invoice_writes_nothing(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, world: World
) -> None:
    h = seller.headers
    invoice_ids = []
    for n in range(3):
        made = await client.post(
            "/api/v0/invoice",
            json=ar_invoice_body(world.customer_id, f"HALF-{n}", baseAmount=100, cgst=9, sgst=9),
            headers=h,
        )
        assert made.status_code == 200, made.text
        invoice_ids.append(made.json()["payload"]["invoiceId"])
    sent = await client.post(
        "/api/v0/invoice/bulk/dispatch", json={"invoiceIds": invoice_ids}, headers=h
    )
    assert sent.json()["payload"]["successCount"] == 3
    before = await seller_rows(database, seller.seller_id)

    # Two good allocations, then one above the last invoice's balance of 118.00.
    over = payment_body("PAY-HALF", [(invoice_ids[0], 50.0), (invoice_ids[1], 60.0),
                                     (invoice_ids[2], 118.01)])  # fmt: skip
    refused = await client.post("/api/v0/payment", json=over, headers=h)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errorResponse"]["errorType"] == "UNPROCESSABLE_REQUEST"
    ghost = new_object_id()
    missing = payment_body("PAY-HALF", [(invoice_ids[0], 50.0), (ghost, 1.0)])
    refused = await client.post("/api/v0/payment", json=missing, headers=h)
    assert refused.status_code == 404, refused.text
    assert await seller_rows(database, seller.seller_id) == before

    # Nothing of the refused payment stuck to its id: it can be reported afresh.
    fine = payment_body("PAY-HALF", [(invoice_ids[0], 50.0), (invoice_ids[2], 118.0)])
    accepted = await client.post("/api/v0/payment", json=fine, headers=h)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["payload"]["amount"] == 168.0


async def test_a_customer_failing_on_its_last_rule_or_its_ref_writes_nothing(
    client: httpx.AsyncClient, seller: SellerContext, database: Database, world: World
) -> None:
    h = seller.headers
    contacts = [
        {"name": f"Contact {n}", "email": f"c{n}@half.example", "mobile": f"987654321{n}"}
        for n in range(3)
    ]
    good_rule = {"dueDateDifference": 1, "reminderType": "ONCE", "reminderTime": "09:00"}
    body = {
        "legalName": "Half Written Ltd",
        "uniqueRefNo": "HALF-1",
        "customerKeyContacts": contacts,
        "customerReminders": [good_rule, good_rule, {**good_rule, "reminderTime": "25:00"}],
    }
    before = await seller_rows(database, seller.seller_id)
    bad_rule = await client.post("/api/v0/customer", json=body, headers=h)
    assert bad_rule.status_code == 400, bad_rule.text
    fields = [e["field"] for e in bad_rule.json()["errorResponse"]["apiSubErrors"]]
    assert fields == ["customerReminders.2.reminderTime"]
    # The uniqueRefNo of the world's customer: refused only after every field passed.
    taken = {**body, "uniqueRefNo": f"ROBUST-{seller.seller_id}",
             "customerReminders": [good_rule]}  # fmt: skip
    clash = await client.post("/api/v0/customer", json=taken, headers=h)
    assert clash.status_code == 422, clash.text
    assert await seller_rows(database, seller.seller_id) == before

    made = await client.post(
        "/api/v0/customer", json={**body, "customerReminders": [good_rule]}, headers=h
    )
    assert made.status_code == 200, made.text
    after = _counts(await seller_rows(database, seller.seller_id))
    grown = {name: after[name] - _counts(before).get(name, 0) for name in after}
    assert {k: v for k, v in grown.items() if v} == {
        "customer": 1,
        "key_contact": 3,
        "reminder_rule": 1,
        "audit_entry": 1,
    }


async def test_search_dates_at_the_ends_of_the_calendar_bound_nothing(
    client: httpx.AsyncClient, seller: SellerContext, world: World
) -> None:
    everything = {"createdOnFrom": "0001-01-01", "createdOnTo": "9999-12-31"}
    found = await client.post("/api/v0/invoice/search", json=everything, headers=seller.headers)
    assert found.status_code == 200, found.text
    assert found.json()["payload"]["totalCount"] == 5
    dispatched = {"dispatchedOnFrom": "0001-01-01", "dispatchedOnTo": "9999-12-31"}
    found = await client.post("/api/v0/invoice/search", json=dispatched, headers=seller.headers)
    assert [i["invoiceId"] for i in found.json()["payload"]["invoices"]] == [world.paid_invoice_id]
    nothing = {"createdOnFrom": "9999-12-31"}
    found = await client.post("/api/v0/invoice/search", json=nothing, headers=seller.headers)
    assert found.json()["payload"]["totalCount"] == 0
