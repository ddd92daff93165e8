"""Which HTTP dialect a path belongs to, so errors are rendered in the caller's envelope."""

from enum import Enum


class Dialect(Enum):
    AR = "ar"
    COMMERCE = "commerce"
    OAUTH = "oauth"


def dialect_for_path(path: str) -> Dialect:
    if path.startswith("/api/"):
        return Dialect.AR
    if path.startswith("/oauth/"):
        return Dialect.OAUTH
    return Dialect.COMMERCE
