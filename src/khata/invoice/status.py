"""Receivable statuses, their labels, and the transitions a user may request."""

from enum import StrEnum


class ReceivableStatus(StrEnum):
    CREATED = "CREATED"
    SENT_TO_BUYER = "SENT_TO_BUYER"
    PAYMENT_INITIATED = "PAYMENT_INITIATED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    CANCELLED = "CANCELLED"
    CLOSED = "CLOSED"


LABELS: dict[str, str] = {
    "CREATED": "Created",
    "SENT_TO_BUYER": "Sent to buyer",
    "PAYMENT_INITIATED": "Payment initiated",
    "PARTIALLY_PAID": "Partially paid",
    "PAID": "Paid",
    "CANCELLED": "Cancelled",
    "CLOSED": "Closed",
}

APPROVAL_LABELS: dict[str, str] = {
    "APPROVED": "Approved",
    "PENDING": "Pending approval",
    "REJECTED": "Rejected",
}

FINAL_STATUSES = frozenset({"PAID", "CANCELLED", "CLOSED"})

# Transitions a user may ask for through status-change (payments drive the paid states).
REQUESTABLE_TRANSITIONS: dict[str, frozenset[str]] = {
    "CREATED": frozenset({"CANCELLED"}),
    "SENT_TO_BUYER": frozenset({"CANCELLED", "CLOSED"}),
    "PARTIALLY_PAID": frozenset({"CLOSED"}),
}


def status_wire(name: str) -> dict[str, str]:
    return {"name": name, "label": LABELS.get(name, name)}
