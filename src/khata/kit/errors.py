"""Typed errors: one base class; each dialect's handler renders it into its own envelope."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    rejected_value: Any = None


class KhataError(Exception):
    """Base of every error a client should see. `status` is the HTTP status."""

    status: int = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class ValidationFailed(KhataError):
    """One or more fields are wrong (400 VALIDATION_ERROR, one apiSubError per field)."""

    status = 400

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        self.errors = errors
        super().__init__(message or "; ".join(f"{e.field}: {e.message}" for e in errors))


class ClientRequestError(KhataError):
    """The request as a whole is unusable: malformed JSON, wrong content type, bad file."""

    status = 400


class Unauthorized(KhataError):
    status = 401


class Forbidden(KhataError):
    status = 403


class NotFound(KhataError):
    status = 404


class Conflict(KhataError):
    """A clash with existing state (commerce 409; rendered 422 in the AR dialect)."""

    status = 409


class RuleViolation(KhataError):
    """A business rule refuses the request (AR 422; rendered 409 in the commerce dialect)."""

    status = 422


class TooManyRequests(KhataError):
    status = 429
