"""Authentication rules: grants, token issue, API keys, revocation, and checking a token."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from khata.auth import repository
from khata.auth.errors import InvalidToken, OAuthError, TooManyFailedLogins
from khata.auth.ratelimit import FailedLoginLimiter
from khata.auth.secrets import hash_token, seller_of_token, token_matches, verify_password
from khata.kit.errors import NotFound
from khata.kit.ids import new_object_id, new_secret
from khata.models import AuthToken, Principal, Seller
from khata.models.principal import PrincipalType

SCOPE = "read write"


@dataclass(frozen=True)
class Caller:
    """Who is calling: the seller (tenant) and the principal acting for it."""

    seller: Seller
    principal: Principal

    @property
    def seller_id(self) -> str:
        return self.seller.id


@dataclass(frozen=True)
class Reader:
    """Who is calling, as far as a request that only reads needs to know: the seller (tenant)
    and the time zone its answers are stamped in."""

    seller_id: str
    time_zone: str


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str = SCOPE


def new_token(seller_id: str) -> str:
    return f"{seller_id}.{new_secret(32)}"


def store_token(
    session: AsyncSession,
    *,
    seller_id: str,
    principal_id: str,
    kind: str,
    token: str,
    now: datetime,
    ttl_seconds: int | None,
    client_id: str | None = None,
    name: str | None = None,
) -> AuthToken:
    row = AuthToken(
        seller_id=seller_id,
        id=new_object_id(now.timestamp()),
        kind=kind,
        token_hash=hash_token(token),
        principal_id=principal_id,
        client_id=client_id,
        name=name,
        scope=SCOPE,
        expires_at=None if ttl_seconds is None else now + timedelta(seconds=ttl_seconds),
        created_at=now,
    )
    session.add(row)
    return row


async def issue_token_pair(
    session: AsyncSession,
    *,
    principal: Principal,
    client_id: str,
    now: datetime,
    access_ttl: int,
    refresh_ttl: int,
) -> TokenPair:
    access, refresh = new_token(principal.seller_id), new_token(principal.seller_id)
    for kind, token, ttl in (("access", access, access_ttl), ("refresh", refresh, refresh_ttl)):
        store_token(
            session,
            seller_id=principal.seller_id,
            principal_id=principal.id,
            kind=kind,
            token=token,
            now=now,
            ttl_seconds=ttl,
            client_id=client_id,
        )
    await session.flush()
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=access_ttl)


async def authenticate_client(
    session: AsyncSession,
    *,
    client_id: str,
    client_secret: str,
    now: datetime,
    limiter: FailedLoginLimiter,
) -> str:
    """Check the client credentials; answers the seller id. Failures count toward the limit."""
    retry_after = await limiter.retry_after(client_id, now)
    if retry_after is not None:
        raise TooManyFailedLogins(retry_after)
    seller_id = seller_of_token(client_id)
    client = (
        None if seller_id is None else await repository.get_client(session, seller_id, client_id)
    )
    if client is None or not token_matches(client_secret, client.secret_hash):
        await limiter.record_failure(client_id, now, request_session=session)
        raise OAuthError("invalid_client", "Client authentication failed", status=401)
    return client.seller_id


def admin_password_matches(principal: Principal, password: str) -> bool:
    """The one password check of a person signing in (OAuth password grant, web console)."""
    return (
        principal.type == PrincipalType.ADMIN
        and principal.active
        and principal.password_hash is not None
        and verify_password(password, principal.password_hash)
    )


async def password_grant(
    session: AsyncSession,
    *,
    seller_id: str,
    client_id: str,
    username: str,
    password: str,
    now: datetime,
    limiter: FailedLoginLimiter,
    access_ttl: int,
    refresh_ttl: int,
) -> TokenPair:
    principal = await repository.get_admin_by_email(session, seller_id, username)
    if principal is None or not admin_password_matches(principal, password):
        await limiter.record_failure(client_id, now, request_session=session)
        raise OAuthError("invalid_grant", "Invalid username or password")
    return await issue_token_pair(
        session,
        principal=principal,
        client_id=client_id,
        now=now,
        access_ttl=access_ttl,
        refresh_ttl=refresh_ttl,
    )


async def refresh_grant(
    session: AsyncSession,
    *,
    seller_id: str,
    client_id: str,
    refresh_token: str,
    now: datetime,
    limiter: FailedLoginLimiter,
    access_ttl: int,
    refresh_ttl: int,
) -> TokenPair:
    """Trade a refresh token for a new pair; the old refresh token is spent (rotation)."""
    found = None
    if seller_of_token(refresh_token) == seller_id:
        found = await repository.find_token(session, seller_id, hash_token(refresh_token))
    if (
        found is None
        or not token_usable(found[0], now, kinds=("refresh",))
        or found[0].client_id != client_id
    ):
        await limiter.record_failure(client_id, now, request_session=session)
        raise OAuthError("invalid_grant", "Invalid, expired or revoked refresh token")
    token, principal, _seller = found
    if not principal.active:
        raise OAuthError("invalid_grant", "Invalid, expired or revoked refresh token")
    token.revoked_at = now
    return await issue_token_pair(
        session,
        principal=principal,
        client_id=client_id,
        now=now,
        access_ttl=access_ttl,
        refresh_ttl=refresh_ttl,
    )


@dataclass(frozen=True)
class GrantForm:
    """The grant fields of a token request (RFC 6749 4.3 and 6)."""

    grant_type: str | None
    username: str | None
    password: str | None
    refresh_token: str | None


async def grant(
    session: AsyncSession,
    *,
    seller_id: str,
    client_id: str,
    form: GrantForm,
    now: datetime,
    limiter: FailedLoginLimiter,
    access_ttl: int,
    refresh_ttl: int,
) -> TokenPair:
    """The token endpoint once the client is authenticated: the password or refresh grant."""
    if form.grant_type == "password":
        if not form.username or not form.password:
            raise OAuthError("invalid_request", "username and password are required")
        return await password_grant(
            session,
            seller_id=seller_id,
            client_id=client_id,
            username=form.username,
            password=form.password,
            now=now,
            limiter=limiter,
            access_ttl=access_ttl,
            refresh_ttl=refresh_ttl,
        )
    if form.grant_type == "refresh_token":
        if not form.refresh_token:
            raise OAuthError("invalid_request", "refresh_token is required")
        return await refresh_grant(
            session,
            seller_id=seller_id,
            client_id=client_id,
            refresh_token=form.refresh_token,
            now=now,
            limiter=limiter,
            access_ttl=access_ttl,
            refresh_ttl=refresh_ttl,
        )
    if not form.grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    raise OAuthError("unsupported_grant_type", f"Unsupported grant_type: {form.grant_type}")


class TokenState(Protocol):
    """What decides whether a stored token still opens the door (a row or an AuthToken)."""

    @property
    def kind(self) -> str: ...
    @property
    def revoked_at(self) -> datetime | None: ...
    @property
    def expires_at(self) -> datetime | None: ...


def token_usable(token: TokenState, now: datetime, *, kinds: tuple[str, ...]) -> bool:
    return (
        token.kind in kinds
        and token.revoked_at is None
        and (token.expires_at is None or token.expires_at > now)
    )


_CALLER_KINDS = ("access", "api_key")


def _tenant_of(token: str | None) -> tuple[str, str]:
    """The token and the seller it names; InvalidToken when it names none."""
    seller_id = seller_of_token(token) if token else None
    if token is None or seller_id is None:
        raise InvalidToken()
    return token, seller_id


async def authenticate(session: AsyncSession, *, token: str | None, now: datetime) -> Caller:
    """The caller behind an access token or API key; InvalidToken for anything else."""
    token, seller_id = _tenant_of(token)
    found = await repository.find_token(session, seller_id, hash_token(token))
    if found is None:
        raise InvalidToken()
    row, principal, seller = found
    if not token_usable(row, now, kinds=_CALLER_KINDS) or not principal.active:
        raise InvalidToken()
    return Caller(seller=seller, principal=principal)


async def authenticate_reader(
    connection: AsyncConnection, *, token: str | None, now: datetime
) -> Reader:
    """`authenticate` for a request that only reads: the same checks, one row of the columns
    they need instead of three ORM objects."""
    token, seller_id = _tenant_of(token)
    found = await repository.find_token_state(connection, seller_id, hash_token(token))
    if found is None:
        raise InvalidToken()
    if not token_usable(found, now, kinds=_CALLER_KINDS) or not found.active:
        raise InvalidToken()
    return Reader(seller_id=seller_id, time_zone=found.time_zone)


async def create_api_key(
    session: AsyncSession, *, seller_id: str, name: str, now: datetime
) -> tuple[str, AuthToken]:
    """A long-lived key for a new `api` principal named `name`; the key is shown only once."""
    if await session.get(Seller, seller_id) is None:
        raise NotFound(f"Seller not found: {seller_id}")
    principal = Principal(
        seller_id=seller_id,
        id=new_object_id(now.timestamp()),
        type=PrincipalType.API.value,
        name=name,
        email=None,
        password_hash=None,
        active=True,
        created_at=now,
    )
    session.add(principal)
    await session.flush()
    key = new_token(seller_id)
    row = store_token(
        session,
        seller_id=seller_id,
        principal_id=principal.id,
        kind="api_key",
        token=key,
        now=now,
        ttl_seconds=None,
        name=name,
    )
    await session.flush()
    return key, row


async def revoke_token(
    session: AsyncSession, *, token: str, now: datetime, seller_id: str | None = None
) -> bool:
    """Revoke an access token, refresh token or API key given in full.

    With `seller_id`, only a token of that seller is revoked (a client revoking over HTTP).
    """
    token_seller = seller_of_token(token)
    if token_seller is None or (seller_id is not None and token_seller != seller_id):
        return False
    seller_id = token_seller
    found = await repository.find_token(session, seller_id, hash_token(token))
    if found is None:
        return False
    return await repository.revoke_tokens(session, seller_id, [found[0].id], now) > 0


async def list_api_keys(session: AsyncSession, *, seller_id: str) -> list[AuthToken]:
    """The seller's live API keys (their names and dates; the keys themselves are not kept)."""
    return await repository.live_api_keys(session, seller_id)


async def revoke_api_key(
    session: AsyncSession, *, seller_id: str, key_id: str, now: datetime
) -> None:
    """Revoke one of the seller's API keys by its id; NotFound for anything else."""
    if not any(key.id == key_id for key in await repository.live_api_keys(session, seller_id)):
        raise NotFound(f"API key not found: {key_id}")
    await repository.revoke_tokens(session, seller_id, [key_id], now)
