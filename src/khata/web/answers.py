"""Answers of the endpoints: JSON rendered as FastAPI rendered our dicts, and the documented
error answers of each dialect for /openapi.json.

Endpoints return their envelope dict through `ar_answer` / `commerce_answer` and declare the
payload model with `responses=`: the dict is rendered by Pydantic's JSON serializer, the same
bytes FastAPI's `dict[str, Any]` response model gave, without validating the answer again on
every request (tests/test_wire_contract.py holds real answers to the declared models).
"""

from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel, TypeAdapter

from khata.kit.envelopes import ArErrorEnvelope, CommerceErrorEnvelope, ar_ok, commerce_ok

_ENVELOPE: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])

AR_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ArErrorEnvelope, "description": "VALIDATION_ERROR or CLIENT_REQUEST_ERROR"},
    401: {"model": ArErrorEnvelope, "description": "UNAUTHORIZED: no or a bad access token"},
    403: {"model": ArErrorEnvelope, "description": "INVALID_ACCESS: another seller's id"},
    404: {"model": ArErrorEnvelope, "description": "RECORD_NOT_FOUND"},
    422: {"model": ArErrorEnvelope, "description": "UNPROCESSABLE_REQUEST: a business rule"},
    500: {"model": ArErrorEnvelope, "description": "SYSTEM_ERROR"},
    # Any other status (405, 413, 429) comes in the same envelope. Declaring it also keeps
    # FastAPI from documenting its own 422 body, which neither dialect ever answers.
    "default": {"model": ArErrorEnvelope, "description": "Any other error"},
}
COMMERCE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": CommerceErrorEnvelope, "description": "Validation error"},
    401: {"model": CommerceErrorEnvelope, "description": "No or a bad access token"},
    403: {"model": CommerceErrorEnvelope, "description": "Another seller's id"},
    404: {"model": CommerceErrorEnvelope, "description": "Not found"},
    409: {"model": CommerceErrorEnvelope, "description": "Conflict with existing state"},
    500: {"model": CommerceErrorEnvelope, "description": "Internal error (no details)"},
    "default": {"model": CommerceErrorEnvelope, "description": "Any other error"},
}


class EnvelopeJSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _ENVELOPE.dump_json(content)


def ar_answer(payload: Any, message: str = "Success") -> Response:
    return EnvelopeJSON(ar_ok(payload, message))


def commerce_answer(
    data: Any, message: str, count: int | None = None, *, status_code: int = 200
) -> Response:
    return EnvelopeJSON(commerce_ok(data, message, count), status_code=status_code)


def documented(model: type[BaseModel], status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The success answer of an operation, for `responses=`: its envelope and payload model."""
    return {status: {"model": model, "description": "Success"}}


def file_download(description: str, *media_types: str) -> dict[int | str, Any]:
    """The 200 of a download: a file in one of `media_types`, not JSON."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": dict.fromkeys(media_types, binary)}}


PDF_MEDIA_TYPE = "application/pdf"
TAX_INVOICE_PDF = file_download("The GST tax invoice (CGST Rule 46), an A4 PDF", PDF_MEDIA_TYPE)


def download(content: bytes, *, media_type: str, file_name: str) -> Response:
    """A file to save, named `file_name` (which must already be safe in a quoted header)."""
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )
