"""Keyset cursors of the invoice search: an opaque, signed token naming a row's place in one
search's order, so the next (or previous) page starts right after (before) it.

A token is `<payload>.<signature>`, both base64url: the payload names the row (its orderBy value
and its id), which way to walk, and a fingerprint of the search it was made for (seller,
filters, orderBy, direction); the signature is an HMAC of the payload. A token altered by hand,
cut short, or made for another search is a VALIDATION_ERROR on `cursor`, never a guess."""

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from khata.invoice.ar_schemas import InvoiceSearch
from khata.kit.errors import FieldError, ValidationFailed

# How each orderBy's value is written in a token (the column's type).
_KINDS: dict[str, str] = {
    "createdOn": "datetime",
    "dispatchedOn": "datetime",
    "dueDate": "date",
    "invoiceDate": "date",
    "baseAmount": "int",
    "balanceAmount": "int",
    "netAmount": "int",
    "entityId": "int",
    "invoiceNumber": "str",
}
_SIGNATURE_BYTES = 16


@dataclass(frozen=True)
class Cursor:
    """A row's place in a search's order: its orderBy value (None: a NULL dispatchedOn) and id.
    `backward`: the page is the rows just before this one (a prevCursor), else just after."""

    value: Any
    invoice_id: str
    backward: bool = False


def fingerprint(*, seller_id: str, filters: InvoiceSearch, order_by: str, descending: bool) -> str:
    """What a cursor is valid for: the same seller, filters, orderBy and direction."""
    search = {
        "seller": seller_id,
        "filters": filters.model_dump(mode="json", exclude_none=True),
        "orderBy": order_by,
        "descending": descending,
    }
    canonical = json.dumps(search, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return _b64(digest[:_SIGNATURE_BYTES])


def _value_wire(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def encode(cursor: Cursor, *, search: str, secret: str) -> str:
    """The token of `cursor` for the search whose fingerprint is `search`."""
    body = {"s": search, "v": _value_wire(cursor.value), "i": cursor.invoice_id}
    if cursor.backward:
        body["b"] = 1
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_sign(payload, secret)}"


def _refused(token: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError("cursor", message, token)])


def decode(token: str, *, search: str, order_by: str, secret: str) -> Cursor:
    """The cursor a token names, if this server issued it for this very search."""
    payload, _, signature = token.partition(".")
    # Bytes, not str: compare_digest refuses non-ASCII text, and a token may hold any.
    if not hmac.compare_digest(_sign(payload, secret).encode(), signature.encode()):
        raise _refused(token, "is not a cursor this service issued (malformed or altered)")
    try:
        body = json.loads(_unb64(payload))
    except (binascii.Error, ValueError) as exc:  # signed, yet unreadable: a key change
        raise _refused(token, "is not a cursor this service can read") from exc
    if not isinstance(body, dict) or body.get("s") != search:
        raise _refused(
            token,
            "was issued for a search with other filters, orderBy or direction; "
            "repeat the search without a cursor",
        )
    invoice_id, value = body.get("i"), body.get("v")
    if not isinstance(invoice_id, str):
        raise _refused(token, "is not a cursor this service can read")
    return Cursor(
        value=_value_of(value, _KINDS[order_by], token),
        invoice_id=invoice_id,
        backward=body.get("b") == 1,
    )


def _value_of(value: Any, kind: str, token: str) -> Any:
    if value is None:
        return None
    try:
        if kind == "datetime":
            stamp = datetime.fromisoformat(value)
            if stamp.tzinfo is None:
                raise ValueError("a cursor's timestamp carries its zone")
            return stamp
        if kind == "date":
            return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise _refused(token, "is not a cursor this service can read") from exc
    expected = int if kind == "int" else str
    if type(value) is not expected:
        raise _refused(token, "is not a cursor this service can read")
    return value
