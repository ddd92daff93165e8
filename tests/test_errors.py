"""Every failure answers in its dialect's envelope: AR (/api/v0) or commerce (/orders, /invoices).

A probe app (the real app plus a few routes that exercise the shared machinery) shows each path:
unknown route, wrong method, malformed JSON, wrong content type, field validation, bad token,
and an unhandled exception that must not leak internals.
"""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from khata.app import create_app
from khata.auth.deps import Caller
from khata.config import Settings
from khata.kit.envelopes import ar_ok, commerce_ok
from khata.web.clock import get_now
from tests.support import Database, SellerContext

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
SECRET = "postgres://admin:hunter2@db"


class ProbeItem(BaseModel):
    name: str = Field(min_length=1)
    quantity: int = Field(gt=0)


def build_probe_app(database: Database, report_dir: Path) -> FastAPI:
    app = create_app(
        Settings(database_url=database.url, report_dir=str(report_dir)), engine=database.engine
    )

    @app.post("/api/v0/probe/items")
    async def ar_items(item: ProbeItem, caller: Caller) -> dict[str, Any]:
        return ar_ok({"name": item.name})

    @app.get("/api/v0/probe/boom")
    async def ar_boom(caller: Caller) -> dict[str, Any]:
        raise RuntimeError(f"cannot reach {SECRET}")

    @app.post("/invoices/probe/items")
    async def commerce_items(item: ProbeItem, caller: Caller) -> dict[str, Any]:
        return commerce_ok({"name": item.name}, "ok")

    @app.get("/invoices/probe/boom")
    async def commerce_boom(caller: Caller) -> dict[str, Any]:
        raise RuntimeError(f"cannot reach {SECRET}")

    return app


@pytest.fixture
async def probe(database: Database, report_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_probe_app(database, report_dir))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def assert_ar_error(response: httpx.Response, status: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"errorResponse", "payload", "response_code", "response_message"}
    assert body["payload"] is None
    assert body["response_code"] == status
    error = body["errorResponse"]
    assert error["errorType"] == error_type
    assert TIMESTAMP.match(error["timestamp"])
    assert error["requestId"] == response.headers["x-request-id"]
    assert error["errorMessage"]
    assert isinstance(error["apiSubErrors"], list)
    return dict(error)


def assert_commerce_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"success", "message"}
    assert body["success"] is False
    assert response.headers["x-request-id"]
    return str(body["message"])


async def test_ar_success_envelope(probe: httpx.AsyncClient, seller: SellerContext) -> None:
    response = await probe.post(
        "/api/v0/probe/items", json={"name": "x", "quantity": 1}, headers=seller.headers
    )
    assert response.status_code == 200
    assert response.json() == {
        "errorResponse": None,
        "payload": {"name": "x"},
        "response_code": 200,
        "response_message": "Success",
    }
    assert len(response.headers["x-request-id"]) == 24


