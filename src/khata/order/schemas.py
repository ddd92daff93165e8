"""Wire shapes of the order endpoints (commerce dialect)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sku: StrictStr | None = Field(default=None, max_length=100)
    name: StrictStr = Field(min_length=1, max_length=300)
    description: StrictStr | None = Field(default=None, max_length=1000)
    quantity: StrictInt = Field(gt=0, le=1_000_000_000)
    # Money and rates are checked by the service (kit.money), so a string "10.50" works too
    # and the messages are ours.
    unitPrice: Any = Field(json_schema_extra={"type": "number", "minimum": 0})
    taxRate: Any = Field(json_schema_extra={"type": "number", "minimum": 0, "maximum": 100})
    hsnCode: StrictStr | None = Field(default=None, pattern=r"^[0-9]{4,8}$")


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    customerId: StrictStr = Field(min_length=1, max_length=16)
    currency: StrictStr | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    lineItems: list[OrderLineIn] = Field(min_length=1, max_length=1000)
    metaFields: list[Any] | None = None
