"""Wire models of the seller profile: the PATCH body and the profile as the AR dialect shows it."""

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from khata.kit.banking import (
    ACCOUNT_NUMBER_MESSAGE,
    ACCOUNT_NUMBER_RE,
    IFSC_MESSAGE,
    IFSC_RE,
    UPI_ID_MESSAGE,
    UPI_ID_RE,
)
from khata.kit.timeutil import TIME_OF_DAY_MESSAGE, TIME_OF_DAY_RE, enkash_timestamp
from khata.kit.wire import PrincipalRef, WireAnswer, WireModel
from khata.models import Principal, Seller


def _blank_to_none(value: Any) -> Any:
    """Blank text clears a text setting, as null does: forms send "" for an emptied field."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


class BankAccountIn(WireModel):
    """The seller's account for bank transfers; a PATCH replaces the whole account."""

    model_config = ConfigDict(extra="forbid")

    account_name: str | None = Field(
        default=None, max_length=200, description="Name on the account; the legal name if absent"
    )
    account_number: str
    ifsc: str
    bank_name: str | None = Field(default=None, max_length=200)

    _blank = field_validator("account_name", "bank_name", mode="before")(_blank_to_none)

    @field_validator("account_number")
    @classmethod
    def _account_number(cls, value: str) -> str:
        if not ACCOUNT_NUMBER_RE.match(value):
            raise PydanticCustomError("account_number", ACCOUNT_NUMBER_MESSAGE)
        return value

    @field_validator("ifsc")
    @classmethod
    def _ifsc(cls, value: str) -> str:
        if not IFSC_RE.match(value):
            raise PydanticCustomError("ifsc", IFSC_MESSAGE)
        return value.upper()


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
    credit_note_prefix: str | None = Field(
        default=None, max_length=16, pattern=r"^[A-Za-z0-9/_-]*$"
    )
    time_zone: str | None = Field(default=None, max_length=64)
    default_reminder_time: str | None = None
    # The profile a tax invoice and the payment page show; null (or blank text) clears each.
    address: str | None = Field(default=None, max_length=500)
    upi_id: str | None = Field(default=None, max_length=321)
    bank_account: BankAccountIn | None = None
    authorised_signatory: str | None = Field(default=None, max_length=200)
    invoice_footer: str | None = Field(default=None, max_length=1000)

    _blank = field_validator(
        "address", "upi_id", "authorised_signatory", "invoice_footer", mode="before"
    )(_blank_to_none)

    @field_validator("upi_id")
    @classmethod
    def _upi_id(cls, value: str | None) -> str | None:
        if value is not None and not UPI_ID_RE.match(value):
            raise PydanticCustomError("upi_id", UPI_ID_MESSAGE)
        return value

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


def bank_account_wire(seller: Seller) -> dict[str, Any] | None:
    if seller.bank_account_number is None:
        return None
    return {
        "accountName": seller.bank_account_name,
        "accountNumber": seller.bank_account_number,
        "ifsc": seller.bank_ifsc,
        "bankName": seller.bank_name,
    }


def profile_fields(seller: Seller) -> dict[str, Any]:
    """The seller's own settings on the wire, as the profile and its audit entries show them."""
    return {
        "legalName": seller.legal_name,
        "gstin": seller.gstin,
        "state": seller.state_code,
        "paymentTermsDays": seller.payment_terms_days,
        "invoicePrefix": seller.invoice_prefix,
        "creditNotePrefix": seller.credit_note_prefix,
        "timeZone": seller.time_zone,
        "defaultReminderTime": seller.default_reminder_time,
        "address": seller.address,
        "upiId": seller.upi_id,
        "bankAccount": bank_account_wire(seller),
        "authorisedSignatory": seller.authorised_signatory,
        "invoiceFooter": seller.invoice_footer,
    }


def seller_snapshot(seller: Seller) -> dict[str, Any]:
    """The settings an audit entry records before and after a change."""
    return profile_fields(seller)


def seller_to_wire(seller: Seller, principal: Principal) -> dict[str, Any]:
    return {
        "sellerId": seller.id,
        **profile_fields(seller),
        "currency": seller.currency,
        "createdOn": enkash_timestamp(seller.created_at, seller.time_zone),
        "principal": {"id": principal.id, "name": principal.name, "type": principal.type},
    }


class BankAccountPayload(WireAnswer):
    """The seller's account for bank transfers (`bankAccount`)."""

    accountName: str | None
    accountNumber: str
    ifsc: str | None
    bankName: str | None


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
    creditNotePrefix: str
    defaultReminderTime: str
    address: str | None
    upiId: str | None
    bankAccount: BankAccountPayload | None
    authorisedSignatory: str | None
    invoiceFooter: str | None
    createdOn: str
    principal: PrincipalRef
