"""GST helpers: state codes, GSTIN (format and check character) and PAN validation."""

import re

# GST state codes (first two digits of a GSTIN) and their names.
STATE_CODES: dict[str, str] = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "97": "Other Territory",
}
_STATE_BY_NAME = {name.lower(): code for code, name in STATE_CODES.items()}

_GSTIN_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GSTIN_RE = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
_PAN_RE = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")


def normalize_state(value: str) -> str | None:
    """A GST state code ("29") or name ("Karnataka", any case) to its code; None if unknown."""
    text = value.strip()
    if text.isdigit() and len(text) <= 2:
        code = text.zfill(2)
        return code if code in STATE_CODES else None
    return _STATE_BY_NAME.get(text.lower())


def gstin_check_character(first14: str) -> str:
    """The 15th character of a GSTIN: a base-36 Luhn-style checksum over the first 14."""
    total = 0
    for index, char in enumerate(first14):
        value = _GSTIN_CHARS.index(char)
        product = value * (2 if index % 2 else 1)
        total += product // 36 + product % 36
    return _GSTIN_CHARS[(36 - total % 36) % 36]


def is_valid_gstin(value: str) -> bool:
    if not _GSTIN_RE.match(value):
        return False
    if value[:2] not in STATE_CODES:
        return False
    return gstin_check_character(value[:14]) == value[14]


def is_valid_pan(value: str) -> bool:
    return bool(_PAN_RE.match(value))


def gstin_state_code(gstin: str) -> str:
    return gstin[:2]
