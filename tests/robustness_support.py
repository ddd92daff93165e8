"""Route inventory, garbage request builders and envelope checks for tests/test_robustness.py.

Everything is derived from the real app (its routes and its OpenAPI schema), so a route added
tomorrow is swept by the robustness tests without anyone listing it.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from khata.kit.ids import new_object_id
from khata.web.dialect import Dialect, dialect_for_path

# Routes that answer without a token (everything else must say 401 to an anonymous caller).
# /healthz and /metrics answer load balancers and Prometheus, which hold no token.
PUBLIC_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
}
# The buyer's pages of a payment link: HTML, not API operations (out of /openapi.json), their
# credential is the key in the path; tests/buyer holds them to their own rules.
BUYER_PAGES = {
    ("GET", "/pay/{key}"),
    ("GET", "/pay/{key}/pdf"),
    ("POST", "/pay/{key}/payment"),
    ("POST", "/pay/{key}/answer"),
}


def is_console_page(path: str) -> bool:
    """The AR team's web console: HTML pages behind a session cookie, not API operations
    (swept in tests/console: sign-in, CSRF, the 404 page, tenant walls)."""
    return path == "/console" or path.startswith("/console/")


# What a client may legitimately get back for a bad request, per dialect. No 500, no 415
# (DESIGN: a wrong content type is a 400), no 405 (we only use each route's own methods);
# AR renders conflicts as 422, commerce renders rule violations as 409.
ALLOWED_ERRORS = {
    Dialect.AR: {400, 401, 403, 404, 422},
    Dialect.COMMERCE: {400, 401, 403, 404, 409},
    Dialect.OAUTH: {400, 401, 429},
}
AR_ERROR_TYPES = {
    400: {"VALIDATION_ERROR", "CLIENT_REQUEST_ERROR"},
    401: {"UNAUTHORIZED"},
    403: {"INVALID_ACCESS"},
    404: {"RECORD_NOT_FOUND"},
    422: {"UNPROCESSABLE_REQUEST"},
}
AR_KEYS = {"errorResponse", "payload", "response_code", "response_message"}
ERROR_KEYS = {"apiSubErrors", "errorMessage", "errorType", "requestId", "timestamp"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
# Words that would mean an internal detail reached the client.
LEAKS = ("Traceback", "sqlalchemy", "asyncpg", "sqlite3", "psycopg", 'File "/')

PATH_GARBAGE = ["x", "A" * 500, "%00", "ग्राहक✓😀", "../..", "%ED%A0%80", "%FF"]
QUERY_GARBAGE: dict[str, list[str]] = {
    "limit": ["-1", "0", "999999999", "abc", "9" * 20],
    "offset": ["-1", "abc", "9" * 20, str(2**63)],
    "page": ["0", "abc", "9" * 20],
    "orderBy": ["nope"],
    "direction": ["sideways"],
    "format": ["pdf"],
    "customerId": ["\x00", "A" * 500],
    "orderId": ["\x00", "A" * 500],
}
# Raw JSON documents, sent as bytes so non-standard numbers reach the parser as written.
RAW_BODIES = [b"[]", b'"str"', b"null", b"{}", b'{"a": 1e309}', b"{", b"\xff\xfe"]
DEPTH = 200


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the template, e.g. /api/v0/customer/{customerId}
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_media: str | None  # application/json, multipart/form-data, form-urlencoded or None
    body_schema: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def dialect(self) -> Dialect:
        return dialect_for_path(self.path)

    @property
    def public(self) -> bool:
        return (self.method, self.path) in PUBLIC_ROUTES

    def url(self, **values: str) -> str:
        path = self.path
        for name in self.path_params:
            path = path.replace("{" + name + "}", values.get(name, "x"))
        return path

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if options:
        return _resolve(spec, options[0])
    return schema


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path template) the app serves, API operations and buyer pages alike."""
    return {
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and context.path is not None
        for method in context.methods or ()
    }


