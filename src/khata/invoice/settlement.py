"""The one rule of what status an invoice takes when its balance drops (a payment accepted, a
credit note issued): PAID at zero, else the mover's own partly-settled status."""

from khata.invoice.status import ReceivableStatus
from khata.models import Invoice


def settle(invoice: Invoice, *, still_pending: bool, partly: ReceivableStatus | None) -> None:
    """The invoice's balance has just dropped. At zero it is PAID; above zero it takes `partly`
    (a payment's PARTIALLY_PAID), or keeps its status when `partly` is None (a credit note
    receives no money). While another payment is still pending the invoice stays
    PAYMENT_INITIATED and the outcome is remembered for when that payment is answered."""
    if invoice.balance_amount == 0:
        settled: str | None = ReceivableStatus.PAID.value
    elif partly is not None:
        settled = partly.value
    else:
        settled = None
    if still_pending:
        if settled is not None:
            invoice.status_before_payment = settled
    elif settled is not None:
        invoice.receivable_status = settled
        invoice.status_before_payment = None
