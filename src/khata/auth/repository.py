"""Queries for principals, OAuth clients, tokens and failed logins."""

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from khata.db import first_row
from khata.kit.timeutil import as_utc
from khata.models import AuthToken, LoginFailure, OAuthClient, Principal, Seller
from khata.models.principal import PrincipalType


async def get_client(session: AsyncSession, seller_id: str, client_id: str) -> OAuthClient | None:
    return await session.get(OAuthClient, (seller_id, client_id))


async def get_admin_by_email(session: AsyncSession, seller_id: str, email: str) -> Principal | None:
    result = await session.execute(
        select(Principal).where(
            Principal.seller_id == seller_id,
            Principal.email == email.lower(),
            Principal.type == PrincipalType.ADMIN,
        )
    )
    return result.scalar_one_or_none()


async def admins_with_email(session: AsyncSession, email: str, *, limit: int) -> list[Principal]:
    """The admins, of any seller, who sign in with `email` (unique per seller only)."""
    result = await session.execute(
        select(Principal)
        .where(Principal.email == email.lower(), Principal.type == PrincipalType.ADMIN)
        .order_by(Principal.seller_id)
        .limit(limit)
    )
    return list(result.scalars())


def _token_lookup(*columns: Any) -> Any:
    """`columns` of a token looked up by its seller and hash, joined to its principal and its
    seller."""
    return (
        select(*columns)
        .join(
            Principal,
            (Principal.seller_id == AuthToken.seller_id) & (Principal.id == AuthToken.principal_id),
        )
        .join(Seller, Seller.id == AuthToken.seller_id)
        .where(
            AuthToken.seller_id == bindparam("seller_id"),
            AuthToken.token_hash == bindparam("token_hash"),
        )
    )


# Built once: every authenticated request runs one, and building it costs more than running it.
_FIND_TOKEN = _token_lookup(AuthToken, Principal, Seller)
_FIND_TOKEN_STATE = _token_lookup(
    AuthToken.kind, AuthToken.revoked_at, AuthToken.expires_at, Principal.active, Seller.time_zone
)


async def find_token(
    session: AsyncSession, seller_id: str, token_hash: str
) -> tuple[AuthToken, Principal, Seller] | None:
    result = await session.execute(_FIND_TOKEN, {"seller_id": seller_id, "token_hash": token_hash})
    row = result.first()
    return None if row is None else (row[0], row[1], row[2])


async def find_token_state(connection: AsyncConnection, seller_id: str, token_hash: str) -> Any:
    """The token's kind, revocation and expiry, its principal's `active` and its seller's
    `time_zone`: what a request that only reads needs of its token."""
    parameters = {"seller_id": seller_id, "token_hash": token_hash}
    return await first_row(connection, _FIND_TOKEN_STATE, parameters)


async def revoke_tokens(
    session: AsyncSession, seller_id: str, token_ids: list[str], now: datetime
) -> int:
    result = await session.execute(
        update(AuthToken)
        .where(
            AuthToken.seller_id == seller_id,
            AuthToken.id.in_(token_ids),
            AuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def login_failures_since(
    session: AsyncSession, *, seller_id: str, client_id: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many failed logins a client had after `since`, and when the oldest of them was."""
    row = (
        await session.execute(
            select(func.count(), func.min(LoginFailure.failed_at)).where(
                LoginFailure.seller_id == seller_id,
                LoginFailure.client_id == client_id,
                LoginFailure.failed_at > since,
            )
        )
    ).one()
    oldest = row[1]
    if isinstance(oldest, str):  # SQLite answers an aggregate of a datetime column as text
        oldest = datetime.fromisoformat(oldest)
    return int(row[0]), None if oldest is None else as_utc(oldest)


async def add_login_failure(
    session: AsyncSession,
    *,
    seller_id: str,
    client_id: str,
    failure_id: str,
    failed_at: datetime,
    forget_before: datetime,
) -> None:
    """Record a failed login and drop the client's failures that left the window."""
    await session.execute(
        delete(LoginFailure).where(
            LoginFailure.seller_id == seller_id,
            LoginFailure.client_id == client_id,
            LoginFailure.failed_at <= forget_before,
        )
    )
    session.add(
        LoginFailure(seller_id=seller_id, client_id=client_id, id=failure_id, failed_at=failed_at)
    )
    await session.flush()


async def live_api_keys(session: AsyncSession, seller_id: str) -> list[AuthToken]:
    """The seller's API keys not revoked, oldest first."""
    result = await session.execute(
        select(AuthToken)
        .where(
            AuthToken.seller_id == seller_id,
            AuthToken.kind == "api_key",
            AuthToken.revoked_at.is_(None),
        )
        .order_by(AuthToken.created_at, AuthToken.id)
    )
    return list(result.scalars())
