"""Wire shapes of the commerce invoice endpoints, and the seed's own parsing of {orderIds}."""

import json
from typing import Any

from pydantic import ConfigDict, Field, StrictInt, StrictStr

from khata.kit.errors import FieldError, ValidationFailed
from khata.kit.wire import WireModel

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
