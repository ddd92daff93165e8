"""The two response envelopes: commerce `{success, data, message, count}` and AR (Enkash)."""

import json
from typing import Any

from khata.kit.errors import FieldError


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
