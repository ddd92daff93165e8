"""Wire models of the seller profile: the PATCH body and the profile as the AR dialect shows it."""

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from khata.kit.timeutil import TIME_OF_DAY_MESSAGE, TIME_OF_DAY_RE, enkash_timestamp
from khata.kit.wire import PrincipalRef, WireAnswer, WireModel
from khata.models import Principal, Seller


class SellerUpdate(WireModel):
    """A PATCH of the seller profile: only fields present in `model_fields_set` change."""

    # Settings are few and each one matters: a misspelt one is a 400 naming it, never a PATCH
    # that answers 200 and changes nothing.
    model_config = ConfigDict(extra="forbid")

    legal_name: str | None = Field(default=None, min_length=1, max_length=200)
    gstin: str | None = Field(default=None, max_length=15)
    state: str | None = Field(default=None, max_length=64)
    payment_terms_days: StrictInt | None = Field(default=None, ge=0, le=365)
    invoice_prefix: str | None = Field(default=None, max_length=16, pattern=r"^[A-Za-z0-9/_-]*$")
    time_zone: str | None = Field(default=None, max_length=64)
    default_reminder_time: str | None = None

    @field_validator("default_reminder_time")
    @classmethod
    def _time_of_day(cls, value: str | None) -> str | None:
        if value is not None and not TIME_OF_DAY_RE.match(value):
            raise PydanticCustomError("time_of_day", TIME_OF_DAY_MESSAGE)
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise PydanticCustomError(
                "time_zone", "must be an IANA time zone such as Asia/Kolkata"
            ) from exc
        return value


def seller_snapshot(seller: Seller) -> dict[str, Any]:
    """The settings an audit entry records before and after a change."""
    return {
        "legalName": seller.legal_name,
        "gstin": seller.gstin,
        "state": seller.state_code,
        "paymentTermsDays": seller.payment_terms_days,
        "invoicePrefix": seller.invoice_prefix,
        "timeZone": seller.time_zone,
        "defaultReminderTime": seller.default_reminder_time,
    }


def seller_to_wire(seller: Seller, principal: Principal) -> dict[str, Any]:
    return {
        "sellerId": seller.id,
        "legalName": seller.legal_name,
        "gstin": seller.gstin,
        "state": seller.state_code,
        "currency": seller.currency,
        "timeZone": seller.time_zone,
        "paymentTermsDays": seller.payment_terms_days,
        "invoicePrefix": seller.invoice_prefix,
        "defaultReminderTime": seller.default_reminder_time,
        "createdOn": enkash_timestamp(seller.created_at, seller.time_zone),
        "principal": {"id": principal.id, "name": principal.name, "type": principal.type},
    }


class SellerPayload(WireAnswer):
    """The seller profile and the calling principal (`seller_to_wire`)."""

    sellerId: str
    legalName: str
    gstin: str | None
    state: str
    currency: str
    timeZone: str
    paymentTermsDays: int
    invoicePrefix: str
    defaultReminderTime: str
    createdOn: str
    principal: PrincipalRef
