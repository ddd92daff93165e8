"""Errors of the payment rules."""

from khata.kit.errors import NotFound, RuleViolation


class PaymentNotFound(NotFound):
    def __init__(self, payment_id: str) -> None:
        super().__init__(f"Payment not found: {payment_id}")


class DuplicatePayment(RuleViolation):
    def __init__(self, payment_id: str) -> None:
        super().__init__(f"Payment already reported: {payment_id}")


class InvoiceNotPayable(RuleViolation):
    def __init__(self, invoice_id: str, status: str) -> None:
        super().__init__(f"Invoice {invoice_id} is {status} and takes no payment")


class OverAllocation(RuleViolation):
    def __init__(self, invoice_id: str, open_amount: str) -> None:
        super().__init__(
            f"Amount for invoice {invoice_id} exceeds what is left to pay ({open_amount})"
        )


class PartialPaymentNotAllowed(RuleViolation):
    def __init__(self, invoice_id: str, open_amount: str) -> None:
        super().__init__(
            f"Invoice {invoice_id} does not allow partial payment: pay {open_amount} in full"
        )


class ConfirmationConflict(RuleViolation):
    """A confirmation that contradicts the payment's state or content."""
