"""What CGST Rule 46 asks each example invoice to show, as a reader sees it (figures literal)."""

import re

_SPACE = re.compile(r"\s+")

# Every example: the supplier, the invoice's identity and the signature block.
SUPPLIER_FIELDS = [
    "TAX INVOICE",
    "Kaveri Textiles & Sons Pvt Ltd",
    "12, 3rd Cross, Peenya Industrial Area",
    "Bengaluru 560058",
    "GSTIN: 29AAGCK1234M1Z5",
    "Invoice No. KT/2025-26/0042",
    "Invoice date 05 Mar 2026",
    "Due date 04 Apr 2026",
    "Reverse charge No",
    "For Kaveri Textiles & Sons Pvt Ltd",
    "Lakshmi Narayan",
    "Authorised signatory",
]

INTRA_STATE = [
    *SUPPLIER_FIELDS,
    "Malnad Garments LLP",
    "Plot 7, KIADB, Hassan 573201",
    "GSTIN: 29AAJFM5678Q1Z2",
    "Place of supply Karnataka (29)",
    "Taxable value ₹1,04,621.00",
    "CGST ₹9,415.89",
    "SGST ₹9,415.89",
    "Invoice total ₹1,23,452.78",
    "Balance due ₹1,23,452.78",
    "Rupees One Lakh Twenty-Three Thousand Four Hundred Fifty-Two and Seventy-Eight Paise Only",
]
# Rows read left to right: #, description, HSN/SAC, qty, unit price, taxable value, rate, taxes.
INTRA_STATE_ROWS = [
    "1 Cotton shirting fabric, 58 inch 5208 250 320.00 80,000.00 18% 7,200.00 7,200.00",
    "2 Polyester lining, 44 inch 5407 100 246.21 24,621.00 18% 2,215.89 2,215.89",
]

INTER_STATE = [
    *SUPPLIER_FIELDS,
    "Sahyadri Retail Pvt Ltd",
    "Unit 402, Lodha Supremus, Lower Parel, Mumbai 400013",
    "GSTIN: 27AAKCS9012R1ZX",
    "Place of supply Maharashtra (27)",
    "Taxable value ₹5,58,600.00",
    "IGST ₹1,00,548.00",
    "Invoice total ₹6,59,148.00",
    "Rupees Six Lakh Fifty-Nine Thousand One Hundred Forty-Eight Only",
]
INTER_STATE_ROWS = ["1 Denim 12 oz, indigo 5209 1200 465.50 5,58,600.00 18% 1,00,548.00"]

WITH_TDS = [
    *SUPPLIER_FIELDS,
    "Taxable value ₹5,00,000.00",
    "Invoice total ₹5,90,000.00",
    "Less TDS ₹10,000.00",
    "Amount payable ₹5,80,000.00",
    "Received ₹1,00,000.00",
    "Balance due ₹4,80,000.00",
    "Rupees Five Lakh Ninety Thousand Only",
]
WITH_TDS_ROWS = [
    "1 Dyeing and finishing services, February 2026 998821 1 5,00,000.00 5,00,000.00 18% "
    "45,000.00 45,000.00"
]

UNREGISTERED = [
    *SUPPLIER_FIELDS,
    "Ravi Kumar",
    "GSTIN: Unregistered",
    "Place of supply Karnataka (29)",
    "Invoice total ₹4,425.00",
    "Rupees Four Thousand Four Hundred Twenty-Five Only",
]
UNREGISTERED_ROWS = ["1 Bedsheet, double 6302 3 1,250.00 3,750.00 18% 337.50 337.50"]


def normalised(text: str) -> str:
    """Whitespace collapsed, so a wrapped line or an HTML indent reads as one space."""
    return _SPACE.sub(" ", text).strip()


def missing(text: str, fields: list[str], rows: list[str]) -> list[str]:
    """The fields and line rows not found in a document's text (₹ ignored inside rows)."""
    flat = normalised(text)
    without_sign = flat.replace("₹", "")
    return [field for field in fields if field not in flat] + [
        row for row in rows if row not in without_sign
    ]
