"""Authentication errors; OAuth ones carry their RFC 6749 error code."""

from khata.kit.errors import Forbidden, KhataError, TooManyRequests, Unauthorized

INVALID_TOKEN_MESSAGE = "Invalid or missing access token"


class OAuthError(KhataError):
    """An error of the token endpoint, rendered as {error, error_description}."""

    def __init__(self, oauth_error: str, message: str, status: int = 400) -> None:
        super().__init__(message, status=status)
        self.oauth_error = oauth_error


class InvalidToken(Unauthorized):
    def __init__(self) -> None:
        super().__init__(INVALID_TOKEN_MESSAGE)


class ForeignSeller(Forbidden):
    def __init__(self, parameter: str) -> None:
        super().__init__(f"{parameter} does not match the seller of this access token")


class TooManyFailedLogins(OAuthError):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too_many_requests", "Too many failed attempts; try again later", 429)
        self.retry_after = retry_after


__all__ = [
    "INVALID_TOKEN_MESSAGE",
    "ForeignSeller",
    "InvalidToken",
    "OAuthError",
    "TooManyRequests",
]
