"""Wire shapes of the order endpoints (commerce dialect)."""

from typing import Any

from pydantic import ConfigDict, Field, StrictInt, StrictStr

from khata.kit.pagination import MAX_OFFSET
from khata.kit.wire import WireModel

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
