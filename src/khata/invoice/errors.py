"""Errors of the invoice rules, whichever dialect or file called them; each dialect's handler
renders them in its own envelope (a 409 is a 422 in the AR dialect and the other way round)."""

from khata.kit.errors import Conflict, NotFound, RuleViolation


class InvoiceNotDeletable(Conflict):
    def __init__(self, invoice_id: str, reason: str) -> None:
        super().__init__(f"Invoice cannot be deleted ({reason}): {invoice_id}")


class InvoiceNotFound(NotFound):
    def __init__(self, invoice_id: str) -> None:
        super().__init__(f"Invoice not found: {invoice_id}")


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"Customer not found: {customer_id}")


class CustomerNotActive(RuleViolation):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"Customer {customer_id} is inactive and cannot be invoiced")


class DuplicateInvoiceNumber(RuleViolation):
    def __init__(self, invoice_number: str) -> None:
        super().__init__(f"Invoice number already exists: {invoice_number}")


class AmountsLocked(RuleViolation):
    def __init__(self) -> None:
        super().__init__("Amounts cannot change once a payment is received or pending")


class InvoiceFinal(RuleViolation):
    def __init__(self, status: str) -> None:
        super().__init__(f"Invoice is {status} and can no longer be changed")


class StaleInvoice(RuleViolation):
    """The caller's view of the invoice (status or version) is out of date."""


class TransitionNotAllowed(RuleViolation):
    def __init__(self, current: str, new: str) -> None:
        super().__init__(f"Status change from {current} to {new} is not allowed")


class OrderLineNotFound(NotFound):
    def __init__(self, line_id: str) -> None:
        super().__init__(f"Order line not found: {line_id}")


class OrderFullyInvoiced(Conflict):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"Order already fully invoiced: {order_id}")


class OrderCustomerNotActive(Conflict):
    """DESIGN: an inactive or deleted customer gets no new invoices."""

    def __init__(self, order_id: str, *, deleted: bool) -> None:
        state = "deleted" if deleted else "inactive"
        super().__init__(f"Customer of order {order_id} is {state}: no invoice can be made")


class QuantityExceedsRemaining(Conflict):
    def __init__(self, line_id: str, remaining: int) -> None:
        super().__init__(
            f"Quantity exceeds what is left to invoice on line {line_id}: {remaining} left"
        )
