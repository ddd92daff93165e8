"""The baseline of bench/reads.py: bare Starlette + asyncpg answering the three GETs.

Same token check as khata (the token names its seller; SHA-256 of it looked up with its
principal and seller; kind, expiry, revocation and an active principal checked) and the same
SELECTs khata's GETs need, rows turned into JSON as they come. No ORM, no dependency
injection, no transaction block, no middleware: what an HTTP GET costs at its barest.

    KHATA_BENCH_DSN=postgresql://postgres@127.0.0.1/db uvicorn --factory reads_bare:create_app
"""

import hashlib
import os
from datetime import UTC, datetime
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_TOKEN = (
    "SELECT t.kind, t.revoked_at, t.expires_at, p.active, s.time_zone "
    "FROM auth_token t JOIN principal p ON p.seller_id = t.seller_id AND p.id = t.principal_id "
    "JOIN seller s ON s.id = t.seller_id WHERE t.seller_id = $1 AND t.token_hash = $2"
)
_INVOICE = "SELECT * FROM invoice WHERE seller_id = $1 AND id = $2 AND NOT deleted"
_CUSTOMER_NAME = "SELECT legal_name FROM customer WHERE seller_id = $1 AND id = $2"
_LINES = "SELECT * FROM invoice_line WHERE seller_id = $1 AND invoice_id = $2 ORDER BY position"
_CUSTOMER = "SELECT * FROM customer WHERE seller_id = $1 AND id = $2"
_CONTACTS = (
    "SELECT * FROM key_contact WHERE seller_id = $1 AND customer_id = $2 AND NOT deleted "
    "ORDER BY created_at, id"
)
_REMINDERS = (
    "SELECT * FROM reminder_rule WHERE seller_id = $1 AND customer_id = $2 AND NOT deleted "
    "ORDER BY created_at, id"
)
_PAYMENT = "SELECT * FROM payment WHERE seller_id = $1 AND payment_ref = $2"
_ALLOCATIONS = (
    "SELECT a.amount, i.id, i.invoice_number, i.receivable_status, i.total_received, "
    "i.balance_amount FROM payment_allocation a JOIN invoice i ON i.seller_id = a.seller_id "
    "AND i.id = a.invoice_id WHERE a.seller_id = $1 AND a.payment_id = $2 ORDER BY a.id"
)


def _jsonable(row: Any) -> dict[str, Any]:
    return {
        key: value if value is None or isinstance(value, (str, int, bool)) else str(value)
        for key, value in dict(row).items()
    }


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"errorResponse": {"errorMessage": message}, "payload": None, "response_code": status},
        status_code=status,
    )


async def _seller_of(request: Request, connection: asyncpg.Connection) -> str | None:
    token = request.headers.get("accesstoken", "")
    seller_id, dot, rest = token.partition(".")
    if not dot or not rest or len(seller_id) != 10:
        return None
    found = await connection.fetchrow(_TOKEN, seller_id, hashlib.sha256(token.encode()).hexdigest())
    now = datetime.now(UTC)
    if (
        found is None
        or found["kind"] not in ("access", "api_key")
        or found["revoked_at"] is not None
        or (found["expires_at"] is not None and found["expires_at"] <= now)
        or not found["active"]
    ):
        return None
    return seller_id


def _answer(payload: dict[str, Any]) -> JSONResponse:
    return JSONResponse(
        {"errorResponse": None, "payload": payload, "response_code": 200, "response_message": "OK"}
    )


async def get_invoice(request: Request) -> JSONResponse:
    async with request.app.state.pool.acquire() as connection:
        seller_id = await _seller_of(request, connection)
        if seller_id is None:
            return _error(401, "Unauthorized")
        invoice = await connection.fetchrow(_INVOICE, seller_id, request.path_params["id"])
        if invoice is None:
            return _error(404, "Invoice not found")
        name = await connection.fetchval(_CUSTOMER_NAME, seller_id, invoice["customer_id"])
        lines = await connection.fetch(_LINES, seller_id, invoice["id"])
    payload = _jsonable(invoice)
    payload["customerLegalName"] = name
    payload["lineItems"] = [_jsonable(line) for line in lines]
    return _answer(payload)


async def get_customer(request: Request) -> JSONResponse:
    async with request.app.state.pool.acquire() as connection:
        seller_id = await _seller_of(request, connection)
        if seller_id is None:
            return _error(401, "Unauthorized")
        customer = await connection.fetchrow(_CUSTOMER, seller_id, request.path_params["id"])
        if customer is None:
            return _error(404, "Customer not found")
        contacts = await connection.fetch(_CONTACTS, seller_id, customer["id"])
        reminders = await connection.fetch(_REMINDERS, seller_id, customer["id"])
    payload = _jsonable(customer)
    payload["customerKeyContacts"] = [_jsonable(row) for row in contacts]
    payload["customerReminders"] = [_jsonable(row) for row in reminders]
    return _answer(payload)


async def get_payment(request: Request) -> JSONResponse:
    async with request.app.state.pool.acquire() as connection:
        seller_id = await _seller_of(request, connection)
        if seller_id is None:
            return _error(401, "Unauthorized")
        payment = await connection.fetchrow(_PAYMENT, seller_id, request.path_params["id"])
        if payment is None:
            return _error(404, "Payment not found")
        allocations = await connection.fetch(_ALLOCATIONS, seller_id, payment["id"])
    payload = _jsonable(payment)
    payload["invoices"] = [_jsonable(row) for row in allocations]
    return _answer(payload)


def create_app() -> Starlette:
    async def lifespan(app: Starlette) -> Any:
        app.state.pool = await asyncpg.create_pool(
            os.environ["KHATA_BENCH_DSN"], min_size=10, max_size=10
        )
        yield
        await app.state.pool.close()

    return Starlette(
        routes=[
            Route("/api/v0/invoice/{id}", get_invoice),
            Route("/api/v0/customer/{id}", get_customer),
            Route("/api/v0/payment/{id}", get_payment),
        ],
        lifespan=lifespan,
    )
