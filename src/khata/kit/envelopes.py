"""The two response envelopes: commerce `{success, data, message, count}` and AR (Enkash).

The functions build them; the models document them in /openapi.json (generic in the payload:
`ArEnvelope[InvoicePayload]`, `CommerceEnvelope[OrderPayload]`).
"""

import json
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from pydantic import Field

from khata.kit.errors import FieldError
from khata.kit.wire import WireAnswer

PayloadT = TypeVar("PayloadT")


class ArErrorType(StrEnum):
    """`errorResponse.errorType` of the AR dialect, by case."""

    VALIDATION_ERROR = "VALIDATION_ERROR"  # 400, a field
    CLIENT_REQUEST_ERROR = "CLIENT_REQUEST_ERROR"  # 400, the request as a whole
    UNAUTHORIZED = "UNAUTHORIZED"  # 401
    INVALID_ACCESS = "INVALID_ACCESS"  # 403
    RECORD_NOT_FOUND = "RECORD_NOT_FOUND"  # 404
    UNPROCESSABLE_REQUEST = "UNPROCESSABLE_REQUEST"  # 422, a business rule
    SYSTEM_ERROR = "SYSTEM_ERROR"  # 500


class ApiSubError(WireAnswer):
    field: str = Field(description="The field's path in the request, e.g. lineItems.0.quantity")
    message: str
    rejectedValue: Any = Field(description="The value sent (null when the field is missing)")


class ErrorResponse(WireAnswer):
    apiSubErrors: list[ApiSubError]
    errorMessage: str
    errorType: ArErrorType
    requestId: str
    timestamp: str = Field(
        pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
        description="yyyy-MM-dd HH:mm:ss in the seller's time zone",
    )


class ArEnvelope(WireAnswer, Generic[PayloadT]):
    """A successful AR answer (200)."""

    errorResponse: None
    payload: PayloadT
    response_code: int
    response_message: str


class ArErrorEnvelope(WireAnswer):
    """A failed AR answer: the Enkash error envelope, `payload` null."""

    errorResponse: ErrorResponse
    payload: None
    response_code: int
    response_message: str


class CommerceEnvelope(WireAnswer, Generic[PayloadT]):
    """A successful commerce answer with one object."""

    success: Literal[True]
    data: PayloadT
    message: str


class CommerceListEnvelope(WireAnswer, Generic[PayloadT]):
    """A successful commerce answer with a list; `count` is the number of matches."""

    success: Literal[True]
    data: list[PayloadT]
    message: str
    count: int


class CommerceErrorEnvelope(WireAnswer):
    """A failed commerce answer."""

    success: Literal[False]
    message: str


def commerce_ok(data: Any, message: str, count: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "data": data, "message": message}
    if count is not None:
        body["count"] = count
    return body


def commerce_error(message: str) -> dict[str, Any]:
    return {"success": False, "message": message}


def ar_ok(payload: Any, message: str = "Success") -> dict[str, Any]:
    return {
        "errorResponse": None,
        "payload": payload,
        "response_code": 200,
        "response_message": message,
    }


def json_safe(value: Any) -> Any:
    """`value` if it is strict JSON, else its text: a rejected 1e309 (Infinity to Python's
    parser) or NaN would otherwise make the error answer itself fail to render (a 500)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return str(value)
    return value


def ar_error(
    *,
    status: int,
    error_type: str,
    message: str,
    request_id: str,
    timestamp: str,
    sub_errors: list[FieldError] | None = None,
) -> dict[str, Any]:
    return {
        "errorResponse": {
            "apiSubErrors": [
                {
                    "field": e.field,
                    "message": e.message,
                    "rejectedValue": json_safe(e.rejected_value),
                }
                for e in sub_errors or []
            ],
            "errorMessage": message,
            "errorType": error_type,
            "requestId": request_id,
            "timestamp": timestamp,
        },
        "payload": None,
        "response_code": status,
        "response_message": message,
    }
