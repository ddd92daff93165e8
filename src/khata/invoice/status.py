"""Receivable statuses, their labels, and the transitions a user may request."""

# The column values live with the table (models/invoice.py), so lower layers can read them;
# the invoice rules know them by these names.
from khata.models.invoice import FINAL_STATUSES as FINAL_STATUSES
from khata.models.invoice import ApprovalStatus as ApprovalStatus
from khata.models.invoice import ReceivableStatus as ReceivableStatus

LABELS: dict[str, str] = {
    ReceivableStatus.CREATED: "Created",
    ReceivableStatus.SENT_TO_BUYER: "Sent to buyer",
    ReceivableStatus.PAYMENT_INITIATED: "Payment initiated",
    ReceivableStatus.PARTIALLY_PAID: "Partially paid",
    ReceivableStatus.PAID: "Paid",
    ReceivableStatus.CANCELLED: "Cancelled",
    ReceivableStatus.CLOSED: "Closed",
}

APPROVAL_LABELS: dict[str, str] = {
    ApprovalStatus.APPROVED: "Approved",
    ApprovalStatus.PENDING: "Pending approval",
    ApprovalStatus.REJECTED: "Rejected",
}


# Transitions a user may ask for through status-change (payments drive the paid states).
REQUESTABLE_TRANSITIONS: dict[str, frozenset[str]] = {
    ReceivableStatus.CREATED: frozenset({ReceivableStatus.CANCELLED}),
    ReceivableStatus.SENT_TO_BUYER: frozenset(
        {ReceivableStatus.CANCELLED, ReceivableStatus.CLOSED}
    ),
    ReceivableStatus.PARTIALLY_PAID: frozenset({ReceivableStatus.CLOSED}),
}


# Statuses in which money is moving or the invoice is a kept record: it can no longer be deleted.
_UNDELETABLE: dict[str, str] = {
    ReceivableStatus.PAYMENT_INITIATED: "a payment awaits confirmation",
    ReceivableStatus.PARTIALLY_PAID: "it is partially paid",
    ReceivableStatus.PAID: "it is paid",
    ReceivableStatus.CANCELLED: "it is cancelled",
    ReceivableStatus.CLOSED: "it is closed",
}


def deletion_refusal(
    status: str, total_received_paise: int, *, reduced_paise: int = 0
) -> str | None:
    """Why an invoice may not be deleted, or None when it may: the one delete rule of both
    dialects. Only a CREATED or SENT_TO_BUYER invoice with nothing received, credited or
    written off goes (a credit note is a GST record that names its invoice)."""
    if total_received_paise > 0:
        return "a payment was received"
    if reduced_paise > 0:
        return "a credit note or write-off was recorded"
    return _UNDELETABLE.get(status)


def status_wire(name: str) -> dict[str, str]:
    return {"name": name, "label": LABELS.get(name, name)}
