"""Errors of invoicing orders (commerce dialect): what is missing and what may not be invoiced."""

from khata.kit.errors import Conflict, NotFound


class InvoiceNotFound(NotFound):
    def __init__(self, invoice_id: str) -> None:
        super().__init__(f"Invoice not found: {invoice_id}")


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


class InvoiceNumberTaken(Conflict):
    """An AR-dialect invoice already carries the number this sequence would give."""

    def __init__(self, invoice_number: str) -> None:
        super().__init__(f"Invoice number already exists: {invoice_number}")
