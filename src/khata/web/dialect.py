"""Which HTTP dialect a path belongs to, so errors are rendered in the caller's envelope."""

from enum import Enum


class Dialect(Enum):
    AR = "ar"
    COMMERCE = "commerce"
    OAUTH = "oauth"
    # The buyer's pages of a payment link (/pay/<key>): errors are short HTML pages.
    BUYER = "buyer"
    # The seller's web console (/console): errors are short HTML pages too.
    CONSOLE = "console"


def dialect_for_path(path: str) -> Dialect:
    if path.startswith("/api/"):
        return Dialect.AR
    if path.startswith("/oauth/"):
        return Dialect.OAUTH
    if path.startswith("/pay/"):
        return Dialect.BUYER
    if path == "/console" or path.startswith("/console/"):
        return Dialect.CONSOLE
    return Dialect.COMMERCE