def inventory(app: FastAPI) -> list[Endpoint]:
    """Every API (method, path) the app serves, with what its OpenAPI operation declares; the
    buyer pages and the console are not API operations and are left out."""
    spec = app.openapi()
    endpoints: list[Endpoint] = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or context.path is None:
            continue
        for method in sorted(context.methods or ()):
            if (method, context.path) in BUYER_PAGES or is_console_page(context.path):
                continue
            operation = spec["paths"].get(context.path, {}).get(method.lower(), {})
            parameters = operation.get("parameters", [])
            content = operation.get("requestBody", {}).get("content", {})
            media = next(iter(content), None)
            schema = _resolve(spec, content[media]["schema"]) if media else {}
            endpoints.append(
                Endpoint(
                    method=method,
                    path=context.path,
                    path_params=tuple(re.findall(r"{(\w+)}", context.path)),
                    query_params=tuple(p["name"] for p in parameters if p["in"] == "query"),
                    body_media=media,
                    body_schema=_full_schema(spec, schema),
                )
            )
    return endpoints


def _full_schema(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """The schema with references inlined (a few levels: our bodies nest at most twice)."""
    schema = _resolve(spec, schema)
    if depth > 4:
        return schema
    out = dict(schema)
    if "properties" in schema:
        out["properties"] = {
            name: _full_schema(spec, sub, depth + 1) for name, sub in schema["properties"].items()
        }
    if "items" in schema:
        out["items"] = _full_schema(spec, schema["items"], depth + 1)
    return out


def _wrong_value(schema: dict[str, Any]) -> Any:
    """A value of a type the field does not take."""
    kind = schema.get("type")
    if kind == "string":
        return 12345
    if kind in ("integer", "number"):
        return "not a number"
    if kind == "boolean":
        return "maybe"
    if kind == "array":
        items = schema.get("items", {})
        if "properties" in items:
            return [wrong_types(items), None, "x"]
        return "not a list"
    if kind == "object":
        return [1, 2]
    return {"unexpected": [1]}


def wrong_types(schema: dict[str, Any]) -> dict[str, Any]:
    return {name: _wrong_value(sub) for name, sub in schema.get("properties", {}).items()}


def every_field(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """Every property (and every property of nested list items) set to `value`."""
    body: dict[str, Any] = {}
    for name, sub in schema.get("properties", {}).items():
        items = sub.get("items", {})
        body[name] = [every_field(items, value)] if "properties" in items else value
    return body


def deeply_nested(depth: int = DEPTH) -> bytes:
    return b'{"a": ' * depth + b"1" + b"}" * depth


def json_bodies(endpoint: Endpoint) -> Iterator[tuple[str, bytes]]:
    """(label, raw JSON) pairs: malformed shapes, then field-by-field garbage from the schema."""
    for raw in RAW_BODIES:
        yield f"raw {raw!r}", raw
    yield "nested 200", deeply_nested()
    if endpoint.body_schema.get("properties"):
        schema = endpoint.body_schema
        yield "wrong types", json.dumps(wrong_types(schema)).encode()
        yield "all null", json.dumps(every_field(schema, None)).encode()
        yield "all empty strings", json.dumps(every_field(schema, "")).encode()
        yield "all long strings", json.dumps(every_field(schema, "Z" * 5000)).encode()
        yield "all NUL strings", json.dumps(every_field(schema, "a\u0000b")).encode()
        yield "all negative", json.dumps(every_field(schema, -1)).encode()
        # 1e309 is Infinity to Python's parser; the long integer overflows int64 and Decimal
        # quantize; both must be refused as a field error.
        huge = json.dumps(every_field(schema, "HUGE")).replace('"HUGE"', "1e309")
        yield "all 1e309", huge.encode()
        big = json.dumps(every_field(schema, "BIG")).replace('"BIG"', "9" * 40)
        yield "all 40-digit ints", big.encode()
        yield "all nested", json.dumps(every_field(schema, {"a": {"b": [1]}})).encode()
        # One text field at a time holding a NUL (PostgreSQL text cannot store it) or a lone
        # surrogate (not encodable as UTF-8), the rest absent: a partial update or a search
        # filter then reaches the database with it.
        for name, sub in schema["properties"].items():
            if sub.get("format") in ("date", "date-time"):
                # Date arithmetic at the ends of the calendar (a day after 9999-12-31).
                for edge in ("9999-12-31", "0001-01-01", "9999-12-31T23:59:59+14:00"):
                    yield f"{name} {edge}", json.dumps({name: edge}).encode()
            if sub.get("type") == "string":
                yield f"{name} NUL", json.dumps({name: "a\u0000b"}).encode()
                yield f"{name} surrogate", b'{"' + name.encode() + b'": "a\\ud800b"}'


def quoted(value: str) -> str:
    """A path segment: percent-encoded, except the literal traversal and NUL probes."""
    if value.startswith("%") or value == "../..":
        return value
    return quote(value, safe="")


@dataclass
class Failure:
    endpoint: str
    request: str
    status: int
    body: str

    def __str__(self) -> str:
        return f"{self.endpoint} [{self.request}] -> {self.status}: {self.body[:300]}"


def envelope_problem(path: str, response: httpx.Response) -> str | None:
    """Why `response` is not an acceptable answer to a bad request on `path` (None: it is)."""
    status = response.status_code
    dialect = dialect_for_path(path)
    text = response.text
    if any(leak in text for leak in LEAKS):
        return "leaks internals"
    if status < 300:
        return None if dialect is not Dialect.OAUTH else "OAuth success to a bad request"
    if status not in ALLOWED_ERRORS[dialect]:
        return f"status {status} not in {sorted(ALLOWED_ERRORS[dialect])}"
    try:
        body = response.json()
    except ValueError:
        return "error body is not JSON"
    if not isinstance(body, dict):
        return "error body is not an object"
    if dialect is Dialect.AR:
        if set(body) != AR_KEYS or body["payload"] is not None:
            return "not the AR envelope"
        error = body["errorResponse"]
        if not isinstance(error, dict) or set(error) != ERROR_KEYS:
            return "AR errorResponse has the wrong keys"
        if body["response_code"] != status or error["errorType"] not in AR_ERROR_TYPES[status]:
            return f"AR code/type {body['response_code']}/{error['errorType']}"
        if not error["errorMessage"] or not TIMESTAMP.match(error["timestamp"]):
            return "AR error without message or timestamp"
        if error["requestId"] != response.headers.get("x-request-id"):
            return "AR requestId differs from X-Request-ID"
        return None
    if dialect is Dialect.OAUTH:
        if set(body) != {"error", "error_description"} or not body["error"]:
            return "not an RFC 6749 error"
        return None
    if (
        body.get("success") is not False
        or not body.get("message")
        or set(body)
        != {
            "success",
            "message",
        }
    ):
        return "not the commerce error envelope"
    return None


@dataclass
class World:
    """One of everything a seller owns, made through the real endpoints."""

    customer_id: str
    reminder_id: str
    order_id: str
    commerce_invoice_id: str
    ar_invoice_id: str
    paid_invoice_id: str
    payment_id: str
    job_id: str
    webhook_endpoint_id: str
    # No delivery exists (nothing the endpoint subscribes to is emitted): the endpoint is
    # looked up first, so another seller's endpoint id is what the wall is tested on.
    webhook_delivery_id: str
    # A credit note on an invoice of its own (the others keep their amounts and statuses).
    credit_note_id: str = ""

    def path_values(self) -> dict[str, str]:
        """Real ids by path parameter name, so requests reach the code behind validation."""
        return {
            "customerId": self.customer_id,
            "customerReminderId": self.reminder_id,
            "order_id": self.order_id,
            "invoice_id": self.commerce_invoice_id,
            "invoiceId": self.ar_invoice_id,
            "paymentId": self.payment_id,
            "jobId": self.job_id,
            "endpointId": self.webhook_endpoint_id,
            "deliveryId": self.webhook_delivery_id,
            "creditNoteId": self.credit_note_id,
            "kind": "failure",
        }


def customer_body(tag: str) -> dict[str, Any]:
    return {
        "legalName": f"Robust Buyer {tag}",
        "state": "Karnataka",
        "uniqueRefNo": f"ROBUST-{tag}",
        "customerKeyContacts": [
            {"name": "Asha Rao", "email": "asha@robust.example", "mobile": "9876543210"}
        ],
        "customerReminders": [
            {"dueDateDifference": -2, "reminderType": "ONCE", "reminderTime": "10:00"}
        ],
    }


def ar_invoice_body(customer_id: str, number: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerId": customer_id,
        "invoiceNumber": number,
        "invoiceDate": "2026-11-01",
        "dueDate": "2026-11-30",
        "baseAmount": 1000,
        "cgst": 90,
        "sgst": 90,
    }
    body.update(overrides)
    return body


def payment_body(payment_id: str, allocations: list[tuple[str, float]]) -> dict[str, Any]:
    return {
        "paymentId": payment_id,
        "type": "OFFPLATFORM",
        "mode": "NEFT",
        "utr": "UTR42",
        "amount": round(sum(amount for _, amount in allocations), 2),
        "paidOn": "2026-11-20",
        "invoices": [{"invoiceId": i, "amount": amount} for i, amount in allocations],
    }


async def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.request.url, response.text)
    body: dict[str, Any] = response.json()
    return body


async def build_world(client: httpx.AsyncClient, headers: dict[str, str], tag: str) -> World:
    customer = (
        await _ok(await client.post("/api/v0/customer", json=customer_body(tag), headers=headers))
    )["payload"]
    customer_id = customer["customerId"]
    line = {"sku": "R-1", "name": "Rivet", "quantity": 4, "unitPrice": 250, "taxRate": 18}
    order = await _ok(
        await client.post(
            "/orders", json={"customerId": customer_id, "lineItems": [line]}, headers=headers
        ),
        201,
    )
    order_id = order["data"]["id"]
    bulk = await _ok(
        await client.post("/invoices/bulk", json={"orderIds": [order_id]}, headers=headers), 201
    )
    ar_invoice = await _ok(
        await client.post(
            "/api/v0/invoice",
            json=ar_invoice_body(customer_id, f"ROB-{tag}-1"),
            headers=headers,
        )
    )
    paid = await _ok(
        await client.post(
            "/api/v0/invoice",
            json=ar_invoice_body(customer_id, f"ROB-{tag}-2"),
            headers=headers,
        )
    )
    paid_id = paid["payload"]["invoiceId"]
    await _ok(
        await client.post(
            "/api/v0/invoice/bulk/dispatch", json={"invoiceIds": [paid_id]}, headers=headers
        )
    )
    payment_id = f"PAY-{tag}"
    await _ok(
        await client.post(
            "/api/v0/payment", json=payment_body(payment_id, [(paid_id, 500.0)]), headers=headers
        )
    )
    rows = (
        "invoiceNumber,customerId,invoiceDate,dueDate,baseAmount,cgst,sgst\n"
        f"ROB-{tag}-B1,{customer_id},2026-11-01,2026-11-30,100,9,9\n"
        f"ROB-{tag}-B2,{customer_id},2026-11-01,2026-10-01,oops,9,9\n"
    )
    job = await _ok(
        await client.post(
            "/api/v0/invoice/bulk/create",
            files={"file": ("invoices.csv", rows.encode())},
            headers=headers,
        )
    )
    credited = await _ok(
        await client.post(
            "/api/v0/invoice",
            json=ar_invoice_body(customer_id, f"ROB-{tag}-3"),
            headers=headers,
        )
    )
    note = await _ok(
        await client.post(
            f"/api/v0/invoice/{credited['payload']['invoiceId']}/credit-note",
            json={"reason": "Returned", "amount": 10},
            headers=headers,
        )
    )
    hook = await _ok(
        await client.post(
            "/api/v0/webhook-endpoint",
            json={"url": "https://8.8.8.8/hooks", "enabledEvents": ["credit_note.created"]},
            headers=headers,
        )
    )
    return World(
        webhook_endpoint_id=hook["payload"]["id"],
        webhook_delivery_id=new_object_id(),
        customer_id=customer_id,
        reminder_id=customer["customerReminders"][0]["customerReminderId"],
        order_id=order_id,
        commerce_invoice_id=bulk["data"][0]["id"],
        ar_invoice_id=ar_invoice["payload"]["invoiceId"],
        paid_invoice_id=paid_id,
        payment_id=payment_id,
        job_id=job["payload"]["jobId"],
        credit_note_id=note["payload"]["creditNoteId"],
    )
