"""The auth package's HTTP edge: the `Caller` dependency and the token check of middleware."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from khata.auth import service as auth_service
from khata.auth.errors import ForeignSeller
from khata.auth.service import Caller as CallerInfo
from khata.kit.errors import KhataError
from khata.web.credentials import token_from_headers
from khata.web.deps import Now, Session

_SELLER_PARAMETERS = ("sellerId", "companyId", "parentCompanyId")


async def authenticate(request: Request, session: Session, now: Now) -> CallerInfo:
    caller = await auth_service.authenticate(
        session, token=token_from_headers(request.headers), now=now
    )
    request.state.time_zone = caller.seller.time_zone
    request.state.seller_id = caller.seller_id
    for parameter in _SELLER_PARAMETERS:
        given = request.query_params.get(parameter)
        if given is not None and given != caller.seller_id:
            raise ForeignSeller(parameter)
    return caller


Caller = Annotated[CallerInfo, Depends(authenticate)]


async def time_zone_of_token(session: AsyncSession, token: str, now: datetime) -> str | None:
    """The time zone of a valid token's seller, for the Idempotency-Key middleware."""
    try:
        caller = await auth_service.authenticate(session, token=token, now=now)
    except KhataError:
        return None
    return caller.seller.time_zone
