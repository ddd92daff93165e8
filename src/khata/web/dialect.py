"""Which HTTP dialect a path belongs to, so errors are rendered in the caller's envelope."""

from enum import Enum


class Dialect(Enum):
    AR = "ar"
    COMMERCE = "commerce"
    OAUTH = "oauth"
    # The buyer's pages of a payment link (/pay/<key>): errors are short HTML pages.
    BUYER = "buyer"


def dialect_for_path(path: str) -> Dialect:
    if path.startswith("/api/"):
        return Dialect.AR
    if path.startswith("/oauth/"):
        return Dialect.OAUTH
    if path.startswith("/pay/"):
        return Dialect.BUYER
    return Dialect.COMMERCE
