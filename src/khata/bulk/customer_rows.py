"""Customer rows of a bulk file: columns, cells to the API's JSON shape, errors to columns."""

import re
from collections.abc import Sequence
from typing import Any

from khata.bulk.files import BadFile, cell_text, map_headers
from khata.kit.errors import FieldError

# Customer columns carry the customer JSON field names; contact columns describe one key contact.
CUSTOMER_FIELDS = (
    "legalName",
    "panOrGstin",
    "contactNumber",
    "email",
    "address",
    "state",
    "pinCode",
    "accountNumber",
    "ifsc",
    "branchCodes",
    "uniqueRefNo",
    "assignedAgent",
)
# File column -> KeyContactIn field (by its wire name).
CONTACT_COLUMNS = {
    "contactName": "name",
    "contactDesignation": "designation",
    "contactEmail": "email",
    "contactMobile": "mobile",
    "mailEnabled": "mail_enabled",
    "smsEnabled": "sms_enabled",
    "whatsappEnabled": "whatsapp_enabled",
}
CONTACT_FLAGS = ("mailEnabled", "smsEnabled", "whatsappEnabled")
CREATE_FIELDS = (*CUSTOMER_FIELDS, *CONTACT_COLUMNS)
UPDATE_FIELDS = ("customerId", *CUSTOMER_FIELDS, "status", "keyContactPersonId", *CONTACT_COLUMNS)
# The customer columns other than uniqueRefNo: a repeated uniqueRefNo row with these empty (or
# equal to the first row's) only adds a key contact.
CUSTOMER_DETAIL_FIELDS = tuple(f for f in CUSTOMER_FIELDS if f != "uniqueRefNo")

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_BRANCH_SPLIT = re.compile(r"[,;]")
_CONTACT_PATH = re.compile(r"^customerKeyContacts\.\d+\.?(.*)$")
_CONTACT_FIELD_TO_COLUMN = {
    "name": "contactName",
    "designation": "contactDesignation",
    "email": "contactEmail",
    "mobile": "contactMobile",
    "mail_enabled": "mailEnabled",
    "mailEnabled": "mailEnabled",
    "sms_enabled": "smsEnabled",
    "smsEnabled": "smsEnabled",
    "whatsapp_enabled": "whatsappEnabled",
    "whatsappEnabled": "whatsappEnabled",
    "keyContactPersonId": "keyContactPersonId",
    "": "contactName",
}


def create_columns(headers: Sequence[str]) -> dict[str, int]:
    """Column indexes of a create file; every missing required column named at once."""
    columns = map_headers(headers, known=CREATE_FIELDS, required=(), what="customers")
    missing = [name for name in ("legalName", "contactName") if name not in columns]
    if "contactEmail" not in columns and "contactMobile" not in columns:
        missing.append("contactEmail or contactMobile")
    if missing:
        raise BadFile(f"customers: missing required columns: {', '.join(missing)}")
    return columns


def update_columns(headers: Sequence[str]) -> dict[str, int]:
    return map_headers(headers, known=UPDATE_FIELDS, required=("customerId",), what="customers")


def cells_of(cells: Sequence[Any], columns: dict[str, int]) -> dict[str, str]:
    """The known columns of a row as trimmed text ("" for an empty or missing cell)."""
    return {
        name: (cell_text(cells[index]) if index < len(cells) else "").strip()
        for name, index in columns.items()
    }


def _flag(column: str, text: str, errors: list[str]) -> bool | None:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    errors.append(f"{column}: must be true or false")
    return None


def branch_codes(text: str) -> list[str]:
    return [code.strip() for code in _BRANCH_SPLIT.split(text) if code.strip()]


def customer_fields(values: dict[str, str]) -> dict[str, Any]:
    """The non-empty customer columns of a row as CustomerCreate/CustomerUpdate JSON."""
    raw: dict[str, Any] = {}
    for name in (*CUSTOMER_FIELDS, "status"):
        text = values.get(name, "")
        if text:
            raw[name] = branch_codes(text) if name == "branchCodes" else text
    return raw


def contact_fields(values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    """The non-empty contact columns of a row as KeyContactIn JSON; bad flags go to errors."""
    contact: dict[str, Any] = {}
    for column, wire in CONTACT_COLUMNS.items():
        text = values.get(column, "")
        if not text:
            continue
        if column in CONTACT_FLAGS:
            flag = _flag(column, text, errors)
            if flag is not None:
                contact[wire] = flag
        else:
            contact[wire] = text
    return contact


def has_contact(values: dict[str, str]) -> bool:
    return any(values.get(column) for column in CONTACT_COLUMNS)


def column_of(path: str) -> str:
    """An API field path as the file column that holds it."""
    match = _CONTACT_PATH.match(path)
    if match:
        return _CONTACT_FIELD_TO_COLUMN.get(match.group(1), path)
    if path == "customerKeyContacts":
        return "contactName"
    return path.split(".", 1)[0]


def messages(errors: Sequence[FieldError]) -> list[str]:
    """FieldErrors named by file column, each problem once."""
    found: list[str] = []
    for error in errors:
        text = f"{column_of(error.field)}: {error.message}"
        if text not in found:
            found.append(text)
    return found
