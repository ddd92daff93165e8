"""Errors of the delivery domain."""

from khata.kit.errors import NotFound


class InvoiceNotFound(NotFound):
    def __init__(self, invoice_id: str) -> None:
        super().__init__(f"Invoice not found: {invoice_id}")
        self.invoice_id = invoice_id
