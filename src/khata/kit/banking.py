"""Indian payment identifiers: bank account number, IFSC and UPI id (VPA) patterns and messages,
shared by the customer's and the seller's wire models."""

import re

IFSC_RE = re.compile(r"^[A-Za-z]{4}0[A-Z0-9a-z]{6}$")
ACCOUNT_NUMBER_RE = re.compile(r"^[A-Za-z0-9]{9,36}$")
UPI_ID_RE = re.compile(r"^[A-Za-z0-9.\-_]{2,256}@[A-Za-z]{2,64}$")

IFSC_MESSAGE = "must be a valid IFSC: 4 letters, then 0, then 6 letters or digits"
ACCOUNT_NUMBER_MESSAGE = "must be 9 to 36 letters or digits"
UPI_ID_MESSAGE = (
    "must be a UPI id (VPA) such as traders@okhdfcbank: 2 to 256 letters, digits, dots, "
    "hyphens or underscores, then @ and the 2 to 64 letters of the payment provider"
)
