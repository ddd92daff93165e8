"""The auth package's HTTP edge: the `Caller` dependency, the `reading` of the GETs clients make
most, and the token check of middleware."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from khata.auth import service as auth_service
from khata.auth.errors import ForeignSeller
from khata.auth.service import Caller as CallerInfo
from khata.kit.errors import KhataError
from khata.web.clock import app_now
from khata.web.credentials import token_from_headers
from khata.web.deps import Now, Session, link_base_of, read_connection

_SELLER_PARAMETERS = ("sellerId", "companyId", "parentCompanyId")


def _serve_seller(request: Request, seller_id: str, time_zone: str) -> None:
    """The request is the seller's: its errors are stamped in the seller's time zone, and a
    seller id in its query must be the caller's own."""
    request.state.time_zone = time_zone
    request.state.seller_id = seller_id
    for parameter in _SELLER_PARAMETERS:
        given = request.query_params.get(parameter)
        if given is not None and given != seller_id:
            raise ForeignSeller(parameter)


async def authenticate(request: Request, session: Session, now: Now) -> CallerInfo:
    caller = await auth_service.authenticate(
        session, token=token_from_headers(request.headers), now=now
    )
    _serve_seller(request, caller.seller_id, caller.seller.time_zone)
    return caller


@dataclass(frozen=True)
class Reading:
    """What a GET of one record works with: its connection (web.deps.read_connection), who is
    calling, the request's "now" and the base of its links."""

    connection: AsyncConnection
    seller_id: str
    time_zone: str
    now: datetime
    link_base: str


@asynccontextmanager
async def reading(request: Request) -> AsyncIterator[Reading]:
    """The GETs clients make most open this themselves rather than declare dependencies: each
    dependency FastAPI solves cost such a GET a tenth of its time, the connection's exit stack
    as much again. "now" is the `Now` dependency's (tests pin it there)."""
    now = app_now(request.app)
    async with read_connection(request) as connection:
        reader = await auth_service.authenticate_reader(
            connection, token=token_from_headers(request.headers), now=now
        )
        _serve_seller(request, reader.seller_id, reader.time_zone)
        yield Reading(connection, reader.seller_id, reader.time_zone, now, link_base_of(request))


Caller = Annotated[CallerInfo, Depends(authenticate)]


async def time_zone_of_token(session: AsyncSession, token: str, now: datetime) -> str | None:
    """The time zone of a valid token's seller, for the Idempotency-Key middleware."""
    try:
        caller = await auth_service.authenticate(session, token=token, now=now)
    except KhataError:
        return None
    return caller.seller.time_zone
