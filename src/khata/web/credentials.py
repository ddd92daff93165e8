"""Reading the caller's token from request headers: the one parser every layer uses."""

from collections.abc import Mapping


def _bearer_value(value: str) -> str | None:
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() or None if scheme.lower() == "bearer" else None


def token_from_headers(headers: Mapping[str, str]) -> str | None:
    """`accessToken: <token>`, `accessToken: Bearer <token>` (the seed calls its value a Bearer
    Token) or `Authorization: Bearer <token>`; `headers` must look names up case-insensitively
    (Starlette's `Headers`)."""
    access_token = headers.get("accesstoken", "").strip()
    if access_token:
        return _bearer_value(access_token) or access_token
    return _bearer_value(headers.get("authorization", ""))
