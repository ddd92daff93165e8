"""Wire models of customers and key contacts, usable without HTTP.

`CustomerCreate`, `CustomerUpdate` and `KeyContactIn` validate a plain dict (a JSON body or a
row of a bulk file) with `Model.model_validate(data)`; `field_errors_from` turns the resulting
`ValidationError` into the same `FieldError`s (field path, message, rejected value) that the API
returns in `apiSubErrors`, so a file row and an HTTP request get identical messages. Each field
is checked on its own here; rules that span fields (GSTIN vs state, a channel needs its
address) live in `customer.service.validate_customer_fields`.
"""

import re
from typing import Any, Literal

from pydantic import AliasChoices, Field, StrictBool, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from khata.customer.reminder_schemas import ReminderIn, ReminderPayload
from khata.kit.banking import (
    ACCOUNT_NUMBER_MESSAGE,
    ACCOUNT_NUMBER_RE,
    IFSC_MESSAGE,
    IFSC_RE,
)
from khata.kit.errors import FieldError
from khata.kit.gst import is_valid_gstin, is_valid_pan, normalize_state
from khata.kit.wire import WireAnswer, WireModel

PHONE_RE = re.compile(r"^((\+|00)(\d{1,3})[\s-]?)?(\d{10})$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
PIN_CODE_RE = re.compile(r"^\d{6}$")

PHONE_MESSAGE = "must be a 10-digit number, optionally preceded by a country code (+91 or 0091)"
EMAIL_MESSAGE = "must be a valid email address"
PAN_OR_GSTIN_MESSAGE = "must be a valid PAN (ABCDE1234F) or GSTIN (15 characters, valid checksum)"
STATE_MESSAGE = "must be a GST state code (e.g. 29) or a state name (e.g. Karnataka)"
PIN_CODE_MESSAGE = "must be six digits"

CustomerStatus = Literal["ACTIVE", "INACTIVE"]


def _invalid(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _blank_to_none(value: Any) -> Any:
    """Blank text means "not given": file cells and forms send "" for an empty field."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _digits_as_text(value: Any) -> Any:
    """Numbers typed into a spreadsheet cell (560001) are still codes, not quantities."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _blank_to_none(value)


def check_phone(value: str | None) -> str | None:
    if value is not None and not PHONE_RE.match(value):
        raise _invalid("phone", PHONE_MESSAGE)
    return value


def check_email(value: str | None) -> str | None:
    if value is not None and (len(value) > 254 or not EMAIL_RE.match(value)):
        raise _invalid("email", EMAIL_MESSAGE)
    return value


def check_ifsc(value: str | None) -> str | None:
    if value is not None and not IFSC_RE.match(value):
        raise _invalid("ifsc", IFSC_MESSAGE)
    return None if value is None else value.upper()


def check_account_number(value: str | None) -> str | None:
    if value is not None and not ACCOUNT_NUMBER_RE.match(value):
        raise _invalid("account_number", ACCOUNT_NUMBER_MESSAGE)
    return value


def check_pan_or_gstin(value: str | None) -> str | None:
    if value is None:
        return None
    upper = value.upper()
    if not (is_valid_pan(upper) or is_valid_gstin(upper)):
        raise _invalid("pan_or_gstin", PAN_OR_GSTIN_MESSAGE)
    return upper


def check_state(value: str | None) -> str | None:
    """A code ("29") or a name ("Karnataka") in, always the code out."""
    if value is None:
        return None
    code = normalize_state(value)
    if code is None:
        raise _invalid("state", STATE_MESSAGE)
    return code


def check_pin_code(value: str | None) -> str | None:
    if value is not None and not PIN_CODE_RE.match(value):
        raise _invalid("pin_code", PIN_CODE_MESSAGE)
    return value


class KeyContactIn(WireModel):
    """A key contact in a create or PATCH. With `keyContactPersonId` it names an existing
    contact (absent fields unchanged, `deleted: true` removes it); without, it is a new one."""

    key_contact_person_id: str | None = None
    name: str | None = Field(default=None, max_length=200)
    legal_name: str | None = Field(default=None, max_length=200)
    designation: str | None = Field(default=None, max_length=100)
    email: str | None = None
    mobile: str | None = None
    # DESIGN spells these in snake_case on the wire; camelCase is accepted too.
    mail_enabled: StrictBool | None = Field(
        default=None, validation_alias=AliasChoices("mail_enabled", "mailEnabled")
    )
    sms_enabled: StrictBool | None = Field(
        default=None, validation_alias=AliasChoices("sms_enabled", "smsEnabled")
    )
    whatsapp_enabled: StrictBool | None = Field(
        default=None, validation_alias=AliasChoices("whatsapp_enabled", "whatsappEnabled")
    )
    deleted: StrictBool = False

    @field_validator(
        "key_contact_person_id", "name", "legal_name", "designation", "email", mode="before"
    )
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("mobile", mode="before")
    @classmethod
    def _mobile_text(cls, value: Any) -> Any:
        return _digits_as_text(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return check_email(value)

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return check_phone(value)


class _CustomerFields(WireModel):
    pan_or_gstin: str | None = None
    contact_number: str | None = None
    email: str | None = None
    address: str | None = Field(default=None, max_length=500)
    state: str | None = None
    pin_code: str | None = None
    account_number: str | None = None
    ifsc: str | None = None
    branch_codes: list[str] | None = None
    unique_ref_no: str | None = Field(default=None, max_length=100)
    assigned_agent: str | None = Field(default=None, max_length=200)

    @field_validator(
        "pan_or_gstin", "email", "address", "state", "ifsc", "unique_ref_no", "assigned_agent",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("legal_name", mode="before", check_fields=False)
    @classmethod
    def _legal_name(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise _invalid("blank", "must not be blank")
        return value

    @field_validator("contact_number", "pin_code", "account_number", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        return _digits_as_text(value)

    @field_validator("contact_number")
    @classmethod
    def _contact_number(cls, value: str | None) -> str | None:
        return check_phone(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return check_email(value)

    @field_validator("ifsc")
    @classmethod
    def _ifsc(cls, value: str | None) -> str | None:
        return check_ifsc(value)

    @field_validator("account_number")
    @classmethod
    def _account_number(cls, value: str | None) -> str | None:
        return check_account_number(value)

    @field_validator("pan_or_gstin")
    @classmethod
    def _pan_or_gstin(cls, value: str | None) -> str | None:
        return check_pan_or_gstin(value)

    @field_validator("state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        return check_state(value)

    @field_validator("pin_code")
    @classmethod
    def _pin_code(cls, value: str | None) -> str | None:
        return check_pin_code(value)


class CustomerCreate(_CustomerFields):
    """A new customer: a legal name and at least one key contact; the rest optional."""

    legal_name: str = Field(min_length=1, max_length=200)
    status: CustomerStatus = "ACTIVE"
    customer_key_contacts: list[KeyContactIn] = Field(min_length=1)
    customer_reminders: list[ReminderIn] | None = None


class CustomerUpdate(_CustomerFields):
    """A PATCH: only the fields present in `model_fields_set` change; `None` clears them."""

    legal_name: str | None = Field(default=None, min_length=1, max_length=200)
    status: CustomerStatus | None = None
    customer_key_contacts: list[KeyContactIn] | None = None


class CustomerSearch(WireModel):
    """The filter body of POST /api/v0/customer/search (every filter optional)."""

    customer_ids: list[str] | None = None
    legal_name: str | None = None
    pan_or_gstin: str | None = None
    unique_ref_no: str | None = None
    state: str | None = None
    status: CustomerStatus | None = None
    deleted: StrictBool | None = None

    @field_validator("legal_name", "pan_or_gstin", "unique_ref_no", "state", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        return check_state(value)


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def field_errors_from(error: ValidationError) -> list[FieldError]:
    """One FieldError per failing field, named and worded as the API's `apiSubErrors`."""
    found: list[FieldError] = []
    for item in error.errors():
        missing = item.get("type") == "missing"
        found.append(
            FieldError(
                _field_path(tuple(item.get("loc", ()))),
                "is required" if missing else str(item.get("msg", "is invalid")),
                None if missing else _json_safe(item.get("input")),
            )
        )
    return found


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class KeyContactPayload(WireAnswer):
    """A key contact as the AR dialect answers it (`contact_to_wire`)."""

    keyContactPersonId: str
    name: str | None
    legalName: str | None
    designation: str | None
    email: str | None
    mobile: str | None
    mail_enabled: bool
    sms_enabled: bool
    whatsapp_enabled: bool
    deleted: bool


class CustomerPayload(WireAnswer):
    """A customer as the AR dialect answers it (`customer_to_wire`); timestamps are
    "yyyy-MM-dd HH:mm:ss" in the seller's time zone."""

    customerId: str
    sellerId: str
    legalName: str
    panOrGstin: str | None
    contactNumber: str | None
    email: str | None
    address: str | None
    state: str | None = Field(description="GST state code")
    pinCode: str | None
    accountNumber: str | None
    ifsc: str | None
    branchCodes: list[str] | None
    uniqueRefNo: str | None
    assignedAgent: str | None
    status: CustomerStatus
    deleted: bool
    customerKeyContacts: list[KeyContactPayload]
    customerReminders: list[ReminderPayload]
    createdBy: str | None
    createdByName: str | None
    createdOn: str
    modifiedBy: str | None
    modifiedByName: str | None
    modifiedOn: str
    version: int


class CustomerPage(WireAnswer):
    customers: list[CustomerPayload]
    totalCount: int
    limit: int
    offset: int
