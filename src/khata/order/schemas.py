"""Wire shapes of the order endpoints (commerce dialect)."""

from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictInt, StrictStr

from khata.kit.pagination import MAX_OFFSET
from khata.kit.wire import PrincipalRef, WireAnswer, WireModel

# Commerce lists: at most 100 a page, and no page whose offset overflows the database's
# 64-bit OFFSET (a 20-digit page is a 400 naming page, not a 500).
MAX_LIMIT = 100
MAX_PAGE = MAX_OFFSET // MAX_LIMIT


class OrderLineIn(WireModel):
    # The commerce dialect keeps text as sent (seed 000 echoes names untrimmed).
    model_config = ConfigDict(str_strip_whitespace=False)

    sku: StrictStr | None = Field(default=None, max_length=100)
    name: StrictStr = Field(min_length=1, max_length=300)
    description: StrictStr | None = Field(default=None, max_length=1000)
    quantity: StrictInt = Field(gt=0, le=1_000_000_000)
    # Money and rates are checked by the service (kit.money), so a string "10.50" works too
    # and the messages are ours.
    unitPrice: Any = Field(json_schema_extra={"type": "number", "minimum": 0})
    taxRate: Any = Field(json_schema_extra={"type": "number", "minimum": 0, "maximum": 100})
    hsnCode: StrictStr | None = Field(default=None, pattern=r"^[0-9]{4,8}$")


class OrderCreate(WireModel):
    # The commerce dialect keeps text as sent (seed 000 echoes names untrimmed).
    model_config = ConfigDict(str_strip_whitespace=False)

    customerId: StrictStr = Field(min_length=1, max_length=16)
    currency: StrictStr | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    lineItems: list[OrderLineIn] = Field(min_length=1, max_length=1000)
    metaFields: list[Any] | None = None


class OrderLinePayload(WireAnswer):
    id: str
    sku: str | None
    name: str
    description: str | None
    hsnCode: str | None
    quantity: int
    unitPrice: float
    taxRate: int | float = Field(description="Percent: 18 for a whole rate, 12.5 otherwise")
    amount: float
    tax: float
    invoicedQuantity: int
    remainingQuantity: int


class OrderPayload(WireAnswer):
    """An order as the commerce dialect answers it (`order_wire`)."""

    id: str
    customerId: str
    currency: str
    status: Literal["NOT_INVOICED", "PARTIALLY_INVOICED", "INVOICED"]
    lineItems: list[OrderLinePayload]
    subtotal: float
    tax: float
    total: float
    metaFields: list[Any] | None
    createdBy: PrincipalRef
    createdAt: str
    updatedAt: str
