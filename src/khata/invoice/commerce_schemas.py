"""Wire shapes of the commerce invoice endpoints, and the seed's own parsing of {orderIds}."""

import json
from typing import Any

from pydantic import ConfigDict, Field, StrictInt, StrictStr

from khata.kit.errors import FieldError, ValidationFailed
from khata.kit.wire import PrincipalRef, WireAnswer, WireModel

MAX_BULK_ORDERS = 1000
ORDER_IDS_MESSAGE = "Validation error: orderIds is required and must be an array"

# The request body as OpenAPI shows it (the endpoint parses the raw body itself).
BULK_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["orderIds"],
    "properties": {
        "orderIds": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "maxItems": MAX_BULK_ORDERS,
            "uniqueItems": True,
        }
    },
}


def parse_order_ids(raw: bytes) -> list[str]:
    """The seed answers one message for every shape of bad body, so the body is parsed here
    rather than by a Pydantic model: 1-1000 distinct strings, or that message."""
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        # RecursionError: brackets nested thousands deep (a 500 before).
        body = None
    order_ids = body.get("orderIds") if isinstance(body, dict) else None
    if (
        not isinstance(order_ids, list)
        or not 1 <= len(order_ids) <= MAX_BULK_ORDERS
        or not all(isinstance(order_id, str) for order_id in order_ids)
        or len(set(order_ids)) != len(order_ids)
    ):
        raise ValidationFailed([FieldError("orderIds", ORDER_IDS_MESSAGE, None)], ORDER_IDS_MESSAGE)
    return order_ids


class InvoiceLinePick(WireModel):
    # The commerce dialect keeps text as sent (seed 000 echoes names untrimmed).
    model_config = ConfigDict(str_strip_whitespace=False)

    lineItemId: StrictStr = Field(min_length=1, max_length=24)
    quantity: StrictInt = Field(gt=0)


class InvoiceCreate(WireModel):
    """One invoice from one order; without lineItems it takes all that is left of every line."""

    # The commerce dialect keeps text as sent (seed 000 echoes names untrimmed).
    model_config = ConfigDict(str_strip_whitespace=False)

    orderId: StrictStr = Field(min_length=1, max_length=24)
    lineItems: list[InvoiceLinePick] | None = Field(default=None, min_length=1, max_length=1000)
    metaFields: list[Any] | None = None


class CommerceLinePayload(WireAnswer):
    """A line of a commerce invoice; taxRate 18 for a whole rate, 12.5 otherwise."""

    lineItemId: str | None
    quantity: int
    id: str
    sku: str | None
    name: str | None
    hsnCode: str | None
    unitPrice: float
    taxRate: int | float
    amount: float
    tax: float


class MailSent(WireAnswer):
    sentTo: str
    sentAt: str


class CommerceInvoicePayload(WireAnswer):
    """An invoice as the commerce dialect answers it (`invoice_wire`): the seed's fields first,
    then DESIGN's; timestamps ISO 8601 UTC with milliseconds."""

    order: str | None
    entityId: str
    lineItems: list[CommerceLinePayload]
    total: float
    createdBy: PrincipalRef
    metaFields: list[Any] | None
    createdAt: str
    updatedAt: str
    id: str
    invoiceNumber: str
    customer: str
    status: str
    invoiceDate: str
    dueDate: str
    subtotal: float
    tax: float
    cgst: float
    sgst: float
    igst: float
    totalCredited: float
    totalWrittenOff: float
    balanceAmount: float
    mailsSent: list[MailSent]


class DeletedInvoice(WireAnswer):
    id: str
    entityId: str
