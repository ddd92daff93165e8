"""What the audit trail keeps of an invoice, one shape for every write path, and the stamp
(version, who, when) every change of an invoice leaves on it."""

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from khata.kit.money import wire_paise
from khata.models import Invoice, Principal

# (snapshot field, invoice column, amount in paise?) — AR wire names, amounts shown in rupees,
# whichever dialect or file wrote the change, so one invoice's history reads in one unit.
_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("invoiceNumber", "invoice_number", False),
    ("invoiceDate", "invoice_date", False),
    ("dueDate", "due_date", False),
    ("description", "description", False),
    ("poNumber", "po_number", False),
    ("externalId", "external_id", False),
    ("orderId", "order_id", False),
    ("emailAddress", "email_address", False),
    ("mobileNumber", "mobile_number", False),
    ("baseAmount", "base_amount", True),
    ("cgst", "cgst", True),
    ("sgst", "sgst", True),
    ("igst", "igst", True),
    ("tds", "tds", True),
    ("gstExclusive", "gst_exclusive", False),
    ("netAmount", "net_amount", True),
    ("totalReceived", "total_received", True),
    ("balanceAmount", "balance_amount", True),
    ("partialPaymentAllowed", "partial_payment_allowed", False),
    ("receivableStatus", "receivable_status", False),
    ("dispatched", "dispatched", False),
    ("deleted", "deleted", False),
    ("version", "version", False),
)
_DATES = frozenset({"invoice_date", "due_date"})


class _Columns(Mapping[str, Any]):
    """An ORM invoice read as a mapping of its column values."""

    def __init__(self, invoice: Invoice) -> None:
        self._invoice = invoice

    def __getitem__(self, column: str) -> Any:
        return getattr(self._invoice, column)

    def __iter__(self) -> Iterator[str]:
        return iter(column for _, column, _ in _FIELDS)

    def __len__(self) -> int:
        return len(_FIELDS)


def invoice_snapshot(values: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot of an invoice given as its column values (a row about to be inserted)."""
    snapshot: dict[str, Any] = {}
    for field, column, is_money in _FIELDS:
        value = values[column]
        if is_money:
            value = wire_paise(value)
        elif column in _DATES:
            value = value.isoformat()
        snapshot[field] = value
    return snapshot


def snapshot(invoice: Invoice) -> dict[str, Any]:
    """The snapshot of a loaded invoice."""
    return invoice_snapshot(_Columns(invoice))


def touch(invoice: Invoice, principal: Principal, now: datetime) -> None:
    """Every change of an invoice: one version up, and who made it when."""
    invoice.version += 1
    invoice.modified_by_id = principal.id
    invoice.modified_by_name = principal.name
    invoice.updated_at = now
