"""Request bodies and GSTINs for customer tests."""

from typing import Any

from khata.kit.gst import gstin_check_character


def gstin(state_code: str = "29", pan: str = "ABCDE1234F") -> str:
    """A GSTIN with a correct check character for the given state and PAN."""
    first14 = f"{state_code}{pan}1Z"
    return first14 + gstin_check_character(first14)


def customer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "legalName": "Sharma Hardware Pvt Ltd",
        "panOrGstin": gstin("29"),
        "contactNumber": "+91 9876543210",
        "email": "accounts@sharma.example",
        "address": "12 MG Road, Bengaluru",
        "state": "Karnataka",
        "pinCode": "560001",
        "accountNumber": "123456789012",
        "ifsc": "HDFC0001234",
        "branchCodes": ["BLR-1"],
        "uniqueRefNo": None,
        "assignedAgent": "Ravi",
        "customerKeyContacts": [
            {
                "name": "Asha Rao",
                "designation": "CFO",
                "email": "asha@sharma.example",
                "mobile": "9876543210",
                "mail_enabled": True,
                "smsEnabled": True,
            }
        ],
    }
    body.update(overrides)
    return body
