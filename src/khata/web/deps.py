"""FastAPI dependencies as Annotated aliases: session, clock, settings and link base; and the
connection of a request that only reads."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from khata.config import Settings
from khata.web.clock import get_now


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed after the endpoint returns, before the answer
    is sent (scope="function"), so a failed commit still reaches the client as an error."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session, session.begin():
        yield session


@asynccontextmanager
async def read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """The connection of a request that only reads (db.read_only_engine): for the GETs clients
    make most, which need neither an ORM session nor a transaction block."""
    engine: AsyncEngine = request.app.state.read_engine
    turns: asyncio.Semaphore = request.app.state.read_turns
    async with turns, engine.connect() as connection:
        yield connection


# The dependencies below are `async def` though they never wait: FastAPI runs a plain `def`
# dependency on its thread pool, a hop that costs more than the work.


async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_link_base(request: Request) -> str:
    return link_base_of(request)


def link_base_of(request: Request) -> str:
    """The base of absolute links in this request's answer: KHATA_PUBLIC_BASE_URL when set, else
    the address the client used (scheme, host, port, root path), so a client of a server on any
    port can follow them. Forwarded headers count only when the operator trusts the proxy."""
    settings: Settings = request.app.state.settings
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    scheme, netloc = request.url.scheme, request.url.netloc
    if settings.proxy_headers:
        scheme = _first(request.headers.get("x-forwarded-proto")) or scheme
        netloc = _first(request.headers.get("x-forwarded-host")) or netloc
    root_path = request.scope.get("root_path", "").rstrip("/")
    return f"{scheme}://{netloc}{root_path}"


def _first(value: str | None) -> str | None:
    """The client-side entry of a forwarded header that proxies may have appended to."""
    return value.split(",")[0].strip() or None if value else None


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Now = Annotated[datetime, Depends(get_now)]
AppSettings = Annotated[Settings, Depends(get_settings_from_app)]
LinkBase = Annotated[str, Depends(get_link_base)]
