"""FastAPI dependencies as Annotated aliases: the request's session, clock and caller."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from khata.auth import service as auth_service
from khata.auth.errors import ForeignSeller
from khata.auth.service import Caller as CallerInfo
from khata.config import Settings
from khata.kit.clock import get_now


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed after the endpoint returns, before the answer
    is sent (scope="function"), so a failed commit still reaches the client as an error."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session, session.begin():
        yield session


def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Now = Annotated[datetime, Depends(get_now)]
AppSettings = Annotated[Settings, Depends(get_settings_from_app)]

_SELLER_PARAMETERS = ("sellerId", "companyId", "parentCompanyId")


def _token_from(request: Request) -> str | None:
    token = request.headers.get("accesstoken", "").strip()
    if token:
        # The seed calls this header's value a "Bearer Token": accept it with the prefix too.
        scheme, _, rest = token.partition(" ")
        return rest.strip() if scheme.lower() == "bearer" and rest.strip() else token
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def authenticate(request: Request, session: Session, now: Now) -> CallerInfo:
    caller = await auth_service.authenticate(session, token=_token_from(request), now=now)
    request.state.time_zone = caller.seller.time_zone
    request.state.seller_id = caller.seller_id
    for parameter in _SELLER_PARAMETERS:
        given = request.query_params.get(parameter)
        if given is not None and given != caller.seller_id:
            raise ForeignSeller(parameter)
    return caller


Caller = Annotated[CallerInfo, Depends(authenticate)]
