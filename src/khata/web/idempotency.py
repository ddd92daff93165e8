"""Idempotency-Key for POSTs in both dialects: the same key and body replay the first answer.

A pure ASGI middleware, so it sees the exact status and body the client got. The key is
reserved in its own short transaction before the request runs (two identical concurrent
requests cannot both run: the second waits and replays), the answer is stored after, and a
5xx drops the reservation so the client may retry. Keys are kept 24 hours.
"""

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from khata.kit.envelopes import ar_error, commerce_error
from khata.kit.errors import FieldError
from khata.kit.ids import new_object_id
from khata.kit.timeutil import enkash_timestamp
from khata.models import IdempotencyKey
from khata.web.asgi import buffer_body
from khata.web.clock import app_now
from khata.web.credentials import token_from_headers
from khata.web.dialect import Dialect, dialect_for_path

logger = logging.getLogger("khata.idempotency")

HEADER = b"idempotency-key"
KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
IN_PROGRESS = 0  # status_code of a reserved key whose answer is not stored yet
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05
REUSED_MESSAGE = "Idempotency-Key was already used with a different request"
BUSY_MESSAGE = "A request with this Idempotency-Key is still being processed"


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", [])}


def _applies(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """POSTs that change something; searches and the token endpoint are reads or auth, and
    multipart uploads are guarded by their own re-upload rules, not buffered here."""
    if scope["type"] != "http" or scope.get("method") != "POST" or HEADER not in headers:
        return False
    path: str = scope.get("path", "")
    content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
    return (
        not path.startswith("/oauth/")
        and not path.endswith("/search")
        and not content_type.startswith("multipart/")
    )


def request_fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """Same request = same method, path, query and JSON content (key order and spacing aside)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass
class _Captured:
    status: int = 0
    headers: list[tuple[bytes, bytes]] | None = None
    body: bytearray | None = None


SellerOf = Callable[[str], str | None]
"""The seller a token names, read from the token alone (no database)."""
TimeZoneOf = Callable[[AsyncSession, str, datetime], Awaitable[str | None]]
"""The time zone of a valid token's seller at `now`; None when the token is not valid."""


class IdempotencyMiddleware:
    """Token checks are passed in (by the app), so HTTP plumbing depends on no domain."""

    def __init__(self, app: ASGIApp, *, seller_of: SellerOf, time_zone_of: TimeZoneOf) -> None:
        self.app = app
        self.seller_of = seller_of
        self.time_zone_of = time_zone_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        if not _applies(scope, headers):
            await self.app(scope, receive, send)
            return
        key = headers[HEADER].decode("latin-1").strip()
        token = token_from_headers(Headers(scope=scope))
        seller_id = self.seller_of(token) if token else None
        body, receive = await buffer_body(receive)
        if seller_id is None or not key:
            # No tenant known: authentication will refuse the request anyway.
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY_LENGTH:
            too_long = FieldError(
                "Idempotency-Key", f"must be at most {MAX_KEY_LENGTH} characters", key
            )
            message = "Idempotency-Key is too long"
            await _error(scope, receive, send, 400, message, None, sub_errors=[too_long])
            return
        factory: async_sessionmaker[AsyncSession] = scope["app"].state.session_factory
        fingerprint = request_fingerprint(
            "POST", scope.get("path", ""), scope.get("query_string", b""), body
        )
        outcome = await _reserve(
            factory, self.time_zone_of, seller_id, key, token or "", fingerprint, scope
        )
        if outcome.kind == "run":
            await self._run_and_keep(scope, receive, send, factory, seller_id, key)
        elif outcome.kind == "unauthenticated":
            await self.app(scope, receive, send)
        else:
            await _answer_without_running(scope, receive, send, outcome)

    async def _run_and_keep(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        factory: async_sessionmaker[AsyncSession],
        seller_id: str,
        key: str,
    ) -> None:
        """Runs the request, passing its answer through, and stores that answer under the key."""
        captured = _Captured()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = int(message["status"])
                captured.headers = list(message.get("headers", []))
                captured.body = bytearray()
            elif message["type"] == "http.response.body" and captured.body is not None:
                captured.body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await _release(factory, seller_id, key)
            raise
        await _settle(factory, seller_id, key, captured)


async def _answer_without_running(
    scope: Scope, receive: Receive, send: Send, outcome: "_Outcome"
) -> None:
    """A replay of the stored answer, or the refusal of a reused or busy key."""
    if outcome.kind == "reused":
        await _error(scope, receive, send, 422, REUSED_MESSAGE, outcome.time_zone)
    elif outcome.kind == "busy":
        await _error(scope, receive, send, 409, BUSY_MESSAGE, outcome.time_zone)
    else:
        response = JSONResponse(
            outcome.body, status_code=outcome.status, headers={"Idempotent-Replayed": "true"}
        )
        await response(scope, receive, send)


@dataclass
class _Outcome:
    kind: str  # run | replay | reused | busy | unauthenticated
    time_zone: str | None = None
    status: int = 0
    body: Any = None


async def _reserve(
    factory: async_sessionmaker[AsyncSession],
    time_zone_of: TimeZoneOf,
    seller_id: str,
    key: str,
    token: str,
    fingerprint: str,
    scope: Scope,
) -> _Outcome:
    waited = 0.0
    time_zone: str | None = None
    while True:
        now = app_now(scope["app"])
        try:
            async with factory() as session, session.begin():
                # A stored answer is shown only to a valid token of the same seller.
                time_zone = await time_zone_of(session, token, now)
                if time_zone is None:
                    return _Outcome("unauthenticated")
                row = await session.get(IdempotencyKey, (seller_id, key))
                if row is not None and row.created_at <= now - KEEP_FOR:
                    await session.delete(row)
                    await session.flush()
                    row = None
                if row is None:
                    session.add(
                        IdempotencyKey(
                            seller_id=seller_id,
                            key=key,
                            method="POST",
                            path=scope.get("path", "")[:512],
                            request_hash=fingerprint,
                            status_code=IN_PROGRESS,
                            response_body={},
                            created_at=now,
                        )
                    )
                    await session.flush()
                    return _Outcome("run", time_zone)
                if row.request_hash != fingerprint:
                    return _Outcome("reused", time_zone)
                if row.status_code != IN_PROGRESS:
                    return _Outcome("replay", time_zone, row.status_code, row.response_body)
        except IntegrityError:
            pass  # a concurrent request reserved the key first: look again
        # The first request with this key is still running: wait for its answer.
        if waited >= WAIT_SECONDS:
            return _Outcome("busy", time_zone)
        await asyncio.sleep(POLL_SECONDS)
        waited += POLL_SECONDS


async def _release(factory: async_sessionmaker[AsyncSession], seller_id: str, key: str) -> None:
    try:
        async with factory() as session, session.begin():
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.seller_id == seller_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.status_code == IN_PROGRESS,
                )
            )
    except Exception:  # the reservation then simply expires; never hide the real answer
        logger.exception("could not release idempotency key %s", key)


