"""OAuth endpoints: /oauth/token (password and refresh_token grants) and /oauth/revoke."""

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from khata.auth import service
from khata.auth.errors import OAuthError, TooManyFailedLogins
from khata.auth.ratelimit import FailedLoginLimiter
from khata.auth.schemas import OAuthErrorPayload, Revoked, TokenPayload
from khata.web.answers import documented
from khata.web.deps import AppSettings, Now, Session

# RFC 6749 section 5.2 answers; a crash answers server_error in the same shape.
OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthErrorPayload, "description": "invalid_request, invalid_grant, ..."},
    401: {"model": OAuthErrorPayload, "description": "invalid_client"},
    429: {"model": OAuthErrorPayload, "description": "too_many_requests (see Retry-After)"},
    500: {"model": OAuthErrorPayload, "description": "server_error"},
    "default": {"model": OAuthErrorPayload, "description": "Any other error"},
}

router = APIRouter(tags=["auth"], responses=OAUTH_ERRORS)


def _client_credentials(
    request: Request, form_id: str | None, form_secret: str | None
) -> tuple[str, str]:
    authorization = request.headers.get("authorization", "")
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "Malformed Basic authorization header", 401) from exc
        client_id, colon, client_secret = decoded.partition(":")
        if colon:
            return client_id, client_secret
        raise OAuthError("invalid_client", "Malformed Basic authorization header", 401)
    # RFC 6749 2.3.1 also allows the credentials in the form body.
    if form_id and form_secret:
        return form_id, form_secret
    raise OAuthError("invalid_client", "Client authentication required (HTTP Basic)", 401)


@router.post("/oauth/token", summary="Get an access token", responses=documented(TokenPayload))
async def token(
    request: Request,
    session: Session,
    now: Now,
    settings: AppSettings,
    grant_type: Annotated[str | None, Form()] = None,
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    refresh_token: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    limiter: FailedLoginLimiter = request.app.state.login_limiter
    the_client_id, the_secret = _client_credentials(request, client_id, client_secret)
    try:
        seller_id = await service.authenticate_client(
            session, client_id=the_client_id, client_secret=the_secret, now=now, limiter=limiter
        )
        pair = await service.grant(
            session,
            seller_id=seller_id,
            client_id=the_client_id,
            form=service.GrantForm(grant_type, username, password, refresh_token),
            now=now,
            limiter=limiter,
            access_ttl=settings.access_token_ttl_seconds,
            refresh_ttl=settings.refresh_token_ttl_seconds,
        )
    except TooManyFailedLogins as exc:
        return JSONResponse(
            {"error": exc.oauth_error, "error_description": exc.message},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"},
        )
    body: dict[str, Any] = {
        "access_token": pair.access_token,
        "token_type": "bearer",
        "refresh_token": pair.refresh_token,
        "expires_in": pair.expires_in,
        "scope": pair.scope,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.post("/oauth/revoke", summary="Revoke a token (RFC 7009)", responses=documented(Revoked))
async def revoke(
    request: Request,
    session: Session,
    now: Now,
    token: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    """Revoke an access or refresh token of the calling client's seller.

    As RFC 7009 asks, an unknown or already revoked token still answers 200, so the endpoint
    tells nothing about which tokens exist.
    """
    limiter: FailedLoginLimiter = request.app.state.login_limiter
    the_client_id, the_secret = _client_credentials(request, client_id, client_secret)
    seller_id = await service.authenticate_client(
        session, client_id=the_client_id, client_secret=the_secret, now=now, limiter=limiter
    )
    if not token:
        raise OAuthError("invalid_request", "token is required")
    await service.revoke_token(session, token=token, now=now, seller_id=seller_id)
    return JSONResponse({}, headers={"Cache-Control": "no-store"})
