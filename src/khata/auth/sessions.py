"""Web console sessions: sign-in by e-mail and password, the session token, its CSRF token.

A session is an `auth_token` row of kind `console` (stored as a hash, expiring, revocable at
sign-out), so every process sees it and the API never accepts it as a bearer token. Failed
sign-ins count in the same failed-login table and window as the OAuth password grant, keyed
by the seller and the e-mail tried.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from khata.auth import repository
from khata.auth.errors import TooManyFailedLogins
from khata.auth.ratelimit import FailedLoginLimiter
from khata.auth.secrets import hash_password, hash_token, seller_of_token, verify_password
from khata.auth.service import Caller, admin_password_matches, new_token, store_token, token_usable
from khata.kit.errors import Unauthorized
from khata.models.principal import PrincipalType

KIND = "console"
# One e-mail may be an admin of a few sellers; a sign-in tries at most this many.
_MAX_ACCOUNTS = 5


@lru_cache
def _decoy_hash() -> str:
    """Checked when no admin has the e-mail: a wrong e-mail takes as long as a wrong password."""
    return hash_password("decoy password")


class SignInRefused(Unauthorized):
    def __init__(self) -> None:
        super().__init__("Wrong e-mail or password")


class NoSession(Unauthorized):
    def __init__(self) -> None:
        super().__init__("Please sign in")


@dataclass(frozen=True)
class ConsoleSession:
    token: str
    caller: Caller
    expires_at: datetime


def _throttle_key(seller_id: str, email: str) -> str:
    """The failed-login counter of one e-mail at one seller (it names the seller, as the
    limiter's client ids do)."""
    return f"{seller_id}.console:{email.strip().lower()}"[:200]


async def sign_in(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    now: datetime,
    limiter: FailedLoginLimiter,
    ttl_seconds: int,
) -> ConsoleSession:
    """A new session for the admin with this e-mail and password; TooManyFailedLogins once
    the e-mail failed the limiter's burst inside its window (even with the right password)."""
    # Read on a connection of its own, before the request's transaction takes SQLite's one
    # writer: the limiter counts failures in transactions of its own too.
    async with limiter.factory() as lookup:
        admins = await repository.admins_with_email(lookup, email.strip(), limit=_MAX_ACCOUNTS)
    for admin in admins:
        retry_after = await limiter.retry_after(_throttle_key(admin.seller_id, email), now)
        if retry_after is not None:
            raise TooManyFailedLogins(retry_after)
    if not admins:
        verify_password(password, _decoy_hash())
    matched = next((a for a in admins if admin_password_matches(a, password)), None)
    if matched is None:
        for admin in admins:
            await limiter.record_failure(
                _throttle_key(admin.seller_id, email), now, request_session=session
            )
        raise SignInRefused()
    token = new_token(matched.seller_id)
    row = store_token(
        session,
        seller_id=matched.seller_id,
        principal_id=matched.id,
        kind=KIND,
        token=token,
        now=now,
        ttl_seconds=ttl_seconds,
        name="web console",
    )
    await session.flush()
    found = await repository.find_token(session, matched.seller_id, row.token_hash)
    assert found is not None  # just written in this transaction
    assert row.expires_at is not None
    return ConsoleSession(token, Caller(seller=found[2], principal=found[1]), row.expires_at)


async def resume(session: AsyncSession, *, token: str | None, now: datetime) -> ConsoleSession:
    """The live session of a cookie's token; NoSession when absent, expired or signed out."""
    seller_id = seller_of_token(token) if token else None
    if token is None or seller_id is None:
        raise NoSession()
    found = await repository.find_token(session, seller_id, hash_token(token))
    if found is None:
        raise NoSession()
    row, principal, seller = found
    if (
        not token_usable(row, now, kinds=(KIND,))
        or not principal.active
        or principal.type != PrincipalType.ADMIN
        or row.expires_at is None
    ):
        raise NoSession()
    return ConsoleSession(token, Caller(seller=seller, principal=principal), row.expires_at)


async def sign_out(session: AsyncSession, *, token: str, now: datetime) -> None:
    seller_id = seller_of_token(token)
    if seller_id is None:
        return
    found = await repository.find_token(session, seller_id, hash_token(token))
    if found is not None and found[0].kind == KIND:
        await repository.revoke_tokens(session, seller_id, [found[0].id], now)


def csrf_token(session_token: str) -> str:
    """The forms' CSRF token: derived from the secret session token, which only the HttpOnly
    cookie holds, so another site can neither read nor compute it."""
    return hmac.new(session_token.encode(), b"khata console csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, given: str) -> bool:
    return hmac.compare_digest(csrf_token(session_token), given)