async def _settle(
    factory: async_sessionmaker[AsyncSession], seller_id: str, key: str, captured: _Captured
) -> None:
    """Store a final answer; a server error (or an answer we cannot replay) frees the key."""
    body: Any = None
    if 200 <= captured.status < 500 and captured.body is not None:
        try:
            body = json.loads(bytes(captured.body))
        except ValueError:
            body = None
    if body is None:
        await _release(factory, seller_id, key)
        return
    try:
        async with factory() as session, session.begin():
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.seller_id == seller_id, IdempotencyKey.key == key)
                .values(status_code=captured.status, response_body=body)
            )
    except Exception:
        logger.exception("could not store the answer of idempotency key %s", key)
        await _release(factory, seller_id, key)


async def _error(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    message: str,
    time_zone: str | None,
    *,
    sub_errors: list[FieldError] | None = None,
) -> None:
    path: str = scope.get("path", "")
    request_id = str(scope.get("state", {}).get("request_id") or new_object_id())
    if dialect_for_path(path) is Dialect.AR:
        status = 422 if status == 409 else status
        error_type = {400: "VALIDATION_ERROR", 422: "UNPROCESSABLE_REQUEST"}[status]
        zone = time_zone or scope["app"].state.settings.default_time_zone
        body = ar_error(
            status=status,
            error_type=error_type,
            message=message,
            request_id=request_id,
            timestamp=enkash_timestamp(app_now(scope.get("app")), zone),
            sub_errors=sub_errors,
        )
    else:
        status = 409 if status == 422 else status
        body = commerce_error(message)
    await JSONResponse(body, status_code=status)(scope, receive, send)
