"""Cross-cutting robustness: routes survive garbage, tenants stay walled, nothing half-written.

The routes come from the real app (`iter_route_contexts(app.routes)`), the body fields from its
OpenAPI schema, so a route added later is swept without being listed here. A bad request must
never answer 500, must answer a status its dialect documents, in that dialect's envelope.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.robustness_support import (
    PATH_GARBAGE,
    QUERY_GARBAGE,
    Endpoint,
    Failure,
    World,
    build_world,
    envelope_problem,
    inventory,
    json_bodies,
    quoted,
)
from tests.support import SellerContext

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
