"""The OAuth answers (RFC 6749) as /openapi.json documents them."""

from typing import Literal

from khata.kit.wire import WireAnswer


class TokenPayload(WireAnswer):
    access_token: str
    token_type: Literal["bearer"]
    refresh_token: str
    expires_in: int
    scope: str | None


class OAuthErrorPayload(WireAnswer):
    """RFC 6749 section 5.2 (`error` is e.g. invalid_request, invalid_client, invalid_grant)."""

    error: str
    error_description: str


class Revoked(WireAnswer):
    """RFC 7009: an empty object, whether or not the token existed."""