async def test_incoming_request_id_is_echoed(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/api/v0/nowhere", headers={"X-Request-ID": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"
    assert response.json()["errorResponse"]["requestId"] == "trace-123"


async def test_unknown_route(probe: httpx.AsyncClient) -> None:
    assert_ar_error(await probe.get("/api/v0/nowhere"), 404, "RECORD_NOT_FOUND")
    message = assert_commerce_error(await probe.get("/invoices/probe/nowhere/else"), 404)
    assert "No route" in message


async def test_wrong_method(probe: httpx.AsyncClient) -> None:
    assert_ar_error(await probe.delete("/api/v0/probe/items"), 405, "CLIENT_REQUEST_ERROR")
    assert_commerce_error(await probe.put("/invoices/probe/items"), 405)


async def test_malformed_json(probe: httpx.AsyncClient, seller: SellerContext) -> None:
    headers = {**seller.headers, "Content-Type": "application/json"}
    error = assert_ar_error(
        await probe.post("/api/v0/probe/items", content=b'{"name": ', headers=headers),
        400,
        "CLIENT_REQUEST_ERROR",
    )
    assert error["errorMessage"] == "Malformed JSON request body"
    message = assert_commerce_error(
        await probe.post("/invoices/probe/items", content=b"{nope", headers=headers), 400
    )
    assert message == "Malformed JSON request body"


async def test_wrong_content_type(probe: httpx.AsyncClient, seller: SellerContext) -> None:
    headers = {**seller.headers, "Content-Type": "text/plain"}
    error = assert_ar_error(
        await probe.post("/api/v0/probe/items", content=b"name=x", headers=headers),
        400,
        "CLIENT_REQUEST_ERROR",
    )
    assert error["errorMessage"] == "Content-Type must be application/json"
    message = assert_commerce_error(
        await probe.post("/invoices/probe/items", content=b"name=x", headers=headers), 400
    )
    assert message == "Content-Type must be application/json"


async def test_validation_names_each_bad_field(
    probe: httpx.AsyncClient, seller: SellerContext
) -> None:
    response = await probe.post(
        "/api/v0/probe/items", json={"name": "", "quantity": -2}, headers=seller.headers
    )
    error = assert_ar_error(response, 400, "VALIDATION_ERROR")
    fields = {e["field"]: e for e in error["apiSubErrors"]}
    assert set(fields) == {"name", "quantity"}
    assert fields["quantity"]["rejectedValue"] == -2
    assert fields["name"]["rejectedValue"] == ""
    missing = await probe.post("/api/v0/probe/items", json={}, headers=seller.headers)
    sub_errors = assert_ar_error(missing, 400, "VALIDATION_ERROR")["apiSubErrors"]
    assert {(e["field"], e["message"]) for e in sub_errors} == {
        ("name", "is required"),
        ("quantity", "is required"),
    }
    message = assert_commerce_error(
        await probe.post("/invoices/probe/items", json={"name": "x"}, headers=seller.headers), 400
    )
    assert message == "Validation error: quantity is required"


async def test_bad_token_in_both_dialects(probe: httpx.AsyncClient) -> None:
    headers = {"accessToken": "CEKAAAAAAA.bogus"}
    error = assert_ar_error(
        await probe.get("/api/v0/probe/boom", headers=headers), 401, "UNAUTHORIZED"
    )
    assert error["errorMessage"] == "Invalid or missing access token"
    message = assert_commerce_error(await probe.get("/invoices/probe/boom", headers=headers), 401)
    assert message == "Invalid or missing access token"


async def test_unhandled_exception_is_a_clean_500(
    probe: httpx.AsyncClient, seller: SellerContext
) -> None:
    ar = await probe.get("/api/v0/probe/boom", headers=seller.headers)
    error = assert_ar_error(ar, 500, "SYSTEM_ERROR")
    assert error["errorMessage"] == "An unexpected error occurred"
    commerce = await probe.get("/invoices/probe/boom", headers=seller.headers)
    assert assert_commerce_error(commerce, 500) == "An error occurred while processing the request"
    for response in (ar, commerce):
        assert "hunter2" not in response.text
        assert "RuntimeError" not in response.text


async def test_timestamp_is_in_the_sellers_time_zone(
    database: Database, report_dir: Path, seller: SellerContext
) -> None:
    app = build_probe_app(database, report_dir)
    # 18:45 UTC is already the next day in Kolkata (UTC+05:30).
    app.dependency_overrides[get_now] = lambda: datetime(2026, 11, 21, 18, 45, 7, tzinfo=UTC)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as probe:
        response = await probe.post("/api/v0/probe/items", json={}, headers=seller.headers)
    assert response.json()["errorResponse"]["timestamp"] == "2026-11-22 00:15:07"


async def test_healthz_reports_the_database(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_openapi_tags_both_dialects(probe: httpx.AsyncClient) -> None:
    spec = (await probe.get("/openapi.json")).json()
    tags = {tag["name"] for tag in spec["tags"]}
    assert {"commerce", "customers", "invoices", "auth"} <= tags
    assert (await probe.get("/docs")).status_code == 200
