"""A bulk file writes each invoice's audit snapshot as text by its own fast path: that text is
exactly json.dumps of the snapshot every other write path keeps."""

import json
from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from khata.invoice.snapshot import invoice_snapshot, invoice_snapshots_json

_TEXT = st.none() | st.text()
_FLAG = st.booleans() | st.none()
# Typical amounts, and amounts on both sides of where the fast path hands over to json.dumps.
_PAISE = st.integers(min_value=-(10**6), max_value=10**8) | st.integers(
    min_value=-(10**17), max_value=10**17
)
_ROW = st.fixed_dictionaries(
    {
        "invoice_number": st.text(),
        "invoice_date": st.dates(),
        "due_date": st.dates(),
        "description": _TEXT,
        "po_number": _TEXT,
        "external_id": _TEXT,
        "order_id": _TEXT,
        "email_address": _TEXT,
        "mobile_number": _TEXT,
        "base_amount": _PAISE,
        "cgst": _PAISE,
        "sgst": _PAISE,
        "igst": _PAISE,
        "tds": _PAISE,
        "gst_exclusive": _FLAG,
        "net_amount": _PAISE,
        "total_received": _PAISE,
        "total_credited": _PAISE,
        "total_written_off": _PAISE,
        "balance_amount": _PAISE,
        "partial_payment_allowed": _FLAG,
        "receivable_status": st.sampled_from(["CREATED", "SENT_TO_BUYER"]) | st.text(),
        "dispatched": _FLAG,
        "deleted": _FLAG,
        "version": st.integers() | st.none(),
    }
)


@given(st.lists(_ROW, max_size=4))
def test_batch_snapshot_text_is_json_of_the_snapshot(rows: list[dict[str, Any]]) -> None:
    assert invoice_snapshots_json(rows) == [json.dumps(invoice_snapshot(row)) for row in rows]


def test_batch_snapshot_text_shows_rupees_as_the_ar_snapshot_does() -> None:
    row: dict[str, Any] = {
        "invoice_number": "INV-\u20b9-1",
        "invoice_date": date(2026, 11, 1),
        "due_date": date(2026, 11, 30),
        "description": 'say "hi"',
        "po_number": None,
        "external_id": None,
        "order_id": None,
        "email_address": None,
        "mobile_number": None,
        "base_amount": 100050,
        "cgst": 9000,
        "sgst": 9005,
        "igst": 0,
        "tds": 1000,
        "gst_exclusive": True,
        "net_amount": 118055,
        "total_received": 0,
        "total_credited": 0,
        "total_written_off": 0,
        "balance_amount": 117055,
        "partial_payment_allowed": True,
        "receivable_status": "CREATED",
        "dispatched": False,
        "deleted": False,
        "version": 1,
    }
    (text,) = invoice_snapshots_json([row])
    shown = json.loads(text)
    assert (shown["baseAmount"], shown["sgst"], shown["igst"], shown["balanceAmount"]) == (
        1000.5,
        90.05,
        0.0,
        1170.55,
    )
    assert shown["invoiceNumber"] == "INV-\u20b9-1" and shown["description"] == 'say "hi"'
    assert text == json.dumps(invoice_snapshot(row))
