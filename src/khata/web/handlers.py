"""Exception handlers and request-id middleware: every failure in its dialect's envelope."""

import html
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from khata.config import get_settings
from khata.kit.envelopes import ar_error, commerce_error, json_safe
from khata.kit.errors import ClientRequestError, FieldError, KhataError, ValidationFailed
from khata.kit.ids import new_object_id
from khata.kit.timeutil import enkash_timestamp
from khata.web.clock import app_now
from khata.web.dialect import Dialect, dialect_for_path
from khata.web.logs import REQUEST_ID
from khata.web.textsafety import MESSAGE, screen

logger = logging.getLogger("khata")

_AR_ERROR_TYPES = {
    401: "UNAUTHORIZED",
    403: "INVALID_ACCESS",
    404: "RECORD_NOT_FOUND",
    409: "UNPROCESSABLE_REQUEST",
    422: "UNPROCESSABLE_REQUEST",
    500: "SYSTEM_ERROR",
}
_OAUTH_ERROR_CODES = {400: "invalid_request", 401: "invalid_client", 429: "too_many_requests"}

# A few commerce routes name their own failure, as the seed documents them.
COMMERCE_500_MESSAGES: dict[tuple[str, str], str] = {
    ("POST", "/invoices/bulk"): "An error occurred while creating invoices",
    ("POST", "/invoices"): "An error occurred while creating the invoice",
}
COMMERCE_DEFAULT_500 = "An error occurred while processing the request"
AR_DEFAULT_500 = "An unexpected error occurred"


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or new_object_id())


# What a buyer's (or the console's) page says of an error the page itself did not answer (the
# message never repeats the path: a buyer's holds the link's key).
_BUYER_MESSAGES = {404: "This payment link is not valid", 500: "Something went wrong"}
_CONSOLE_MESSAGES = {404: "Page not found", 500: "Something went wrong"}
_BUYER_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def buyer_error_page(status: int, dialect: Dialect = Dialect.BUYER) -> HTMLResponse:
    """A bare HTML error for the buyer's and the console's pages: garbage in the URL, a wrong
    method, a crash."""
    messages = _CONSOLE_MESSAGES if dialect is Dialect.CONSOLE else _BUYER_MESSAGES
    message = messages.get(status, "This request cannot be answered")
    body = (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(message)}</title><h1>{html.escape(message)}</h1></html>"
    )
    return HTMLResponse(body, status_code=status, headers=_BUYER_HEADERS)


def render_error(request: Request, exc: KhataError) -> Response:
    """The one place that turns a KhataError into a response, by dialect."""
    headers = {"X-Request-ID": request_id_of(request)}
    dialect = dialect_for_path(request.url.path)
    status = exc.status
    if dialect in (Dialect.BUYER, Dialect.CONSOLE):
        return buyer_error_page(status, dialect)
    if dialect is Dialect.AR:
        # The AR dialect has no 409: a clash with existing state is a business rule (422).
        status = 422 if status == 409 else status
        if isinstance(exc, ValidationFailed):
            error_type = "VALIDATION_ERROR"
        else:
            error_type = _AR_ERROR_TYPES.get(status, "CLIENT_REQUEST_ERROR")
        time_zone = getattr(request.state, "time_zone", None) or get_settings().default_time_zone
        body = ar_error(
            status=status,
            error_type=error_type,
            message=exc.message,
            request_id=headers["X-Request-ID"],
            timestamp=enkash_timestamp(app_now(request.app), time_zone),
            sub_errors=exc.errors if isinstance(exc, ValidationFailed) else None,
        )
        return JSONResponse(body, status_code=status, headers=headers)
    if dialect is Dialect.OAUTH:
        code = getattr(exc, "oauth_error", None) or _OAUTH_ERROR_CODES.get(
            status, "invalid_request"
        )
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="khata"'
        headers["Cache-Control"] = "no-store"
        return JSONResponse(
            {"error": code, "error_description": exc.message}, status_code=status, headers=headers
        )
    # The commerce dialect has no 422: a refused business rule is a conflict (409).
    status = 409 if status == 422 else status
    return JSONResponse(commerce_error(exc.message), status_code=status, headers=headers)


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


def _is_json_content_type(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() in ("application/json", "")


def validation_error_from(request: Request, exc: RequestValidationError) -> KhataError:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return ClientRequestError("Malformed JSON request body")
    has_body_errors = any(e.get("loc", ())[:1] == ("body",) for e in errors)
    if has_body_errors and not _is_json_content_type(request):
        return ClientRequestError("Content-Type must be application/json")
    field_errors = []
    for error in errors:
        field = _field_name(tuple(error.get("loc", ())))
        message = str(error.get("msg", "is invalid"))
        if error.get("type") == "missing":
            message = "is required"
        rejected = None if error.get("type") == "missing" else json_safe(error.get("input"))
        field_errors.append(FieldError(field, message, rejected))
    summary = "Validation error: " + "; ".join(f"{e.field} {e.message}" for e in field_errors)
    return ValidationFailed(field_errors, summary)


async def _on_khata_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KhataError)
    return render_error(request, exc)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return render_error(request, validation_error_from(request, exc))


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        error = KhataError(f"No route for {request.method} {request.url.path}", status=404)
    elif exc.status_code == 405:
        error = KhataError(f"Method {request.method} not allowed on {request.url.path}", status=405)
    else:
        error = KhataError(str(exc.detail), status=exc.status_code)
    return render_error(request, error)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(KhataError, _on_khata_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)


def _internal_error_body(scope: Scope, request_id: str) -> tuple[int, dict[str, Any]]:
    path = scope.get("path", "")
    dialect = dialect_for_path(path)
    if dialect is Dialect.AR:
        time_zone = scope.get("state", {}).get("time_zone") or get_settings().default_time_zone
        return 500, ar_error(
            status=500,
            error_type="SYSTEM_ERROR",
            message=AR_DEFAULT_500,
            request_id=request_id,
            timestamp=enkash_timestamp(app_now(scope.get("app")), time_zone),
        )
    if dialect is Dialect.OAUTH:
        return 500, {"error": "server_error", "error_description": "Internal server error"}
    message = COMMERCE_500_MESSAGES.get((scope.get("method", ""), path), COMMERCE_DEFAULT_500)
    return 500, commerce_error(message)


class RequestContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID), refuses text no column can hold
    (kit.textsafety) and turns a crash into a clean 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else None
        request_id = request_id or new_object_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)  # for log records, the access log's included
        try:
            await self._serve(scope, receive, send, request_id)
        finally:
            REQUEST_ID.reset(token)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        problem, receive = await screen(scope, receive)
        if problem is not None:
            error = ValidationFailed([problem], f"Validation error: {problem.field} {MESSAGE}")
            response = render_error(Request(scope), error)
            await response(scope, receive, send_with_id)
            return
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            dialect = dialect_for_path(scope.get("path", ""))
            if dialect in (Dialect.BUYER, Dialect.CONSOLE):
                await buyer_error_page(500, dialect)(scope, receive, send_with_id)
                return
            status, body = _internal_error_body(scope, request_id)
            response = JSONResponse(body, status_code=status)
            await response(scope, receive, send_with_id)
